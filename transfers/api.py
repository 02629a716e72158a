"""The transfers API: start (multipart, with the proof), list, detail, withdraw. Deciding is
/api/v1/requests/{id}/decide/ like every request."""

from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from transfers import services
from transfers.kinds import GROUNDS
from transfers.views import TRANSFER_KINDS
from xueji.accounts.models import Membership, Role
from xueji.approvals.api import RequestSerializer
from xueji.approvals.scoping import get_request_for_user, requests_visible_to
from xueji.approvals.services import request_withdraw
from xueji.files.proof import check_uploads
from xueji.pupils.models import SchoolClass


class TransferStartSerializer(serializers.Serializer):
    number = serializers.CharField(max_length=30, help_text="学籍号或身份证件号")
    name = serializers.CharField(max_length=50, help_text="学生姓名（核对用）")
    grounds = serializers.ChoiceField(choices=list(GROUNDS.items()))
    grounds_note = serializers.CharField(required=False, allow_blank=True, max_length=500)
    target_class = serializers.IntegerField(min_value=1, max_value=2**63 - 1)
    files = serializers.ListField(child=serializers.FileField(), allow_empty=False, help_text="证明材料：PDF、JPG、PNG")


class TransferViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Transfers and the other requests of transfers/ the caller may see."""

    serializer_class = RequestSerializer
    parser_classes = [MultiPartParser, FormParser]

    def get_queryset(self):
        queryset = requests_visible_to(self.request.user).filter(kind__in=TRANSFER_KINDS)
        return queryset.select_related("pupil__school", "started_unit").prefetch_related("steps__unit", "attachments").order_by("-started_at", "-id")

    def get_object(self):
        change = get_request_for_user(self.request.user, self.kwargs["pk"])
        if change.kind not in TRANSFER_KINDS:
            from django.http import Http404

            raise Http404
        return change

    @extend_schema(request=TransferStartSerializer, responses={201: RequestSerializer}, summary="转入学校发起转学")
    def create(self, request):
        data = TransferStartSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        membership = Membership.objects.filter(user=request.user, role=Role.REGISTRAR).select_related("unit").first()
        if membership is None:
            raise ValidationError("只有学校学籍管理员可以发起转学。")
        school = membership.unit
        target = SchoolClass.objects.filter(pk=values["target_class"], school=school).first()
        if target is None:
            raise ValidationError({"target_class": "请选择本校的班级。"})
        change = services.transfer_start(
            actor=request.user, school=school, files=check_uploads(values["files"]),
            application=services.TransferApplication(
                number=values["number"], name=values["name"], grounds=values["grounds"],
                grounds_note=values.get("grounds_note", ""), target_class=target,
            ),
        )
        return Response(RequestSerializer(get_request_for_user(request.user, change.pk), context={"request": request}).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(request=None, responses=RequestSerializer, summary="发起人撤回申请（首个审批前）")
    @action(detail=True, methods=["post"])
    def withdraw(self, request, pk=None):
        change = self.get_object()
        request_withdraw(actor=request.user, request_id=change.pk)
        return Response(RequestSerializer(get_request_for_user(request.user, change.pk), context={"request": request}).data)
