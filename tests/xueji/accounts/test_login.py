"""Login: password rules, the lockout, sessions. (The second factor: test_two_factor.py; tokens:
test_tokens.py; the address lockout and the drills: test_lockout_drills.py.)"""

import threading
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.contrib.sessions.models import Session
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.utils import timezone

from tests.conftest import build_world, login_with_code, transactional
from tests.factories import PASSWORD
from tests.otp import totp_code
from xueji.accounts.models import LoginThrottle, User

WRONG = "Wrong#password1"


@pytest.mark.parametrize(
    "password, reason",
    [
        ("Short#1a", "12"),  # too short
        ("alllowercaseletters", "3 类"),  # one class only
        ("lowercase123456", "3 类"),  # two classes
        ("Password1234", "常见"),  # a common password (Django's list), though 12 long with 3 classes
    ],
)
def test_weak_passwords_are_refused(password, reason):
    with pytest.raises(ValidationError) as error:
        validate_password(password)
    assert any(reason in message for message in error.value.messages), error.value.messages


def test_strong_password_is_accepted():
    assert validate_password("Hulan#river2026") is None


def test_wrong_password_message_is_in_chinese(client, world):
    response = client.post("/login/", {"username": "registrar_a1", "password": WRONG})
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()


def test_sixth_attempt_is_refused_even_with_the_right_password(client, world):
    for _ in range(5):
        client.post("/login/", {"username": "registrar_a1", "password": WRONG})
    response = client.post("/login/", {"username": "registrar_a1", "password": PASSWORD})
    assert response.status_code == 200
    assert "锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_lock_runs_out_after_fifteen_minutes(client, world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(5):
            client.post("/login/", {"username": "registrar_a1", "password": WRONG})
        clock.shift(timedelta(minutes=14))
        assert client.post("/login/", {"username": "registrar_a1", "password": PASSWORD}).status_code == 200
        clock.shift(timedelta(minutes=2))
        response = client.post("/login/", {"username": "registrar_a1", "password": PASSWORD})
        assert response.status_code == 302 and response["Location"] == "/login/otp/"


def test_lockout_is_per_username(client, world):
    for _ in range(5):
        client.post("/login/", {"username": "registrar_a1", "password": WRONG})
    assert client.post("/login/", {"username": "registrar_b1", "password": PASSWORD}).status_code == 302


def test_api_token_login_is_locked_too(client, world):
    for _ in range(5):
        client.post("/api/v1/auth/token/", {"username": "officer_a", "password": WRONG})
    code = totp_code(world.user("officer_a"))
    response = client.post("/api/v1/auth/token/", {"username": "officer_a", "password": PASSWORD, "otp": code})
    assert response.status_code == 400
    assert "锁定" in response.json()["detail"]


@transactional
def test_parallel_bad_logins_lock_the_account():
    """Ten bad attempts at the same moment from ten connections: the counter row is locked for
    each check, so all are counted, and the next attempt — with the right password — is refused."""
    build_world()
    barrier = threading.Barrier(10)
    statuses: list[int] = []

    def attempt():
        try:
            barrier.wait()
            statuses.append(Client().post("/login/", {"username": "headmaster_a1", "password": WRONG}).status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * 10
    throttle = LoginThrottle.objects.get(username="headmaster_a1")
    assert throttle.failures >= 5 and throttle.locked_until > timezone.now()
    response = Client().post("/login/", {"username": "headmaster_a1", "password": PASSWORD})
    assert response.status_code == 200 and "锁定" in response.content.decode()


def test_session_key_changes_at_login(client, world):
    client.get("/login/")
    client.session.save()
    before = client.session.session_key
    client.post("/login/", {"username": "registrar_a1", "password": PASSWORD})
    assert client.session.session_key != before


def test_idle_session_ends_after_thirty_minutes(client, world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        login_with_code(client, world.user("registrar_a1"))
        clock.shift(timedelta(minutes=29))
        assert client.get("/pupils/").status_code == 200  # activity renews the 30 minutes
        clock.shift(timedelta(minutes=29))
        assert client.get("/pupils/").status_code == 200
        clock.shift(timedelta(minutes=31))
        response = client.get("/pupils/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_logout_ends_the_session_on_the_server(client, world):
    login_with_code(client, world.user("registrar_a1"))
    key = client.session.session_key
    stolen = Client()
    stolen.cookies["sessionid"] = key
    assert stolen.get("/pupils/").status_code == 200
    client.post("/logout/")
    assert not Session.objects.filter(session_key=key).exists()
    assert stolen.get("/pupils/").status_code == 302


def test_logout_needs_post(client, world):
    login_with_code(client, world.user("registrar_a1"))
    assert client.get("/logout/").status_code == 405
    assert client.get("/pupils/").status_code == 200


def test_login_redirects_only_to_this_site(client, world):
    client.post("/login/?next=https://evil.example/", {"username": "registrar_a1", "password": PASSWORD})
    response = client.post("/login/otp/", {"code": totp_code(world.user("registrar_a1"))})
    assert response["Location"] == "/"


def test_login_goes_on_to_the_page_asked_for_after_the_code(client, world):
    client.post("/login/?next=/pupils/", {"username": "registrar_a1", "password": PASSWORD, "next": "/pupils/"})
    response = client.post("/login/otp/", {"code": totp_code(world.user("registrar_a1"))})
    assert response["Location"] == "/pupils/"


def test_admin_login_goes_through_the_login_page(client, world):
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


# Sessions: absolute lifetime, and what ends them on the server ---------------------------------

def test_session_ends_after_twelve_hours_however_busy(client, world):
    with time_machine.travel(timezone.now(), tick=False) as clock:
        login_with_code(client, world.user("registrar_a1"))
        requests = 0
        for requests in range(1, 30):  # a request every 29 minutes: never idle
            clock.shift(timedelta(minutes=29))
            response = client.get("/pupils/")
            if response.status_code != 200:
                break
    elapsed_hours = 29 * requests / 60
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert 11.5 < elapsed_hours <= 12.5


@pytest.mark.parametrize("change", ["disable", "password", "reset_2fa"])
def test_disabling_a_password_change_or_a_2fa_reset_ends_every_session(change, world):
    from xueji.accounts.two_factor import devices_reset

    user = world.user("registrar_a1")
    first = login_with_code(Client(), user)
    second = login_with_code(Client(), user)
    assert first.get("/pupils/").status_code == 200 and second.get("/pupils/").status_code == 200
    user = User.objects.get(pk=user.pk)
    if change == "disable":
        user.is_active = False
        user.save()
    elif change == "password":
        user.set_password("Another#pass2026")
        user.save()
    else:
        devices_reset(user, actor=world.user("secadmin"))
    for client in (first, second):
        response = client.get("/pupils/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_re_enabling_a_user_brings_no_old_session_back(world):
    user = world.user("registrar_a1")
    client = login_with_code(Client(), user)
    key = client.session.session_key
    user.is_active = False
    user.save()
    user.is_active = True
    user.save()
    stolen = Client()
    stolen.cookies["sessionid"] = key
    response = stolen.get("/pupils/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert client.get("/pupils/").status_code == 302


def test_own_password_change_keeps_this_session_and_ends_the_others(world):
    user = world.user("registrar_a1")
    this, other = login_with_code(Client(), user), login_with_code(Client(), user)
    response = this.post("/password/", {"old_password": PASSWORD, "new_password1": "Fresh#harvest2027",
                                        "new_password2": "Fresh#harvest2027"})
    assert response.status_code == 302, response.content.decode()[:800]
    assert this.get("/pupils/").status_code == 200
    assert other.get("/pupils/").status_code == 302
