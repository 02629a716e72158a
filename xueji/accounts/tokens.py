"""API tokens (django-rest-knox): stored as a hash, expiring after API_TOKEN_HOURS (a working day
by default), revocable one by one (logout) and all at once (logout-all), and all revoked when the
password changes, the user is disabled, locked out or sealed, or their 2FA is reset
(xueji/accounts/credentials.py deletes them)."""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import update_last_login
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from knox.auth import TokenAuthentication
from knox.models import AuthToken
from rest_framework import exceptions

from xueji.accounts.credentials import SEALED_MESSAGE
from xueji.accounts.models import User

INVALID_MESSAGE = "令牌无效或已过期，请重新登录获取令牌。"


def token_issue(user: User) -> tuple[AuthToken, str]:
    """A new token for the user: the row (holding only a hash) and the token itself, shown once."""
    instance, token = AuthToken.objects.create(user=user, expiry=timedelta(hours=settings.API_TOKEN_HOURS))
    update_last_login(None, user)  # a token's use keeps the account from being sealed as idle
    return instance, token


class ExpiringTokenAuthentication(TokenAuthentication):
    """knox's token check (expired tokens are deleted and refused), answering in Chinese and
    refusing sealed and disabled users."""

    def authenticate_credentials(self, token):
        try:
            return super().authenticate_credentials(token)
        except exceptions.AuthenticationFailed as refusal:
            if getattr(refusal, "_xueji", False):
                raise
            raise exceptions.AuthenticationFailed(INVALID_MESSAGE) from None

    def validate_user(self, auth_token):
        user = auth_token.user
        if not user.is_active:
            failure = exceptions.AuthenticationFailed(INVALID_MESSAGE)
        elif user.sealed_at is not None:
            failure = exceptions.AuthenticationFailed(SEALED_MESSAGE)
        else:
            return user, auth_token
        failure._xueji = True
        raise failure


class ExpiringTokenScheme(OpenApiAuthenticationExtension):
    """How the API's documentation names the token: ``Authorization: Token <token>``."""

    target_class = "xueji.accounts.tokens.ExpiringTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey", "in": "header", "name": "Authorization",
            "description": "POST /api/v1/auth/token/ 换取令牌（8 小时内有效），以“Token <令牌>”放在 Authorization 头中。",
        }
