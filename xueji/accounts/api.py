"""The API's token: POST /api/v1/auth/token/ with a username, a password and, for the users who
need a second factor, ``otp`` (a TOTP code or a recovery code); logout revokes the token used,
logout-all every token of the user."""

from drf_spectacular.utils import extend_schema, inline_serializer
from knox.models import AuthToken
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from xueji.accounts.audit import audit_record, client_ip
from xueji.accounts.login import login_attempt
from xueji.accounts.tokens import ExpiringTokenAuthentication, token_issue


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})
    otp = serializers.CharField(max_length=32, required=False, allow_blank=True,
                                help_text="动态验证码（6 位）或恢复码；须使用动态验证码的账号必填。")


class ObtainTokenView(APIView):
    """POST username, password (and otp), get {"token": "...", "expiry": "..."} for
    ``Authorization: Token ...``. The login lockouts apply here as on the login page."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_scope = "login"

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField(),
                                                             "expiry": serializers.DateTimeField()})},
        summary="以用户名、密码和动态验证码换取令牌",
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = login_attempt(
            request=request._request, username=data.validated_data["username"],
            password=data.validated_data["password"], otp=data.validated_data.get("otp") or "",
            ip=client_ip(request), for_token=True,
        )
        if result.otp_required:
            return Response({"otp_required": True}, status=status.HTTP_400_BAD_REQUEST)
        if result.user is None:
            return Response({"detail": result.error}, status=status.HTTP_400_BAD_REQUEST)
        instance, token = token_issue(result.user)
        return Response({"token": token, "expiry": serializers.DateTimeField().to_representation(instance.expiry)})


class LogoutView(APIView):
    """Revoke the token this request was made with."""

    authentication_classes = [ExpiringTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="注销当前令牌")
    def post(self, request):
        request.auth.delete()
        audit_record(action="logout", detail="注销接口令牌")
        return Response(status=status.HTTP_204_NO_CONTENT)


class LogoutAllView(APIView):
    """Revoke every token of the user."""

    authentication_classes = [ExpiringTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(request=None, responses={204: None}, summary="注销本账号的全部令牌")
    def post(self, request):
        count, _ = AuthToken.objects.filter(user=request.user).delete()
        audit_record(action="logout", detail=f"注销全部接口令牌（{count} 个）")
        return Response(status=status.HTTP_204_NO_CONTENT)

