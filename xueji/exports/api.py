"""The API of export requests (/api/v1/exports/): ask, see its state, and download its file with
a fresh code of the second factor. The code goes in the ``X-OTP`` header (GET) or in the body
(POST, ``otp``), never in the query string, which is logged."""

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from xueji.accounts.audit import client_ip
from xueji.accounts.permissions import require_acting_membership
from xueji.approvals.models import ChangeRequest
from xueji.exports.models import ExportFile
from xueji.exports.registry import PURPOSES, export_kind_or_none
from xueji.exports.selectors import get_export_request_for_user, my_export_requests
from xueji.exports.services import DownloadRefused, ExportAsk, export_download, export_request_start
from xueji.exports.views import file_response


class ExportAskSerializer(serializers.Serializer):
    kind = serializers.CharField(help_text="导出类型，如 national（国家学籍系统上报文件）")
    scope = serializers.CharField(required=False, allow_blank=True, default="",
                                  help_text="范围：空为本单位全部，或学校编号（教育局用户）")
    fields = serializers.ListField(child=serializers.CharField(), required=False,
                                   help_text="导出字段的键；不填为全部字段")
    purpose = serializers.ChoiceField(choices=PURPOSES, help_text="用途")
    purpose_text = serializers.CharField(max_length=500, help_text="用途说明")
    full_values = serializers.BooleanField(required=False, default=False,
                                           help_text="是否申请完整的身份证件号、电话、地址（默认脱敏）")
    reason_for_full_values = serializers.CharField(required=False, allow_blank=True, default="", max_length=500,
                                                   help_text="申请完整个人信息的理由")


class ExportFileSerializer(serializers.ModelSerializer):
    class Meta:
        model = ExportFile
        fields = ["filename", "sha256", "size", "rows", "full_values", "made_at", "expires_at"]


class ExportRequestSerializer(serializers.ModelSerializer):
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    export_kind = serializers.SerializerMethodField()
    scope_label = serializers.SerializerMethodField()
    fields_asked = serializers.SerializerMethodField()
    purpose = serializers.SerializerMethodField()
    full_values_asked = serializers.SerializerMethodField()
    full_values_granted = serializers.SerializerMethodField()
    decided_by = serializers.SerializerMethodField()
    file = serializers.SerializerMethodField()
    downloadable = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = ["id", "status", "status_label", "export_kind", "scope_label", "fields_asked", "purpose",
                  "full_values_asked", "full_values_granted", "started_at", "finished_at", "decided_by", "file",
                  "downloadable"]

    def get_export_kind(self, change) -> str:
        return change.payload.get("export_kind", "")

    def get_scope_label(self, change) -> str:
        return change.payload.get("scope_label", "")

    def get_fields_asked(self, change) -> list[str]:
        return change.payload.get("fields", [])

    def get_purpose(self, change) -> str:
        return change.payload.get("purpose", "")

    def get_full_values_asked(self, change) -> bool:
        return bool(change.payload.get("full_values_asked"))

    def get_full_values_granted(self, change) -> bool:
        return bool(change.payload.get("full_values_granted"))

    def get_decided_by(self, change) -> str:
        step = change.steps.filter(decided_at__isnull=False).select_related("decided_by").order_by("-position").first()
        return str(step.decided_by) if step and step.decided_by_id else ""

    def get_file(self, change) -> dict | None:
        export_file = ExportFile.objects.filter(request=change).first()
        return ExportFileSerializer(export_file).data if export_file else None

    def get_downloadable(self, change) -> bool:
        export_file = ExportFile.objects.filter(request=change).first()
        return (export_file is not None and change.started_by_id == self.context["request"].user.pk
                and timezone.now() < export_file.expires_at)


class ExportListView(APIView):
    @extend_schema(responses={200: ExportRequestSerializer(many=True)}, summary="我的数据导出申请")
    def get(self, request):
        changes = my_export_requests(request.user)[:100]
        return Response(ExportRequestSerializer(changes, many=True, context={"request": request}).data)

    @extend_schema(request=ExportAskSerializer, responses={201: ExportRequestSerializer}, summary="申请导出个人信息")
    def post(self, request):
        ask = ExportAskSerializer(data=request.data)
        ask.is_valid(raise_exception=True)
        data = ask.validated_data
        kind = export_kind_or_none(data["kind"])
        if kind is None:
            raise serializers.ValidationError({"kind": "没有这种导出。"})
        membership = require_acting_membership(request, kind.roles, message=f"您的身份不能申请导出{kind.label}。")
        change = export_request_start(actor=request.user, membership=membership, ask=ExportAsk(
            export_kind=kind.code, scope=data["scope"], fields=data.get("fields") or [f.key for f in kind.fields()],
            purpose=data["purpose"], purpose_text=data["purpose_text"], full_values=data["full_values"],
            reason_for_full_values=data["reason_for_full_values"],
        ))
        return Response(ExportRequestSerializer(change, context={"request": request}).data, status=status.HTTP_201_CREATED)


class ExportDetailView(APIView):
    throttle_scope = "detail"

    @extend_schema(responses={200: ExportRequestSerializer}, summary="数据导出申请的状态")
    def get(self, request, request_id: int):
        change = get_export_request_for_user(request.user, request_id)
        return Response(ExportRequestSerializer(change, context={"request": request}).data)


_REFUSED = inline_serializer("ExportDownloadRefused", {
    "detail": serializers.CharField(),
    "code": serializers.CharField(help_text="not_requester, not_ready, expired, otp_required, otp_invalid"),
})


class ExportFileView(APIView):
    """The file, for the requester, within its time, after a fresh code."""

    throttle_scope = "download"

    def _download(self, request, request_id: int, otp: str):
        change = get_export_request_for_user(request.user, request_id)
        try:
            export_file = export_download(actor=request.user, request=change, otp=otp, ip=client_ip(request))
        except DownloadRefused as refused:
            return Response({"detail": refused.message, "code": refused.code}, status=refused.status)
        return file_response(export_file)

    @extend_schema(
        parameters=[OpenApiParameter("X-OTP", OpenApiTypes.STR, OpenApiParameter.HEADER, required=True,
                                     description="身份验证器上的动态验证码（每个验证码只能用一次）")],
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="导出文件"),
                   403: _REFUSED, 404: _REFUSED, 409: _REFUSED, 410: _REFUSED},
        summary="下载导出文件（动态验证码放在 X-OTP 请求头）",
    )
    def get(self, request, request_id: int):
        return self._download(request, request_id, request.headers.get("X-OTP", ""))

    @extend_schema(
        request=inline_serializer("ExportDownload", {"otp": serializers.CharField(help_text="动态验证码")}),
        responses={(200, "application/octet-stream"): OpenApiResponse(OpenApiTypes.BINARY, description="导出文件"),
                   403: _REFUSED, 404: _REFUSED, 409: _REFUSED, 410: _REFUSED},
        summary="下载导出文件（动态验证码放在请求体 otp）",
    )
    def post(self, request, request_id: int):
        otp = request.data.get("otp", "") if hasattr(request.data, "get") else ""
        return self._download(request, request_id, request.headers.get("X-OTP", "") or str(otp))
