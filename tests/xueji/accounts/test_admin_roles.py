"""The Django admin of the three admins (三员分立, xueji/accounts/admin_roles.py): each admin sees
only its models and its subtree, foreign keys offer only the subtree, only the superuser sets
is_staff/is_superuser, the system admin creates accounts with a first password to change but
changes no one's password, admin roles are granted only below the granter, and every add, change
and delete is audited with the values before and after."""

import re

import pytest
from django.test import Client

from tests.conftest import login_with_code
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from xueji.accounts.models import AuditEntry, BureauSettings, LoginThrottle, Membership, Role, School, User
from xueji.calendar.models import CalendarDay

SYSTEM_MODELS = {"division", "unit", "school", "bureau", "centralschool", "user", "membership", "bureausettings",
                 "calendarday", "calendaryear", "schoolyear"}
SECURITY_MODELS = {"membership", "loginthrottle", "addressthrottle"}
AUDIT_MODELS = {"auditentry"}
ALL_MODELS = SYSTEM_MODELS | SECURITY_MODELS | AUDIT_MODELS


def signed_in(world, name: str) -> Client:
    return login_with_code(Client(), world.user(name))


def admin_of(world, name: str, unit: str, role: str):
    """One more admin, e.g. county A's system admin."""
    user = UserFactory(username=name)
    MembershipFactory(user=user, unit=world.units[unit], role=role)
    world.users[name] = user
    return user


def models_on_index(client) -> set[str]:
    body = client.get("/admin/").content.decode()
    return set(re.findall(r'href="/admin/xueji/([a-z]+)/"', body))


@pytest.mark.parametrize("name, expected", [
    ("sysadmin", SYSTEM_MODELS), ("secadmin", SECURITY_MODELS), ("auditor", AUDIT_MODELS),
])
def test_each_admin_sees_only_its_models(world, name, expected):
    client = signed_in(world, name)
    assert models_on_index(client) == expected
    for model in sorted(ALL_MODELS):
        status = client.get(f"/admin/xueji/{model}/").status_code
        assert status == (200 if model in expected else 403), (name, model, status)
    assert client.get("/admin/xueji/pupil/").status_code == 404  # pupils are not in the admin at all


