"""The API of 降级: /api/v1/grade-downs/ — start (multipart, with the guardian's request and the
proof), list, detail and withdraw (the engine's RequestKindViewSet), and the 申请表 as a PDF.
Deciding is /api/v1/requests/{id}/decide/ like every request."""

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers

from special_education import printing, services
from special_education.kinds import KIND, PROOF
from xueji.accounts.permissions import require_registrar
from xueji.accounts.scoping import MAX_ID
from xueji.approvals.api import RequestSerializer
from xueji.approvals.kind_views import PupilRequestStartSerializer, RequestKindViewSet, files_field
from xueji.files.proof import check_uploads
from xueji.pupils.models import SchoolClass


class GradeDownStartSerializer(PupilRequestStartSerializer):
    target_class = serializers.IntegerField(min_value=1, max_value=MAX_ID,
                                            help_text="降级编入的班级（本校、下一年级、有空位）")
    reason = serializers.CharField(max_length=services.REASON_CHARS, help_text="申请理由")
    guardian_files = files_field("父母或其他监护人的书面申请")
    proof_files = files_field(f"证明材料：{PROOF}")


@extend_schema_view(
    create=extend_schema(request=GradeDownStartSerializer, responses={201: RequestSerializer},
                         summary="学校为特殊教育学生发起降级申请"),
    withdraw=extend_schema(request=None, responses=RequestSerializer, summary="发起人撤回申请（首个审批前）"),
)
class GradeDownViewSet(RequestKindViewSet):
    """The 降级 requests the caller may see, and starting one for a special-education pupil of the
    caller's school (a pupil the caller cannot see is 404, as everywhere; any other pupil is
    refused with the reason)."""

    kinds = (KIND,)
    start_serializer = GradeDownStartSerializer
    throttle_scopes = {"form_pdf": "download"}  # xueji/web/throttles.py

    def start(self, pupil, school, values, resubmission_of):
        require_registrar(self.request.user, pupil.school_id, message="只有本校学籍管理员可以发起降级申请。")
        target = SchoolClass.objects.filter(pk=values["target_class"], school_id=pupil.school_id).first()
        if target is None:
            raise ValidationError({"target_class": ValidationError("请选择本校的班级。", code="other_school")})
        return services.grade_down_start(
            actor=self.request.user, pupil=pupil, target_class=target, reason=values["reason"],
            guardian_files=check_uploads(values["guardian_files"]), proof_files=check_uploads(values["proof_files"]),
            resubmission_of=resubmission_of,
        )

    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="一页 A4 的申请表，含签字、盖章栏"),
            404: OpenApiResponse(description="没有这项申请，或无权查看"),
        },
        operation_id="grade_downs_form_pdf", summary="打印降级申请表（PDF）",
        description="一页 A4 的申请表（PDF）：学生基本情况、原年级和降至年级、编入班级、证明材料，监护人签字栏和各级审批意见、"
                    "签字、盖章栏。证件号码按调用者的权限显示或打码；每次打印都记入审计日志。",
    )
    def form_pdf(self, request, pk=None):
        """GET /api/v1/grade-downs/{id}/form.pdf (api_urls.py): the 申请表, as on its page."""
        return printing.form_response(self.get_object(), request.user)
