"""The API of 注销学籍: /api/v1/cancellations/ — start (multipart, with the guardian's request and
the proof), list, detail and withdraw (the engine's RequestKindViewSet), and the 申请表 as a PDF.
Deciding is /api/v1/requests/{id}/decide/ like every request."""

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

from cancellation import printing, services
from cancellation.kinds import GROUNDS, KIND
from xueji.approvals.api import RequestSerializer
from xueji.approvals.kind_views import PupilRequestStartSerializer, RequestKindViewSet, files_field
from xueji.files.proof import check_uploads


class CancellationStartSerializer(PupilRequestStartSerializer):
    # Checked by the service, so that dropout, withdrawal and expulsion are refused with the reason.
    grounds = serializers.CharField(max_length=30, help_text="；".join(f"{k}：{v}" for k, v in GROUNDS.items()))
    date_of_death = serializers.DateField(required=False, help_text="死亡日期（death）")
    release_date = serializers.DateField(required=False, help_text="刑满日期（imprisonment）")
    country = serializers.CharField(required=False, allow_blank=True, max_length=50, help_text="定居国家（地区）（emigration）")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    guardian_files = files_field("父母或其他监护人的书面申请")
    proof_files = files_field()

    def validate_grounds(self, value: str) -> str:
        try:
            return services.check_grounds(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["grounds"]) from None


@extend_schema_view(
    create=extend_schema(request=CancellationStartSerializer, responses={201: RequestSerializer}, summary="学校发起注销学籍"),
    withdraw=extend_schema(request=None, responses=RequestSerializer, summary="发起人撤回申请（首个审批前）"),
)
class CancellationViewSet(RequestKindViewSet):
    """The cancellations the caller may see, and starting one for a pupil of the caller's school
    (a pupil the caller cannot see is 404, as everywhere)."""

    kinds = (KIND,)
    start_serializer = CancellationStartSerializer
    throttle_scopes = {"form_pdf": "download"}  # xueji/web/throttles.py

    def start(self, pupil, school, values, resubmission_of):
        return services.cancellation_start(
            actor=self.request.user, pupil=pupil, resubmission_of=resubmission_of,
            application=services.CancellationApplication(
                grounds=values["grounds"], note=values.get("note", ""), date_of_death=values.get("date_of_death"),
                release_date=values.get("release_date"), country=values.get("country", ""),
            ),
            guardian_files=check_uploads(values["guardian_files"]), proof_files=check_uploads(values["proof_files"]),
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="一页 A4 的申请表，含签字、盖章栏"),
            404: OpenApiResponse(description="没有这项申请，或无权查看"),
        },
        operation_id="cancellations_form_pdf", summary="打印注销学籍申请表（PDF）",
        description="一页 A4 的申请表（PDF）：学生基本情况、注销原因及日期、证明材料，监护人签字栏和各级审批意见、签字、盖章栏；"
                    "已审批的步骤印有审批人、时间和意见。证件号码按调用者的权限显示或打码；每次打印都记入审计日志。",
    )
    def form_pdf(self, request, pk=None):
        """GET /api/v1/cancellations/{id}/form.pdf (api_urls.py): the 申请表, as on its page."""
        return printing.form_response(self.get_object(), request.user)
