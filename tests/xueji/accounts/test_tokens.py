"""API tokens (issue 12): hashed, expiring, revocable one by one and all at once, and revoked by
a password change, disabling, a lockout, sealing and a 2FA reset — each within one request."""

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from knox.models import AuthToken
from rest_framework.test import APIClient

from tests.conftest import api_token, login_with_code
from tests.factories import PASSWORD
from xueji.accounts.credentials import account_seal
from xueji.accounts.models import User
from xueji.accounts.two_factor import devices_reset

WRONG = "Wrong#password1"


def _client(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_the_token_is_stored_as_a_hash_and_carries_its_expiry(world):
    with time_machine.travel(timezone.now(), tick=False):
        token = api_token("registrar_a1")
        row = AuthToken.objects.get(user=world.user("registrar_a1"))
        assert token not in (row.digest, row.token_key) and len(row.digest) == 128
        answer = APIClient().post("/api/v1/auth/token/", {"username": "teacher_a1", "password": PASSWORD}, format="json")
        expiry = parse_datetime(answer.json()["expiry"])
        assert expiry == timezone.now() + timedelta(hours=8)


def test_a_new_token_each_time_never_the_same_key(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        first = api_token("registrar_a1")
        clock.shift(timedelta(seconds=31))
        assert api_token("registrar_a1") != first


def test_the_token_expires_after_eight_hours(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = _client(api_token("registrar_a1"))
        clock.shift(timedelta(hours=7, minutes=59))
        assert client.get("/api/v1/pupils/").status_code == 200
        clock.shift(timedelta(minutes=2))
        answer = client.get("/api/v1/pupils/")
    assert answer.status_code == 401 and "令牌无效或已过期" in answer.json()["detail"]


def test_expiry_is_a_setting(world, settings):
    settings.API_TOKEN_HOURS = 1
    with time_machine.travel(timezone.now(), tick=False) as clock:
        client = _client(api_token("registrar_a1"))
        clock.shift(timedelta(minutes=61))
        assert client.get("/api/v1/pupils/").status_code == 401


def test_logout_revokes_the_token_used_and_logout_all_every_token(world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        one = _client(api_token("registrar_a1"))
        clock.shift(timedelta(seconds=31))
        two = _client(api_token("registrar_a1"))
        clock.shift(timedelta(seconds=31))
        three = _client(api_token("registrar_a1"))
        assert one.post("/api/v1/auth/logout/").status_code == 204
        assert one.get("/api/v1/pupils/").status_code == 401
        assert two.get("/api/v1/pupils/").status_code == 200
        assert two.post("/api/v1/auth/logout-all/").status_code == 204
        assert two.get("/api/v1/pupils/").status_code == 401
        assert three.get("/api/v1/pupils/").status_code == 401


@pytest.mark.parametrize("event", ["password", "disable", "lockout", "seal", "reset_2fa"])
def test_a_token_stops_working_within_one_request_of(event, world):
    """The drill: a token works, the event happens, the very next request with it is refused."""
    user = world.user("registrar_a2")
    client = _client(api_token("registrar_a2"))
    assert client.get("/api/v1/pupils/").status_code == 200
    user = User.objects.get(pk=user.pk)
    if event == "password":
        user.set_password("Changed#password9")
        user.save()
    elif event == "disable":
        user.is_active = False
        user.save()
    elif event == "lockout":
        for _ in range(5):
            APIClient().post("/api/v1/auth/token/", {"username": "registrar_a2", "password": WRONG}, format="json")
    elif event == "seal":
        account_seal(user)
    else:
        devices_reset(user, actor=world.user("secadmin"))
    answer = client.get("/api/v1/pupils/")
    assert answer.status_code == 401, (event, answer.content)
    assert not AuthToken.objects.filter(user=user).exists()


def test_a_token_stops_working_when_the_page_logs_out_everywhere_by_password_change(world):
    """The user changes the password on the page: the API tokens go with it."""
    client = _client(api_token("registrar_a1"))
    page = login_with_code(Client(), world.user("registrar_a1"))
    page.post("/password/", {"old_password": PASSWORD, "new_password1": "Fresh#harvest2027", "new_password2": "Fresh#harvest2027"})
    assert client.get("/api/v1/pupils/").status_code == 401


def test_the_admin_lists_no_tokens(world):
    from django.contrib import admin

    assert not admin.site.is_registered(AuthToken)
    sysadmin = login_with_code(Client(), world.user("sysadmin"))
    assert sysadmin.get("/admin/authtoken/tokenproxy/").status_code == 404
    assert sysadmin.get("/admin/knox/authtoken/").status_code == 404
