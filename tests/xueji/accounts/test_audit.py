"""The audit log: what is written, what is never written, who reads it, and that it cannot be
changed."""

import re

import pytest
from django.db import ProgrammingError, connection, transaction

from tests.conftest import api_token
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.otp import totp_code
from xueji.accounts.audit import audit_record, scrub
from xueji.accounts.models import AuditEntry, Membership, Role
from xueji.accounts.scoping import audit_entries_visible_to


def test_login_success_and_failure_are_logged_with_ip(client, world):
    registrar = world.user("registrar_a1")
    client.post("/login/", {"username": "registrar_a1", "password": "wrong-password-1"}, REMOTE_ADDR="10.1.2.3")
    client.post("/login/", {"username": "registrar_a1", "password": PASSWORD}, REMOTE_ADDR="10.1.2.3")
    client.post("/login/otp/", {"code": totp_code(registrar)}, REMOTE_ADDR="10.1.2.3")
    failed = AuditEntry.objects.get(action="login.failed")
    ok = AuditEntry.objects.get(action="login")
    code = AuditEntry.objects.get(action="login.otp")
    assert (failed.result, failed.username, failed.ip) == ("failed", "registrar_a1", "10.1.2.3")
    assert (ok.result, ok.user, ok.role, ok.unit) == ("ok", registrar, Role.REGISTRAR, world.units["a1"])
    assert (code.result, code.user, code.ip) == ("ok", registrar, "10.1.2.3")


def test_viewing_a_pupil_is_logged(login, world):
    client = login(world.user("officer_a"))
    pupil = world.pupils["a1"]
    client.get(f"/pupils/{pupil.pk}/")
    entry = AuditEntry.objects.filter(action="pupil.view").latest("id")
    assert (entry.user, entry.object_type, entry.object_id) == (world.user("officer_a"), "pupil", str(pupil.pk))
    assert entry.role == Role.COUNTY_OFFICER


def test_api_view_of_a_pupil_is_logged_with_the_token_user(client, world):
    token = api_token("registrar_a1")
    pupil = world.pupils["a1"]
    client.get(f"/api/v1/pupils/{pupil.pk}/", HTTP_AUTHORIZATION=f"Token {token}")
    entry = AuditEntry.objects.filter(action="pupil.view").latest("id")
    assert entry.user == world.user("registrar_a1")


def test_writes_are_logged(world):
    from xueji.pupils.services import pupil_update

    pupil_update(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], changes={"address": "新地址"})
    entry = AuditEntry.objects.filter(action="pupil.update").latest("id")
    assert entry.user == world.user("registrar_a1") and "现住址" in entry.detail


def test_permission_changes_are_logged(world):
    user = world.user("registrar_b1")
    membership = Membership.objects.create(user=user, unit=world.units["b2"], role=Role.REGISTRAR)
    membership.delete()
    user.is_staff = True
    user.save()
    actions = list(AuditEntry.objects.filter(object_id=str(user.pk), object_type="user").order_by("id").values_list("action", flat=True))
    assert actions[-3:] == ["permission.grant", "permission.revoke", "permission.change"]


def test_id_numbers_and_passwords_never_reach_the_log(world, client):
    pupil = world.pupils["a1"]
    audit_record(action="test", detail=f"核对 {pupil.id_number} 与 password=Secret#12345")
    client.post("/login/", {"username": pupil.id_number, "password": "Xueji#2026demo"})
    rows = AuditEntry.objects.values_list("detail", "object_repr", "username")
    text = " ".join(" ".join(row) for row in rows)
    assert pupil.id_number not in text.replace(pupil.id_number[:4] + "*" * 10 + pupil.id_number[-4:], "")
    assert "Secret#12345" not in text


def test_scrub_masks_id_like_numbers():
    assert scrub("证件 220122201803141234，电话 13900000000") == "证件 2201**********1234，电话 1390***0000"
    assert "E1234" not in scrub("护照 E12345678")


def test_entries_cannot_be_changed_or_deleted(world):
    """The application's role holds no UPDATE or DELETE on the log (the owner's trigger refusing
    too is tested in test_audit_chain.py)."""
    entry = audit_record(action="test", detail="原文")
    attempts = [
        lambda: AuditEntry.objects.filter(pk=entry.pk).update(detail="改过"),
        lambda: AuditEntry.objects.filter(pk=entry.pk).delete(),
        lambda: entry.delete(),
    ]
    for attempt in attempts:
        with pytest.raises(ProgrammingError, match="permission denied for table xueji_auditentry"), transaction.atomic():
            attempt()
    for sql in ("UPDATE xueji_auditentry SET detail = 'x' WHERE id = %s", "DELETE FROM xueji_auditentry WHERE id = %s"):
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [entry.pk])
    entry.refresh_from_db()
    assert entry.detail == "原文"


def test_the_audit_admin_reads_the_log_of_its_subtree_only(login, world):
    auditor_a = UserFactory(username="auditor_a")
    MembershipFactory(user=auditor_a, unit=world.units["county_a"], role=Role.AUDIT_ADMIN)
    for name in ("registrar_a1", "registrar_b1"):
        login(world.user(name)).get(f"/pupils/{world.pupils[name[-2:]].pk}/")
    county_a = audit_entries_visible_to(auditor_a)
    assert county_a.filter(username="registrar_a1").exists()
    assert not county_a.filter(username="registrar_b1").exists()
    # 三员分立: the audit admin's alone; the bureaus and the other admins no longer read it.
    for name in ("registrar_a1", "officer_a", "city_officer", "sysadmin", "secadmin"):
        assert not audit_entries_visible_to(world.user(name)).exists(), name
    page = login(auditor_a).get("/audit/")
    assert page.status_code == 200
    body = page.content.decode()
    assert "registrar_a1" in body and "registrar_b1" not in body
    assert login(world.user("officer_a")).get("/audit/").status_code == 404


def test_log_text_contains_no_full_id_number_after_pupil_pages(login, world):
    client = login(world.user("registrar_a1"))
    pupil = world.pupils["a1"]
    client.get(f"/pupils/{pupil.pk}/")
    client.get(f"/pupils/?q={pupil.id_number}")
    for detail, repr_ in AuditEntry.objects.values_list("detail", "object_repr"):
        assert not re.search(r"\d{17}[\dX]", detail + repr_)


def test_audit_page_speaks_chinese_and_filters_by_action(login, world):
    login(world.user("officer_a")).get(f"/pupils/{world.pupils['a1'].pk}/")
    body = login(world.user("auditor")).get("/audit/?action=pupil.view").content.decode()
    assert "查看学籍" in body and "县级教育局学籍管理员" in body
    assert ">登录<" not in body.split("<tbody>")[1]  # only the chosen action is listed


def test_update_entry_names_the_changed_fields_in_chinese(world):
    from xueji.pupils.services import pupil_update

    pupil_update(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], changes={"name": "张晓明"})
    entry = AuditEntry.objects.filter(action="pupil.update").latest("id")
    assert entry.detail == "修改字段：姓名"  # derived fields (pinyin, search keys) are not listed
