"""The API of suspensions/: /api/v1/suspensions/, /resumptions/ and /deferrals/ — start (multipart,
with the proof), list and detail of one kind each. Deciding and withdrawing are
/api/v1/requests/{id}/decide/ and …/withdraw/ like every request."""

from django.core.exceptions import ValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from suspensions import printing, services
from suspensions.kinds import GROUNDS
from xueji.approvals.api import RequestSerializer
from xueji.approvals.scoping import get_request_for_user, requests_visible_to
from xueji.files.proof import check_uploads
from xueji.pupils.models import SchoolClass
from xueji.pupils.scoping import get_pupil_for_user

_ID = {"min_value": 1, "max_value": 2**63 - 1}
FORM_PDF_DESCRIPTION = (
    "一页 A4 的申请表（PDF）：学生基本情况、申请事项、证明材料，监护人签字栏和各级审批意见、签字、盖章栏；"
    "已审批的步骤印有审批人、时间和意见。证件号码按调用者的权限显示或打码；每次打印都记入审计日志。"
)
FORM_PDF_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="一页 A4 的申请表，含签字、盖章栏"),
    404: OpenApiResponse(description="没有这项申请，或无权查看"),
}


def _files(help_text: str = "证明材料：PDF、JPG、PNG") -> serializers.ListField:
    # A field instance each: DRF binds a child field to the one list that holds it.
    return serializers.ListField(child=serializers.FileField(), allow_empty=False, help_text=help_text)


class SuspensionStartSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(**_ID)
    grounds = serializers.ChoiceField(choices=list(GROUNDS.items()))
    grounds_note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    first_absence = serializers.DateField(required=False, help_text="开始缺课日期；续办休学不填")
    hospital = serializers.CharField(required=False, allow_blank=True, max_length=100)
    hospital_county_level = serializers.BooleanField(required=False, default=False)
    files = _files()


class ResumptionStartSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(**_ID)
    target_class = serializers.IntegerField(**_ID)
    files = _files()


class DeferralStartSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(**_ID)
    hospital = serializers.CharField(max_length=100)
    hospital_county_level = serializers.BooleanField(required=False, default=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    medical_files = _files("县级以上医院出具的医务证明书")
    guardian_files = _files("家长书面缓学申请")


class _OneKindViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The requests of one kind the caller may see, and starting one for a pupil of the caller's
    school (a pupil the caller cannot see is 404, as everywhere)."""

    kind = ""
    start_serializer = serializers.Serializer
    serializer_class = RequestSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = requests_visible_to(self.request.user).filter(kind=self.kind)
        return queryset.select_related("pupil__school", "started_unit").prefetch_related("steps__unit", "attachments").order_by("-started_at", "-id")

    def get_object(self):
        change = get_request_for_user(self.request.user, self.kwargs["pk"])
        if change.kind != self.kind:
            raise Http404
        return change

    def create(self, request):
        data = self.start_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pupil = get_pupil_for_user(request.user, values["pupil"])
        change = self.start(request.user, pupil, values)
        body = RequestSerializer(get_request_for_user(request.user, change.pk), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

    def start(self, user, pupil, values):
        raise NotImplementedError

    def form_pdf(self, request, pk=None):
        """GET …/{id}/form.pdf (api_urls.py): the request's 申请表, as on its page."""
        return printing.form_response(self.get_object(), request.user)


class SuspensionViewSet(_OneKindViewSet):
    kind = "suspension"
    start_serializer = SuspensionStartSerializer

    @extend_schema(request=SuspensionStartSerializer, responses={201: RequestSerializer}, summary="学校发起休学（或续办休学）")
    def create(self, request):
        return super().create(request)

    @extend_schema(responses=FORM_PDF_RESPONSES, operation_id="suspensions_form_pdf", description=FORM_PDF_DESCRIPTION,
                   summary="打印休学（或续办休学）申请表（PDF）")
    def form_pdf(self, request, pk=None):
        return super().form_pdf(request, pk)

    def start(self, user, pupil, values):
        return services.suspension_start(
            actor=user, pupil=pupil, files=check_uploads(values["files"]),
            application=services.SuspensionApplication(
                grounds=values["grounds"], grounds_note=values.get("grounds_note", ""),
                first_absence=values.get("first_absence"), hospital=values.get("hospital", ""),
                hospital_county_level=values["hospital_county_level"],
            ),
        )


class ResumptionViewSet(_OneKindViewSet):
    kind = "resumption"
    start_serializer = ResumptionStartSerializer

    @extend_schema(request=ResumptionStartSerializer, responses={201: RequestSerializer}, summary="休学期满当天发起复学")
    def create(self, request):
        return super().create(request)

    @extend_schema(responses=FORM_PDF_RESPONSES, operation_id="resumptions_form_pdf", description=FORM_PDF_DESCRIPTION,
                   summary="打印复学申请表（PDF）")
    def form_pdf(self, request, pk=None):
        return super().form_pdf(request, pk)

    def start(self, user, pupil, values):
        target = SchoolClass.objects.filter(pk=values["target_class"], school_id=pupil.school_id).first()
        if target is None:
            raise ValidationError({"target_class": "请选择本校的班级。"})
        return services.resumption_start(actor=user, pupil=pupil, target_class=target, files=check_uploads(values["files"]))


class DeferralViewSet(_OneKindViewSet):
    kind = "deferral"
    start_serializer = DeferralStartSerializer

    @extend_schema(request=DeferralStartSerializer, responses={201: RequestSerializer}, summary="新生 9 月 1 日前申请缓学")
    def create(self, request):
        return super().create(request)

    @extend_schema(responses=FORM_PDF_RESPONSES, operation_id="deferrals_form_pdf", description=FORM_PDF_DESCRIPTION,
                   summary="打印缓学申请表（PDF）")
    def form_pdf(self, request, pk=None):
        return super().form_pdf(request, pk)

    def start(self, user, pupil, values):
        return services.deferral_start(
            actor=user, pupil=pupil, hospital=values["hospital"], hospital_county_level=values["hospital_county_level"],
            note=values.get("note", ""), medical_files=check_uploads(values["medical_files"]),
            guardian_files=check_uploads(values["guardian_files"]),
        )
