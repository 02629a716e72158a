"""The API of 注销学籍: /api/v1/cancellations/ — start (multipart, with the guardian's request and
the proof), list and detail. Deciding and withdrawing are /api/v1/requests/{id}/decide/ and
…/withdraw/ like every request."""

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from cancellation import kinds, services
from cancellation import printing as cancellation_printing
from xueji.approvals.api import RequestSerializer
from xueji.approvals.scoping import get_request_for_user, requests_visible_to
from xueji.files.proof import check_uploads
from xueji.pupils.scoping import get_pupil_for_user


class CancellationStartSerializer(serializers.Serializer):
    pupil = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    # Checked by the service, so that dropout, withdrawal and expulsion are refused with the reason.
    grounds = serializers.CharField(max_length=30, help_text="；".join(f"{k}：{v}" for k, v in kinds.GROUNDS.items()))
    date_of_death = serializers.DateField(required=False, help_text="死亡日期（death）")
    release_date = serializers.DateField(required=False, help_text="刑满日期（imprisonment）")
    country = serializers.CharField(required=False, allow_blank=True, max_length=50, help_text="定居国家（地区）（emigration）")
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    guardian_files = serializers.ListField(child=serializers.FileField(), allow_empty=False, help_text="父母或其他监护人的书面申请")
    proof_files = serializers.ListField(child=serializers.FileField(), allow_empty=False, help_text="证明材料：PDF、JPG、PNG")

    def validate_grounds(self, value: str) -> str:
        try:
            return services.check_grounds(value)
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.message_dict["grounds"]) from None


class CancellationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """The cancellations the caller may see, and starting one for a pupil of the caller's school
    (a pupil the caller cannot see is 404, as everywhere)."""

    serializer_class = RequestSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = requests_visible_to(self.request.user).filter(kind=kinds.KIND)
        return (queryset.select_related("pupil__school", "started_unit")
                .prefetch_related("steps__unit", "attachments").order_by("-started_at", "-id"))

    def get_object(self):
        change = get_request_for_user(self.request.user, self.kwargs["pk"])
        if change.kind != kinds.KIND:
            raise Http404
        return change

    @extend_schema(request=CancellationStartSerializer, responses={201: RequestSerializer}, summary="学校发起注销学籍")
    def create(self, request):
        data = CancellationStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        pupil = get_pupil_for_user(request.user, values["pupil"])
        change = services.cancellation_start(
            actor=request.user, pupil=pupil,
            application=services.CancellationApplication(
                grounds=values["grounds"], note=values.get("note", ""), date_of_death=values.get("date_of_death"),
                release_date=values.get("release_date"), country=values.get("country", ""),
            ),
            guardian_files=check_uploads(values["guardian_files"]), proof_files=check_uploads(values["proof_files"]),
        )
        body = RequestSerializer(get_request_for_user(request.user, change.pk), context={"request": request}).data
        return Response(body, status=status.HTTP_201_CREATED)

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
        """GET /api/v1/cancellations/{id}/form.pdf (cancellation_api_urls.py): the 申请表, as on its page."""
        return cancellation_printing.form_response(self.get_object(), request.user)