def test_the_superuser_sees_every_model(world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = login_with_code(Client(), root)
    assert models_on_index(client) >= ALL_MODELS


def test_the_admin_site_is_closed_to_everyone_else(world):
    for name in ("registrar_a1", "officer_a", "city_officer"):
        response = signed_in(world, name).get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/"), name


def test_a_county_system_admin_sees_its_subtree_only(world):
    admin_of(world, "sysadmin_a", "county_a", Role.SYSTEM_ADMIN)
    BureauSettings.objects.create(bureau=world.units["county_a"])
    settings_b = BureauSettings.objects.create(bureau=world.units["county_b"])
    client = signed_in(world, "sysadmin_a")
    schools = client.get("/admin/xueji/school/").content.decode()
    assert "农安县实验小学" in schools and "合隆镇陈家店小学" in schools and "榆树市实验小学" not in schools
    users = client.get("/admin/xueji/user/").content.decode()
    assert "registrar_a1" in users and "registrar_b1" not in users and "city_officer" not in users
    memberships = client.get("/admin/xueji/membership/").content.decode()
    assert "农安县实验小学" in memberships and "榆树市实验小学" not in memberships
    settings_page = client.get("/admin/xueji/bureausettings/").content.decode()
    assert "农安县教育局 的设置" in settings_page and "榆树市教育局 的设置" not in settings_page
    # Another county's objects do not exist here: the admin sends the user back to its index.
    for url in (f"/admin/xueji/school/{world.units['b1'].pk}/change/",
                f"/admin/xueji/user/{world.user('registrar_b1').pk}/change/",
                f"/admin/xueji/bureausettings/{settings_b.pk}/change/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == "/admin/", url
    # Its own bureau is kept by the city's system admin: shown, not changed.
    own = client.get(f"/admin/xueji/bureau/{world.units['county_a'].pk}/change/").content.decode()
    assert 'name="_save"' not in own


def test_foreign_keys_offer_the_subtree_only(world):
    admin_of(world, "sysadmin_a", "county_a", Role.SYSTEM_ADMIN)
    client = signed_in(world, "sysadmin_a")
    form = client.get("/admin/xueji/membership/add/").content.decode()
    options = set(re.findall(r'<option value="(\d+)"', form))
    assert str(world.user("registrar_a1").pk) in options and str(world.user("registrar_b1").pk) not in options
    assert "农安县实验小学" in form and "榆树市实验小学" not in form
    # A school under another county, posted anyway, is refused.
    response = client.post("/admin/xueji/school/add/", {
        "name": "越权的学校", "code": "2122018299", "school_type": "primary",
        "parent": world.units["county_b"].pk, "division": "220182", "township": "华昌街道",
    })
    assert response.status_code == 200
    assert not School.objects.filter(code="2122018299").exists()
    # Granting a role at another county's school, posted anyway, is refused.
    response = client.post("/admin/xueji/membership/add/", {
        "user": world.user("registrar_a1").pk, "unit": world.units["b1"].pk, "role": Role.HEAD_TEACHER,
    })
    assert response.status_code == 200
    assert not Membership.objects.filter(user=world.user("registrar_a1"), unit=world.units["b1"]).exists()


def test_the_system_admin_creates_an_account_whose_first_password_must_be_changed(world):
    client = signed_in(world, "sysadmin")
    response = client.post("/admin/xueji/user/add/", {
        "username": "registrar_new", "full_name": "新来的老师", "phone": "",
        "unit": world.units["a2"].pk, "role": Role.REGISTRAR,
        "password1": "Hulan#river2026", "password2": "Hulan#river2026",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    user = User.objects.get(username="registrar_new")
    assert user.must_change_password and not user.is_staff and not user.is_superuser
    assert list(user.memberships.values_list("unit", "role")) == [(world.units["a2"].pk, Role.REGISTRAR)]
    entry = AuditEntry.objects.get(action="admin.add", object_type="user", object_id=str(user.pk))
    assert entry.user == world.user("sysadmin") and entry.unit == world.units["a2"]
    assert "用户名（— → registrar_new）" in entry.detail and "农安县第一中学 学籍管理员" in entry.detail
    # Its first login leads to the password change.
    fresh = Client()
    assert fresh.post("/login/", {"username": "registrar_new", "password": "Hulan#river2026"}).status_code == 302
    response = fresh.get("/")
    assert response.status_code == 302 and response["Location"].startswith("/password/")


def test_the_system_admin_grants_no_admin_role_and_sets_no_password(world):
    client = signed_in(world, "sysadmin")
    response = client.post("/admin/xueji/user/add/", {
        "username": "would_be_admin", "full_name": "某人", "phone": "", "unit": world.units["county_a"].pk,
        "role": Role.SECURITY_ADMIN, "password1": "Hulan#river2026", "password2": "Hulan#river2026",
    })
    assert response.status_code == 200 and not User.objects.filter(username="would_be_admin").exists()
    response = client.post("/admin/xueji/membership/add/", {
        "user": world.user("officer_a").pk, "unit": world.units["county_a"].pk, "role": Role.AUDIT_ADMIN,
    })
    assert response.status_code == 200
    assert not Membership.objects.filter(user=world.user("officer_a"), role=Role.AUDIT_ADMIN).exists()
    registrar = world.user("registrar_a1")
    assert client.get(f"/admin/xueji/user/{registrar.pk}/password/").status_code == 403
    change = client.get(f"/admin/xueji/user/{registrar.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in change and 'name="is_staff"' not in change and "/password/" not in change
    response = client.post(f"/admin/xueji/user/{registrar.pk}/change/", {
        "username": "registrar_a1", "full_name": "王老师", "phone": "", "email": "", "is_active": "on",
        "is_staff": "on", "is_superuser": "on", "password": "x",
        "memberships-TOTAL_FORMS": "0", "memberships-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    registrar.refresh_from_db()
    assert registrar.full_name == "王老师" and not registrar.is_staff and not registrar.is_superuser
    assert registrar.check_password(PASSWORD)
    # The admins of its own bureau are the security admin's above: not the system admin's.
    secadmin = world.user("secadmin")
    assert 'name="_save"' not in client.get(f"/admin/xueji/user/{secadmin.pk}/change/").content.decode()


def test_admin_roles_are_granted_only_below_the_granter(world):
    candidate = UserFactory(username="candidate_b")
    MembershipFactory(user=candidate, unit=world.units["county_b"], role=Role.SECURITY_ADMIN)
    client = signed_in(world, "secadmin")  # the city's security admin
    # A county's admin role, by the city's security admin: granted.
    response = client.post("/admin/xueji/membership/add/", {
        "user": candidate.pk, "unit": world.units["county_a"].pk, "role": Role.SECURITY_ADMIN,
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    # At the city itself: refused; to itself: refused; beside another kind of role: refused.
    refused = [
        {"user": candidate.pk, "unit": world.units["city"].pk, "role": Role.SECURITY_ADMIN},
        {"user": world.user("secadmin").pk, "unit": world.units["county_a"].pk, "role": Role.SECURITY_ADMIN},
        {"user": world.user("secadmin").pk, "unit": world.units["a1"].pk, "role": Role.REGISTRAR},
        {"user": candidate.pk, "unit": world.units["county_a"].pk, "role": Role.AUDIT_ADMIN},
        {"user": world.user("officer_b").pk, "unit": world.units["county_b"].pk, "role": Role.SYSTEM_ADMIN},
    ]
    for data in refused:
        response = client.post("/admin/xueji/membership/add/", data)
        assert response.status_code == 200, data
        assert not Membership.objects.filter(user_id=data["user"], unit_id=data["unit"], role=data["role"]).exists()
    # County A's security admin cannot make county A's admins (they are the city's to make) ...
    from xueji.accounts.admin_roles import GRANT_ADMIN_BELOW_MESSAGE, grant_refusal

    assert grant_refusal(world.user("secadmin_a"), user=None, unit=world.units["county_a"], role=Role.SYSTEM_ADMIN,
                         acting_role=Role.SECURITY_ADMIN) == GRANT_ADMIN_BELOW_MESSAGE
    # ... nor change or remove its own admin membership.
    county = signed_in(world, "secadmin_a")
    own = Membership.objects.get(user=world.user("secadmin_a"))
    assert county.get(f"/admin/xueji/membership/{own.pk}/delete/").status_code == 403
    assert county.post(f"/admin/xueji/membership/{own.pk}/delete/", {"post": "yes"}).status_code == 403
    assert Membership.objects.filter(pk=own.pk).exists()


def test_every_add_change_and_delete_is_audited_with_before_and_after(world):
    client = signed_in(world, "sysadmin")
    school = world.units["a1"]
    response = client.post(f"/admin/xueji/school/{school.pk}/change/", {
        "name": "农安县实验小学（新校区）", "code": school.code, "school_type": school.school_type,
        "parent": school.parent_id, "division": "220122", "township": school.township, "is_county_town": "on",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    change = AuditEntry.objects.get(action="admin.change", object_type="school", object_id=str(school.pk))
    assert "名称（农安县实验小学 → 农安县实验小学（新校区））" in change.detail
    assert change.unit == school and change.role == Role.SYSTEM_ADMIN

    response = client.post("/admin/xueji/calendarday/add/", {"date": "2031-10-01", "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 302, response.content.decode()[:3000]
    day = CalendarDay.objects.get(date="2031-10-01")
    add = AuditEntry.objects.get(action="admin.add", object_type="calendarday")
    assert "名称（— → 国庆节）" in add.detail
    assert client.post(f"/admin/xueji/calendarday/{day.pk}/delete/", {"post": "yes"}).status_code == 302
    delete = AuditEntry.objects.get(action="admin.delete", object_type="calendarday")
    assert "名称（国庆节 → —）" in delete.detail and delete.object_id == str(day.pk)

    # A membership removed from the user's page (an inline row) is audited too.
    registrar = world.user("registrar_a2")
    membership = registrar.memberships.get()
    extra = Membership.objects.create(user=registrar, unit=world.units["a2"], role=Role.HEAD_TEACHER)
    response = client.post(f"/admin/xueji/user/{registrar.pk}/change/", {
        "username": registrar.username, "full_name": registrar.full_name, "phone": "", "email": "", "is_active": "on",
        "memberships-TOTAL_FORMS": "2", "memberships-INITIAL_FORMS": "2",
        "memberships-0-id": membership.pk, "memberships-0-user": registrar.pk, "memberships-0-unit": world.units["a2"].pk,
        "memberships-0-role": Role.REGISTRAR,
        "memberships-1-id": extra.pk, "memberships-1-user": registrar.pk, "memberships-1-unit": world.units["a2"].pk,
        "memberships-1-role": Role.HEAD_TEACHER, "memberships-1-DELETE": "on",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    assert not Membership.objects.filter(pk=extra.pk).exists()
    removed = AuditEntry.objects.get(action="admin.delete", object_type="membership", object_id=str(extra.pk))
    assert "角色（班主任 → —）" in removed.detail and removed.unit == world.units["a2"]


def test_the_break_glass_superuser_is_audited_like_anyone(world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = login_with_code(Client(), root)
    response = client.post("/admin/xueji/calendarday/add/", {"date": "2031-10-02", "kind": "holiday", "name": "国庆节"})
    assert response.status_code == 302, response.content.decode()[:3000]
    entry = AuditEntry.objects.get(action="admin.add", object_type="calendarday")
    assert entry.user == root and entry.username == "root"


def test_the_audit_admin_reads_its_subtree_in_the_admin(world):
    admin_of(world, "auditor_a", "county_a", Role.AUDIT_ADMIN)
    from xueji.accounts.audit import audit_record

    audit_record(action="test", unit=world.units["a1"], username="someone_a", detail="甲")
    audit_record(action="test", unit=world.units["b1"], username="someone_b", detail="乙")
    body = signed_in(world, "auditor_a").get("/admin/xueji/auditentry/?action=test").content.decode()
    assert "someone_a" in body and "someone_b" not in body
    city = signed_in(world, "auditor").get("/admin/xueji/auditentry/?action=test").content.decode()
    assert "someone_a" in city and "someone_b" in city
    entry = AuditEntry.objects.filter(action="test").first()
    assert signed_in(world, "auditor").post(f"/admin/xueji/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_security_admin_sees_the_lockouts_of_its_subtree(world):
    from django.utils import timezone

    later = timezone.now() + timezone.timedelta(minutes=10)
    LoginThrottle.objects.create(username="registrar_a1", failures=5, locked_until=later)
    LoginThrottle.objects.create(username="registrar_b1", failures=5, locked_until=later)
    client = signed_in(world, "secadmin_a")
    body = client.get("/admin/xueji/loginthrottle/").content.decode()
    assert "registrar_a1" in body and "registrar_b1" not in body
    rows = {row.username: row.pk for row in LoginThrottle.objects.all()}
    response = client.post("/admin/xueji/loginthrottle/", {
        "action": "unlock", "_selected_action": [rows["registrar_a1"], rows["registrar_b1"]],
    })
    assert response.status_code == 302
    assert LoginThrottle.objects.get(username="registrar_a1").locked_until is None
    assert LoginThrottle.objects.get(username="registrar_b1").locked_until is not None  # not its county's


def test_a_password_the_superuser_sets_is_temporary_and_audited(world):
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client = login_with_code(Client(), root)
    registrar = world.user("registrar_a1")
    response = client.post(f"/admin/xueji/user/{registrar.pk}/password/", {
        "password1": "Hulan#river2026", "password2": "Hulan#river2026", "usable_password": "true",
    })
    assert response.status_code == 302, response.content.decode()[:3000]
    registrar.refresh_from_db()
    assert registrar.check_password("Hulan#river2026") and registrar.must_change_password
    entry = AuditEntry.objects.get(action="password.reset", object_id=str(registrar.pk))
    assert entry.user == root and "Hulan#river2026" not in entry.detail
