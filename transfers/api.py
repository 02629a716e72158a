"""The transfers API: /api/v1/transfers/ — start a transfer in (multipart, with the proof), list,
detail, withdraw (the engine's RequestKindViewSet). Deciding is /api/v1/requests/{id}/decide/
like every request."""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.exceptions import ValidationError

from transfers import printing, services
from transfers.kinds import GROUNDS, TRANSFER_KINDS
from xueji.accounts.permissions import acting_school
from xueji.accounts.scoping import MAX_ID
from xueji.approvals.api import RequestSerializer
from xueji.approvals.kind_views import RequestKindViewSet, RequestStartSerializer, files_field
from xueji.files.proof import check_uploads
from xueji.pupils.models import SchoolClass
from xueji.pupils.selectors import class_seats_left


APPLICATION_DESCRIPTION = (
    "一页 A4 的转学申请表：学生基本情况、转学理由、所附证明材料，监护人签字栏，转入、转出学校和教育局的意见、签字、盖章栏；"
    "已审批的步骤印有审批人、时间和意见。证件号码按调用者的权限显示或打码；每次打印都有核验码并记入审计日志。"
    "转入学校所属教育局取消纸质转学表格时答复 403（code: paper_forms_off）。"
)
LETTER_DESCRIPTION = (
    "一页 A4 的转学联系函（转学证明）：学生、转出和转入学校，审批链上各单位的意见框（已作出的审批决定随时印出），签字、盖章栏；"
    "每次打印都有核验码并记入审计日志。转出学校所属教育局取消纸质转学表格时答复 403（code: paper_forms_off）。"
)
PAPER_RESPONSES = {
    (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="一页 A4 的 PDF，页脚有核验码"),
    403: OpenApiResponse(description="本地已取消纸质转学表格（code: paper_forms_off）"),
    404: OpenApiResponse(description="没有这项转学申请，或无权查看"),
}


LOOKUP_DESCRIPTION = (
    "转入学校的学籍管理员发起转学前，按学籍号（或身份证件号）和姓名查找学生：查到时答复学生的年级、现就读学校，"
    "以及本校该年级还有空位的班级（发起转学时 target_class 从中选择）。不能转入本校的学生与查无此人的答复完全相同；"
    "每次查找都记入审计日志。"
)


class TransferLookupSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=30, help_text="学籍号或身份证件号")
    name = serializers.CharField(max_length=50, help_text="学生姓名（核对用）")


class ClassWithRoomSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    seats_left = serializers.IntegerField(help_text="还可编入的人数")


class TransferLookupAnswerSerializer(serializers.Serializer):
    name = serializers.CharField()
    grade = serializers.IntegerField()
    grade_label = serializers.CharField()
    from_school_name = serializers.CharField(help_text="现就读学校")
    classes = ClassWithRoomSerializer(many=True, help_text="本校该年级还有空位的班级")


class TransferStartSerializer(RequestStartSerializer):
    number = serializers.CharField(max_length=30, help_text="学籍号或身份证件号")
    name = serializers.CharField(max_length=50, help_text="学生姓名（核对用）")
    grounds = serializers.ChoiceField(choices=list(GROUNDS.items()))
    grounds_note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    target_class = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    files = files_field()


@extend_schema_view(
    create=extend_schema(request=TransferStartSerializer, responses={201: RequestSerializer}, summary="转入学校发起转学"),
    withdraw=extend_schema(request=None, responses=RequestSerializer, summary="发起人撤回申请（首个审批前）"),
)
class TransferViewSet(RequestKindViewSet):
    """Transfers and the other requests of transfers/ the caller may see."""

    kinds = TRANSFER_KINDS
    start_serializer = TransferStartSerializer
    throttle_scopes = {"application_pdf": "download", "letter_pdf": "download", "lookup": "search"}  # xueji/web/throttles.py

    @extend_schema(request=TransferLookupSerializer, responses={200: TransferLookupAnswerSerializer},
                   operation_id="transfers_lookup", summary="发起转学前按学籍号和姓名查找学生",
                   description=LOOKUP_DESCRIPTION)
    @action(detail=False, methods=["post"], parser_classes=[JSONParser, FormParser, MultiPartParser])
    def lookup(self, request):
        """POST /api/v1/transfers/lookup/: the page's first step (the number is in the body, never the URL)."""
        data = TransferLookupSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        found = services.transfer_lookup(actor=request.user, school=acting_school(request),
                                         number=data.validated_data["number"], name=data.validated_data["name"])
        return Response(TransferLookupAnswerSerializer({
            "name": found.name, "grade": found.grade, "grade_label": found.grade_label,
            "from_school_name": found.from_school_name,
            "classes": [{"id": c.pk, "name": c.name, "seats_left": class_seats_left(c)} for c in found.classes],
        }).data)

    @extend_schema(responses=PAPER_RESPONSES, operation_id="transfers_application_pdf", summary="打印转学申请表（PDF）",
                   description=APPLICATION_DESCRIPTION)
    def application_pdf(self, request, pk=None):
        """GET …/{id}/application.pdf (api_urls.py): the 转学申请表, as on the request's page."""
        return printing.application_response(self.get_object(), request.user)

    @extend_schema(responses=PAPER_RESPONSES, operation_id="transfers_letter_pdf", summary="打印转学联系函（转学证明，PDF）",
                   description=LETTER_DESCRIPTION)
    def letter_pdf(self, request, pk=None):
        """GET …/{id}/letter.pdf (api_urls.py): the 转学联系函 with the decisions made so far."""
        return printing.letter_response(self.get_object(), request.user)

    def get_pupil(self, values):
        return None  # found by the service from the number and the name

    def get_school(self, pupil):
        """The school the caller registers for now, as on the pages."""
        return acting_school(self.request)

    def start(self, pupil, school, values, resubmission_of):
        target = SchoolClass.objects.filter(pk=values["target_class"], school=school).first()
        if target is None:
            raise ValidationError({"target_class": "请选择本校的班级。"})
        return services.transfer_start(
            actor=self.request.user, school=school, files=check_uploads(values["files"]), resubmission_of=resubmission_of,
            application=services.TransferApplication(
                number=values["number"], name=values["name"], grounds=values["grounds"],
                grounds_note=values.get("grounds_note", ""), target_class=target,
            ),
        )
