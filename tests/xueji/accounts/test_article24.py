"""Article 24 of the 2025 学籍管理办法 (issue 12): passwords changed regularly and not reused,
a change forced at the first login of an account an admin made or reset, accounts unused for 180
days sealed, leavers out at once."""

import itertools
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from tests.conftest import api_token, login_with_code
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.otp import totp_code
from xueji.accounts.credentials import SEALED_MESSAGE, account_unseal, idle_accounts_seal
from xueji.accounts.models import AuditEntry, BureauSettings, Role, User
from xueji.accounts.tasks import seal_idle_accounts


def _change(client, old, new):
    return client.post("/password/", {"old_password": old, "new_password1": new, "new_password2": new})


def test_the_last_five_passwords_cannot_be_used_again(world):
    user = world.user("registrar_a1")
    client = login_with_code(Client(), user)
    passwords = [PASSWORD] + [f"Spring#river{n}x" for n in range(1, 6)]
    for old, new in itertools.pairwise(passwords):
        assert _change(client, old, new).status_code == 302
    current = passwords[-1]
    # The current one and the four before it are refused; the sixth back is allowed again.
    for reused in passwords[-5:]:
        response = _change(client, current, reused)
        assert response.status_code == 200 and "最近 5 次" in response.content.decode(), reused
    assert _change(client, current, PASSWORD).status_code == 302


def test_history_validator_alone(world):
    user = User.objects.get(username="registrar_a1")
    with pytest.raises(ValidationError) as error:
        validate_password(PASSWORD, user)
    assert "最近 5 次" in error.value.messages[0]


def test_an_account_an_admin_made_must_change_its_password_at_first_login(world):
    user = UserFactory(username="made_by_admin")
    user.must_change_password = True
    user.save()
    MembershipFactory(user=user, unit=world.units["a1"], role=Role.HEADMASTER)
    client = Client()
    client.post("/login/", {"username": "made_by_admin", "password": PASSWORD})
    response = client.post("/login/otp/", {"code": totp_code(user)})
    assert response["Location"] == "/password/"
    assert client.get("/pupils/")["Location"] == "/password/"
    page = client.get("/password/").content.decode()
    assert "初始密码" in page
    assert _change(client, PASSWORD, "Own#choice2026x").status_code == 302
    assert client.get("/").status_code == 200
    user.refresh_from_db()
    assert not user.must_change_password
    # The API is closed to it before the change, too.
    other = UserFactory(username="made_too")
    other.must_change_password = True
    other.save()
    MembershipFactory(user=other, unit=world.units["a1"], role=Role.HEAD_TEACHER)
    from rest_framework.test import APIClient

    answer = APIClient().post("/api/v1/auth/token/", {"username": "made_too", "password": PASSWORD}, format="json")
    assert answer.status_code == 400 and "修改密码" in answer.json()["detail"]


def test_an_admin_reset_asks_for_a_change_at_the_next_login(world):
    user = User.objects.get(username="officer_a")
    user._password_set_by_admin = True
    user.set_password("Temp#reset2026x")
    user.save()
    user.refresh_from_db()
    assert user.must_change_password


def test_a_password_older_than_ninety_days_must_be_changed(world):
    user = world.user("registrar_a1")
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        client = Client()
        client.post("/login/", {"username": "registrar_a1", "password": PASSWORD})
        response = client.post("/login/otp/", {"code": totp_code(user)})
        assert response["Location"] == "/password/"
        assert "超过有效期" in client.get("/password/").content.decode()


def test_the_password_age_is_a_bureau_setting(world):
    BureauSettings.objects.create(bureau=world.units["county_a"], password_max_age_days=180)
    with time_machine.travel(timezone.now() + timedelta(days=91), tick=False):
        client = login_with_code(Client(), world.user("registrar_a1"))
        assert client.get("/pupils/").status_code == 200


def test_accounts_unused_for_180_days_are_sealed_by_the_nightly_task(world):
    user = world.user("registrar_b1")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(days=181))
    User.objects.filter(username="registrar_a1").update(last_login=timezone.now() - timedelta(days=179))
    assert seal_idle_accounts.apply().get() >= 1
    user.refresh_from_db()
    assert user.sealed_at is not None
    assert User.objects.get(username="registrar_a1").sealed_at is None
    assert AuditEntry.objects.filter(action="account.seal", object_id=str(user.pk)).exists()


def test_never_used_accounts_count_from_their_creation(world):
    with time_machine.travel(timezone.now() + timedelta(days=200), tick=False):
        sealed = idle_accounts_seal()
    assert sealed >= len({user.pk for user in world.users.values()})


def test_a_sealed_account_is_told_so_and_nothing_else_and_cannot_use_a_token(world):
    client_token = api_token("registrar_b1")
    user = User.objects.get(username="registrar_b1")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(days=181))
    idle_accounts_seal()
    page = Client().post("/login/", {"username": "registrar_b1", "password": PASSWORD})
    assert page.status_code == 200
    body = page.content.decode()
    assert SEALED_MESSAGE in body and "registrar_b1" not in body.replace('value="registrar_b1"', "")
    # With a wrong password nothing is said about the seal.
    wrong = Client().post("/login/", {"username": "registrar_b1", "password": "Wrong#password1"})
    assert SEALED_MESSAGE not in wrong.content.decode()
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {client_token}")
    assert api.get("/api/v1/pupils/").status_code == 401
    answer = APIClient().post("/api/v1/auth/token/", {"username": "registrar_b1", "password": PASSWORD,
                                                      "otp": totp_code(user)}, format="json")
    assert answer.status_code == 400 and answer.json()["detail"] == SEALED_MESSAGE


def test_unsealing_lets_the_user_in_again_and_is_audited(world):
    user = world.user("registrar_b1")
    User.objects.filter(pk=user.pk).update(last_login=timezone.now() - timedelta(days=181))
    idle_accounts_seal()
    user.refresh_from_db()
    account_unseal(user, actor=world.user("secadmin"))
    assert login_with_code(Client(), user).get("/pupils/").status_code == 200
    entry = AuditEntry.objects.get(action="account.unseal")
    assert entry.user == world.user("secadmin")
    # Filed under the account's school: county B's auditor reads what the city's admin did there.
    assert entry.unit_path.startswith(world.units["county_b"].path)
    assert idle_accounts_seal() == 0  # the last use counts from the unsealing


def test_a_leaver_is_out_at_once_and_the_inbox_stays_with_the_unit(world):
    """Removing a headmaster's membership takes effect on the next request; the school's steps
    wait on the school's headmaster role, so the new headmaster sees them."""
    leaver = world.user("headmaster_a1")
    client = login_with_code(Client(), leaver)
    assert client.get("/pupils/").status_code == 200
    leaver.memberships.all().delete()
    assert client.get("/pupils/").status_code in (403, 404) or "张小明" not in client.get("/pupils/").content.decode()
    successor = UserFactory(username="new_headmaster_a1")
    MembershipFactory(user=successor, unit=world.units["a1"], role=Role.HEADMASTER)
    page = login_with_code(Client(), successor).get("/pupils/").content.decode()
    assert "张小明" in page
