"""The API's token: POST /api/v1/auth/token/ with a username and password."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.authtoken.models import Token
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from xueji.accounts.audit import client_ip
from xueji.accounts.login import login_attempt


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False, style={"input_type": "password"})


class ObtainTokenView(APIView):
    """POST username and password, get {"token": "..."} for ``Authorization: Token ...``.
    The login lockout applies here as on the login page."""

    permission_classes = [AllowAny]
    authentication_classes = []
    throttle_classes = []

    @extend_schema(
        request=TokenRequestSerializer,
        responses={200: inline_serializer("TokenResponse", {"token": serializers.CharField()})},
        summary="以用户名和密码换取令牌",
    )
    def post(self, request):
        data = TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = login_attempt(
            request=request._request, username=data.validated_data["username"],
            password=data.validated_data["password"], ip=client_ip(request),
        )
        if result.user is None:
            return Response({"detail": result.error}, status=status.HTTP_400_BAD_REQUEST)
        token, _ = Token.objects.get_or_create(user=result.user)
        return Response({"token": token.key})
