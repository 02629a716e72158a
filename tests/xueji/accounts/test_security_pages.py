"""The security admin's pages (xueji/accounts/security_views.py): the accounts of the subtree with
their state, the search by POST, and each action — confirmed, done, audited with before and
after — and who may do it to whom."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import login_with_code
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from xueji.accounts.audit import audit_record
from xueji.accounts.credentials import account_seal
from xueji.accounts.models import AddressThrottle, AuditEntry, LoginThrottle, Membership, Role

WRONG = "Wrong#password1"


def signed_in(world, name: str) -> Client:
    return login_with_code(Client(), world.user(name))


def url(world, name: str, action: str = "") -> str:
    base = f"/security/accounts/{world.user(name).pk}/"
    return f"{base}{action}/" if action else base


def lock(username: str) -> None:
    LoginThrottle.objects.update_or_create(
        username=username, defaults={"failures": 5, "locked_until": timezone.now() + timedelta(minutes=15)},
    )


def test_the_list_shows_the_subtree_with_each_accounts_state(world):
    lock("registrar_a1")
    account_seal(world.user("headmaster_a1"))
    TOTPDevice.objects.filter(user=world.user("registrar_a2")).delete()
    client = signed_in(world, "secadmin_a")
    body = client.get("/security/accounts/").content.decode()
    assert "registrar_a1" in body and "central_a3" in body and "officer_a" in body
    assert "registrar_b1" not in body and "officer_b" not in body and "city_officer" not in body
    assert "锁定至" in body and "已封存" in body and "未绑定" in body
    assert re.findall(r"/security/accounts/(\d+)/", client.get("/security/accounts/?state=locked").content.decode()) == [
        str(world.user("registrar_a1").pk)
    ]
    sealed = client.get("/security/accounts/?state=sealed").content.decode()
    assert "headmaster_a1" in sealed and "registrar_a1" not in sealed
    # The city's security admin sees both counties.
    city = signed_in(world, "secadmin").get("/security/accounts/").content.decode()
    assert "registrar_a1" in city and "registrar_b1" in city


def test_the_search_is_posted_and_kept_out_of_the_address(world):
    client = signed_in(world, "secadmin")
    response = client.post("/security/accounts/", {"q": "headmaster"})
    assert response.status_code == 302 and "headmaster" not in response["Location"]
    body = client.get(response["Location"]).content.decode()
    assert "headmaster_a1" in body and "headmaster_b1" in body and "registrar_a1" not in body
    body = client.get("/security/accounts/").content.decode()  # kept in the session for paging
    assert "registrar_a1" not in body
    client.post("/security/accounts/", {"clear": "1"})
    assert "registrar_a1" in client.get("/security/accounts/").content.decode()


def test_unsealing_confirms_then_lets_the_user_in_and_is_audited(world):
    registrar = world.user("registrar_a1")
    account_seal(registrar)
    refused = Client().post("/login/", {"username": "registrar_a1", "password": PASSWORD})
    assert "封存" in refused.content.decode()
    client = signed_in(world, "secadmin_a")
    confirm = client.get(url(world, "registrar_a1", "unseal"))
    assert confirm.status_code == 200 and "确定解除该账号的封存吗" in confirm.content.decode()
    registrar.refresh_from_db()
    assert registrar.sealed_at is not None  # a GET changes nothing
    response = client.post(url(world, "registrar_a1", "unseal"))
    assert response.status_code == 302 and response["Location"] == url(world, "registrar_a1")
    registrar.refresh_from_db()
    assert registrar.sealed_at is None
    entry = AuditEntry.objects.get(action="account.unseal")
    assert entry.user == world.user("secadmin_a") and entry.object_id == str(registrar.pk)
    assert "→ 解除" in entry.detail
    login_with_code(Client(), registrar)  # the user logs in again


def test_unlocking_a_login_lock(world, client):
    for _ in range(5):
        client.post("/login/", {"username": "registrar_a1", "password": WRONG})
    assert LoginThrottle.objects.get(username="registrar_a1").locked_until is not None
    admin = signed_in(world, "secadmin_a")
    assert "解除登录锁定" in admin.get(url(world, "registrar_a1")).content.decode()
    assert admin.post(url(world, "registrar_a1", "unlock")).status_code == 302
    row = LoginThrottle.objects.get(username="registrar_a1")
    assert (row.failures, row.locked_until) == (0, None)
    entry = AuditEntry.objects.get(action="login.unlock")
    assert entry.user == world.user("secadmin_a") and "失败 5 次" in entry.detail and "→ 已解除" in entry.detail
    assert Client().post("/login/", {"username": "registrar_a1", "password": PASSWORD}).status_code == 302


def test_resetting_the_second_factor_ends_the_sessions(world):
    registrar = world.user("registrar_a1")
    session = signed_in(world, "registrar_a1")
    assert session.get("/").status_code == 200
    admin = signed_in(world, "secadmin_a")
    assert "重置动态验证码" in admin.get(url(world, "registrar_a1", "otp-reset")).content.decode()
    assert admin.post(url(world, "registrar_a1", "otp-reset")).status_code == 302
    assert not TOTPDevice.objects.filter(user=registrar).exists() and not StaticDevice.objects.filter(user=registrar).exists()
    assert session.get("/")["Location"].startswith("/login/")  # the old session has ended
    entry = AuditEntry.objects.get(action="otp.reset")
    assert entry.user == world.user("secadmin_a") and entry.object_id == str(registrar.pk)
    assert AuditEntry.objects.filter(action="credentials.revoke", object_id=str(registrar.pk)).exists()


def test_a_password_reset_shows_a_temporary_password_once(world):
    registrar = world.user("registrar_a1")
    session = signed_in(world, "registrar_a1")
    admin = signed_in(world, "secadmin_a")
    response = admin.post(url(world, "registrar_a1", "password-reset"))
    assert response.status_code == 200
    body = response.content.decode()
    password = re.search(r'id="temporary-password">([^<]+)<', body).group(1)
    assert "只显示这一次" in body
    registrar.refresh_from_db()
    assert registrar.check_password(password) and registrar.must_change_password
    assert session.get("/")["Location"].startswith("/login/")  # the old session has ended
    entry = AuditEntry.objects.get(action="password.reset")
    assert entry.user == world.user("secadmin_a") and "否 → 是" in entry.detail
    assert password not in " ".join(AuditEntry.objects.values_list("detail", flat=True))
    # Nothing of it stays: the account's page does not show it again.
    assert password not in admin.get(url(world, "registrar_a1")).content.decode()
    # The user logs in with it and is sent to set a password of their own.
    fresh = Client()
    assert fresh.post("/login/", {"username": "registrar_a1", "password": password}).status_code == 302
    from tests.otp import totp_code

    fresh.post("/login/otp/", {"code": totp_code(registrar)})
    assert fresh.get("/")["Location"].startswith("/password/")


def test_a_county_security_admin_cannot_act_on_another_countys_account(world):
    target = world.user("registrar_b1")
    account_seal(target)
    lock("registrar_b1")
    client = signed_in(world, "secadmin_a")
    assert client.get(url(world, "registrar_b1")).status_code == 404
    for action in ("unlock", "unseal", "otp-reset", "password-reset"):
        assert client.get(url(world, "registrar_b1", action)).status_code == 404, action
        assert client.post(url(world, "registrar_b1", action)).status_code == 404, action
    response = client.post(url(world, "registrar_b1", "roles"),
                           {"unit": world.units["a1"].pk, "role": Role.HEAD_TEACHER, "confirm": "1"})
    assert response.status_code == 404
    membership = Membership.objects.get(user=target)
    assert client.post(f"{url(world, 'registrar_b1')}roles/{membership.pk}/revoke/").status_code == 404
    target.refresh_from_db()
    assert target.sealed_at is not None and TOTPDevice.objects.filter(user=target).exists()
    assert LoginThrottle.objects.get(username="registrar_b1").locked_until is not None
    assert Membership.objects.filter(pk=membership.pk).exists()
    assert AuditEntry.objects.filter(action="lookup.denied", user=world.user("secadmin_a")).exists()


def test_the_admins_of_a_bureau_are_looked_after_from_above(world):
    client = signed_in(world, "secadmin")  # the city's security admin
    # Its peers at the city, and itself: shown, but not acted on.
    for name, reason in (("sysadmin", "由上级单位的安全管理员处理"), ("auditor", "由上级单位的安全管理员处理"),
                         ("secadmin", "不能在这里处理自己的账号")):
        page = client.get(url(world, name))
        assert page.status_code == 200 and reason in page.content.decode(), name
        assert client.get(url(world, name, "password-reset")).status_code == 403, name
        assert client.post(url(world, name, "password-reset")).status_code == 403, name
    # A county's security admin is the city's to look after.
    lock("secadmin_a")
    assert client.post(url(world, "secadmin_a", "unlock")).status_code == 302
    assert LoginThrottle.objects.get(username="secadmin_a").locked_until is None


@pytest.mark.parametrize("name", ["registrar_a1", "officer_a", "city_officer", "sysadmin", "auditor"])
def test_only_security_admins_reach_the_pages(world, name):
    client = signed_in(world, name)
    for page in ("/security/accounts/", url(world, "registrar_a1"), url(world, "registrar_a1", "unseal"),
                 "/security/addresses/"):
        assert client.get(page).status_code == 403, page
    assert client.post(url(world, "registrar_a1", "unseal")).status_code == 403


def test_granting_and_revoking_roles(world):
    client = signed_in(world, "secadmin")
    registrar = world.user("registrar_b1")
    grant = url(world, "registrar_b1", "roles")
    confirm = client.post(grant, {"unit": world.units["b1"].pk, "role": Role.HEAD_TEACHER})
    assert confirm.status_code == 200 and "确认授予" in confirm.content.decode()
    assert not Membership.objects.filter(user=registrar, role=Role.HEAD_TEACHER).exists()
    assert client.post(grant, {"unit": world.units["b1"].pk, "role": Role.HEAD_TEACHER, "confirm": "1"}).status_code == 302
    added = Membership.objects.get(user=registrar, role=Role.HEAD_TEACHER)
    entry = AuditEntry.objects.filter(action="permission.grant", object_id=str(registrar.pk)).latest("id")
    assert entry.unit == world.units["b1"] and entry.user == world.user("secadmin")
    # An admin role beside a school role: refused, with the reason on the page.
    page = client.post(grant, {"unit": world.units["county_b"].pk, "role": Role.AUDIT_ADMIN, "confirm": "1"})
    assert page.status_code == 200 and "三员分立" in page.content.decode()
    # The wrong kind of unit for the role: refused by the form.
    page = client.post(grant, {"unit": world.units["county_b"].pk, "role": Role.REGISTRAR, "confirm": "1"})
    assert page.status_code == 200 and not Membership.objects.filter(user=registrar, unit=world.units["county_b"]).exists()
    # A county's three, by the city's security admin.
    newcomer = UserFactory(username="sysadmin_b")
    MembershipFactory(user=newcomer, unit=world.units["county_b"], role=Role.SYSTEM_ADMIN)
    response = client.post(f"/security/accounts/{newcomer.pk}/roles/",
                           {"unit": world.units["county_a"].pk, "role": Role.SYSTEM_ADMIN, "confirm": "1"})
    assert response.status_code == 302
    assert newcomer.memberships.count() == 2
    # Revoking: confirmed, audited; the last membership stays.
    revoke = f"{url(world, 'registrar_b1')}roles/{added.pk}/revoke/"
    assert "确定收回" in client.get(revoke).content.decode()
    assert client.post(revoke).status_code == 302
    assert not Membership.objects.filter(pk=added.pk).exists()
    assert AuditEntry.objects.filter(action="permission.revoke", object_id=str(registrar.pk)).exists()
    last = registrar.memberships.get()
    client.post(f"{url(world, 'registrar_b1')}roles/{last.pk}/revoke/")
    assert Membership.objects.filter(pk=last.pk).exists()


def test_address_lockouts_of_the_subtree(world):
    later = timezone.now() + timedelta(minutes=15)
    ours = AddressThrottle.objects.create(address="10.1.1.1", failures=20, locked_until=later, last_failure_at=timezone.now())
    theirs = AddressThrottle.objects.create(address="10.2.2.2", failures=20, locked_until=later, last_failure_at=timezone.now())
    audit_record(action="login.failed", result="failed", ip="10.1.1.1", unit=world.units["a1"], username="registrar_a1")
    audit_record(action="login.failed", result="failed", ip="10.2.2.2", unit=world.units["b1"], username="registrar_b1")
    client = signed_in(world, "secadmin_a")
    body = client.get("/security/addresses/").content.decode()
    assert "10.1.1.1" in body and "10.2.2.2" not in body
    assert client.get(f"/security/addresses/{theirs.pk}/unlock/").status_code == 404
    assert client.post(f"/security/addresses/{theirs.pk}/unlock/").status_code == 404
    assert "确定解除地址 10.1.1.1" in client.get(f"/security/addresses/{ours.pk}/unlock/").content.decode()
    assert client.post(f"/security/addresses/{ours.pk}/unlock/").status_code == 302
    ours.refresh_from_db()
    theirs.refresh_from_db()
    assert (ours.failures, ours.locked_until) == (0, None) and theirs.locked_until is not None
    assert AuditEntry.objects.filter(action="login.unlock", user=world.user("secadmin_a"), detail__contains="10.1.1.1").exists()
    city = signed_in(world, "secadmin").get("/security/addresses/").content.decode()
    assert "10.2.2.2" in city
