"""The API of suspensions/: /api/v1/suspensions/, /resumptions/ and /deferrals/ — start (multipart,
with the proof), list, detail and withdraw of one kind each (the engine's RequestKindViewSet), and
each request's 申请表 as a PDF. Deciding is /api/v1/requests/{id}/decide/ like every request."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from suspensions import printing, services
from suspensions.kinds import GROUNDS
from xueji.accounts.scoping import MAX_ID
from xueji.approvals.api import RequestSerializer
from xueji.approvals.kind_views import PupilRequestStartSerializer, RequestKindViewSet, files_field
from xueji.files.proof import check_uploads
from xueji.pupils.models import SchoolClass

FORM_PDF_DESCRIPTION = (
    "一页 A4 的申请表（PDF）：学生基本情况、申请事项、证明材料，监护人签字栏和各级审批意见、签字、盖章栏；"
    "已审批的步骤印有审批人、时间和意见。证件号码按调用者的权限显示或打码；每次打印都记入审计日志。"
)
FORM_PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="一页 A4 的申请表，含签字、盖章栏"),
    404: OpenApiResponse(description="没有这项申请，或无权查看"),
}


class SuspensionStartSerializer(PupilRequestStartSerializer):
    grounds = serializers.ChoiceField(choices=list(GROUNDS.items()))
    grounds_note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    first_absence = serializers.DateField(required=False, help_text="开始缺课日期；续办休学不填")
    hospital = serializers.CharField(required=False, allow_blank=True, max_length=100)
    hospital_county_level = serializers.BooleanField(required=False, default=False)
    files = files_field()


class ResumptionStartSerializer(PupilRequestStartSerializer):
    target_class = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    files = files_field()


class DeferralStartSerializer(PupilRequestStartSerializer):
    hospital = serializers.CharField(max_length=100)
    hospital_county_level = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    medical_files = files_field("县级以上医院出具的医务证明书")
    guardian_files = files_field("家长书面缓学申请")


def _schema(start_serializer, start_summary: str, form_summary: str, operation_id: str):
    """The schema of one kind's viewset: its start, its withdrawal and its form (the form is not a
    router action, so its schema goes on a method of the class's own)."""
    def decorate(viewset):
        def form_pdf(self, request, pk=None):
            return _SuspensionKindViewSet.form_pdf(self, request, pk)

        viewset.form_pdf = extend_schema(responses=FORM_PDF_RESPONSES, operation_id=operation_id,
                                         description=FORM_PDF_DESCRIPTION, summary=form_summary)(form_pdf)
        return extend_schema_view(
            create=extend_schema(request=start_serializer, responses={201: RequestSerializer}, summary=start_summary),
            withdraw=extend_schema(request=None, responses=RequestSerializer, summary="发起人撤回申请（首个审批前）"),
        )(viewset)

    return decorate


class _SuspensionKindViewSet(RequestKindViewSet):
    throttle_scopes = {"form_pdf": "download"}  # xueji/web/throttles.py

    def form_pdf(self, request, pk=None):
        """GET …/{id}/form.pdf (api_urls.py): the request's 申请表, as on its page."""
        return printing.form_response(self.get_object(), request.user)


@_schema(SuspensionStartSerializer, "学校发起休学（或续办休学）", "打印休学（或续办休学）申请表（PDF）", "suspensions_form_pdf")
class SuspensionViewSet(_SuspensionKindViewSet):
    kinds = ("suspension",)
    start_serializer = SuspensionStartSerializer

    def start(self, pupil, school, values, resubmission_of):
        return services.suspension_start(
            actor=self.request.user, pupil=pupil, files=check_uploads(values["files"]), resubmission_of=resubmission_of,
            application=services.SuspensionApplication(
                grounds=values["grounds"], grounds_note=values.get("grounds_note", ""),
                first_absence=values.get("first_absence"), hospital=values.get("hospital", ""),
                hospital_county_level=values["hospital_county_level"],
            ),
        )


@_schema(ResumptionStartSerializer, "休学期满当天发起复学", "打印复学申请表（PDF）", "resumptions_form_pdf")
class ResumptionViewSet(_SuspensionKindViewSet):
    kinds = ("resumption",)
    start_serializer = ResumptionStartSerializer

    def start(self, pupil, school, values, resubmission_of):
        target = SchoolClass.objects.filter(pk=values["target_class"], school_id=pupil.school_id).first()
        if target is None:
            raise ValidationError({"target_class": "请选择本校的班级。"})
        return services.resumption_start(actor=self.request.user, pupil=pupil, target_class=target,
                                         files=check_uploads(values["files"]), resubmission_of=resubmission_of)


@_schema(DeferralStartSerializer, "新生 9 月 1 日前申请缓学", "打印缓学申请表（PDF）", "deferrals_form_pdf")
class DeferralViewSet(_SuspensionKindViewSet):
    kinds = ("deferral",)
    start_serializer = DeferralStartSerializer

    def start(self, pupil, school, values, resubmission_of):
        return services.deferral_start(
            actor=self.request.user, pupil=pupil, hospital=values["hospital"],
            hospital_county_level=values["hospital_county_level"], note=values.get("note", ""),
            medical_files=check_uploads(values["medical_files"]), guardian_files=check_uploads(values["guardian_files"]),
            resubmission_of=resubmission_of,
        )
