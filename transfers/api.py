"""The transfers API: /api/v1/transfers/ — start a transfer in (multipart, with the proof), list,
detail, withdraw (the engine's RequestKindViewSet). Deciding is /api/v1/requests/{id}/decide/
like every request."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from transfers import services
from transfers.kinds import GROUNDS, TRANSFER_KINDS
from xueji.accounts.permissions import acting_school
from xueji.accounts.scoping import MAX_ID
from xueji.approvals.api import RequestSerializer
from xueji.approvals.kind_views import RequestKindViewSet, RequestStartSerializer, files_field
from xueji.files.proof import check_uploads
from xueji.pupils.models import SchoolClass


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
