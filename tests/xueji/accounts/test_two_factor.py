"""The second factor (issue 12): who needs it, the code step, replay, recovery codes, enrolment at
the first login, and a security admin's reset."""

import re
from base64 import b32decode

import pytest
import time_machine
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import login_with_code
from tests.factories import PASSWORD, TOTP_SECRET, MembershipFactory, UserFactory
from tests.otp import _DemoTOTP, totp_code
from xueji.accounts.models import AuditEntry, BureauSettings, LoginThrottle, Role
from xueji.accounts.two_factor import devices_reset, needs_second_factor


def _password(client, username):
    return client.post("/login/", {"username": username, "password": PASSWORD})


@pytest.mark.parametrize(
    "username", ["registrar_a1", "headmaster_a1", "central_a3", "officer_a", "city_officer", "sysadmin", "secadmin", "auditor"]
)
def test_roles_that_see_full_records_approve_or_administer_need_a_code(world, username):
    client = Client()
    response = _password(client, username)
    assert response.status_code == 302 and response["Location"] == "/login/otp/"
    # Nothing else is reachable before the code: pages, the API under the session, the admin.
    for path in ("/", "/pupils/", "/api/v1/pupils/", "/admin/", "/password/"):
        answer = client.get(path)
        assert answer.status_code in (302, 403), path
        if answer.status_code == 302:
            assert answer["Location"].startswith("/login"), (path, answer["Location"])
    assert client.post("/login/otp/", {"code": totp_code(world.user(username))}).status_code == 302
    assert client.get("/").status_code == 200


def test_head_teachers_need_no_code_unless_their_bureau_says_so(world):
    teacher = world.user("teacher_a1")
    assert not needs_second_factor(teacher)
    response = _password(Client(), "teacher_a1")
    assert response["Location"] == "/"
    BureauSettings.objects.create(bureau=world.units["county_a"], head_teacher_two_factor=True)
    assert needs_second_factor(teacher)
    assert _password(Client(), "teacher_a1")["Location"] == "/login/otp/"


def test_a_wrong_code_is_refused_in_chinese_and_counts_toward_the_lockout(world):
    client = Client()
    _password(client, "registrar_a1")
    response = client.post("/login/otp/", {"code": "000000"})
    assert response.status_code == 200 and "动态验证码不正确" in response.content.decode()
    assert LoginThrottle.objects.get(username="registrar_a1").failures == 1
    for _ in range(4):
        response = client.post("/login/otp/", {"code": "000000"})
    # The fifth failure locks the username: the half-logged-in session ends with it.
    assert response.status_code == 302 and response["Location"] == "/login/"
    assert client.get("/pupils/").status_code == 302
    answer = _password(Client(), "registrar_a1")
    assert answer.status_code == 200 and "锁定" in answer.content.decode()


def test_a_code_is_accepted_once(world):
    user = world.user("registrar_a1")
    with time_machine.travel(timezone.now(), tick=False):
        code = _DemoTOTP(TOTP_SECRET).now()
        first, second = Client(), Client()
        _password(first, "registrar_a1")
        assert first.post("/login/otp/", {"code": code})["Location"] == "/"
        _password(second, "registrar_a1")
        replay = second.post("/login/otp/", {"code": code})
        assert replay.status_code == 200 and "已使用过" in replay.content.decode()
        assert second.get("/pupils/").status_code == 302
    assert TOTPDevice.objects.get(user=user).last_t >= 0


def test_a_recovery_code_logs_in_once(world):
    from xueji.accounts.two_factor import recovery_codes_replace

    user = world.user("officer_a")
    codes = recovery_codes_replace(user)
    client = Client()
    _password(client, "officer_a")
    assert client.post("/login/otp/", {"code": codes[0]})["Location"] == "/"
    assert StaticToken.objects.filter(device__user=user).count() == len(codes) - 1
    again = Client()
    _password(again, "officer_a")
    assert again.post("/login/otp/", {"code": codes[0]}).status_code == 200


def test_first_login_without_a_device_leads_through_enrolment(world):
    user = UserFactory(username="new_registrar", totp=False)
    MembershipFactory(user=user, unit=world.units["a1"], role=Role.REGISTRAR)
    client = Client()
    assert _password(client, "new_registrar")["Location"] == "/account/otp/enrol/"
    assert client.get("/pupils/")["Location"] == "/account/otp/enrol/"
    page = client.get("/account/otp/enrol/").content.decode()
    assert "<svg" in page  # the QR code, drawn by the app itself
    secret = re.search(r'class="otp-secret">([A-Z2-7]+)<', page).group(1)
    assert client.post("/account/otp/enrol/", {"code": "123456"}).status_code == 200  # wrong: stays
    code = _DemoTOTP(secret).now()
    response = client.post("/account/otp/enrol/", {"code": code})
    assert response["Location"] == "/account/otp/recovery-codes/"
    codes_page = client.get("/account/otp/recovery-codes/").content.decode()
    assert codes_page.count("<li><code>") == 10
    # Shown once: the page does not show them again.
    assert client.get("/account/otp/recovery-codes/").status_code == 302
    assert client.get("/pupils/").status_code == 200
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    assert device.bin_key == b32decode(secret)
    assert AuditEntry.objects.filter(action="otp.enrol", user=user).exists()


def test_a_security_admin_reset_ends_sessions_and_asks_for_enrolment_again(world):
    user = world.user("registrar_a1")
    client = login_with_code(Client(), user)
    devices_reset(user, actor=world.user("secadmin"))
    assert client.get("/pupils/").status_code == 302
    fresh = Client()
    assert _password(fresh, "registrar_a1")["Location"] == "/account/otp/enrol/"
    entry = AuditEntry.objects.get(action="otp.reset")
    assert entry.user == world.user("secadmin") and "registrar_a1" in entry.detail


def test_api_token_needs_the_code(client, world):
    user = world.user("registrar_a1")
    answer = client.post("/api/v1/auth/token/", {"username": "registrar_a1", "password": PASSWORD})
    assert answer.status_code == 400 and answer.json() == {"otp_required": True}
    wrong = client.post("/api/v1/auth/token/", {"username": "registrar_a1", "password": PASSWORD, "otp": "000000"})
    assert wrong.status_code == 400 and "动态验证码" in wrong.json()["detail"]
    assert LoginThrottle.objects.get(username="registrar_a1").failures == 1
    right = client.post("/api/v1/auth/token/", {"username": "registrar_a1", "password": PASSWORD, "otp": totp_code(user)})
    assert right.status_code == 200 and set(right.json()) == {"token", "expiry"}


def test_api_token_for_a_head_teacher_needs_no_code(client, world):
    answer = client.post("/api/v1/auth/token/", {"username": "teacher_a1", "password": PASSWORD})
    assert answer.status_code == 200 and "token" in answer.json()


def test_a_wrong_password_says_nothing_about_the_second_factor(client, world):
    answer = client.post("/api/v1/auth/token/", {"username": "registrar_a1", "password": "Wrong#password1"})
    assert answer.status_code == 400 and "otp_required" not in answer.json()
