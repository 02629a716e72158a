"""The audit log is the audit admin's alone (三员分立): its page and its exports (xlsx, CSV) show
the entries of the audit admin's subtree only; bureau officers and the other admins no longer
read it; every export is itself audited."""

import csv
import io

import pytest
from django.test import Client
from openpyxl import load_workbook

from tests.conftest import login_with_code
from tests.factories import MembershipFactory, UserFactory
from xueji.accounts.audit import audit_record
from xueji.accounts.models import AuditEntry, Role
from xueji.accounts.scoping import audit_entries_visible_to, can_read_audit_log


def signed_in(world, name: str) -> Client:
    return login_with_code(Client(), world.user(name))


def auditor_of(world, name: str, unit: str):
    user = UserFactory(username=name)
    MembershipFactory(user=user, unit=world.units[unit], role=Role.AUDIT_ADMIN)
    world.users[name] = user
    return user


@pytest.fixture
def entries(world):
    audit_record(action="pupil.view", unit=world.units["a1"], username="reader_a1", detail="县A的记录")
    audit_record(action="pupil.view", unit=world.units["a3"], username="reader_a3", detail="=HYPERLINK(\"http://x\")")
    audit_record(action="pupil.view", unit=world.units["b1"], username="reader_b1", detail="县B的记录")
    audit_record(action="login.failed", username="nobody_known", detail="未知用户名")
    return world


@pytest.mark.parametrize("name", ["officer_a", "city_officer", "sysadmin", "secadmin", "registrar_a1"])
def test_no_one_but_the_audit_admin_reads_the_log(world, name):
    assert not can_read_audit_log(world.user(name))
    assert not audit_entries_visible_to(world.user(name)).exists()
    client = signed_in(world, name)
    assert client.get("/audit/").status_code in (403, 404)
    assert client.post("/audit/export/", {"format": "xlsx"}).status_code in (403, 404)
    assert "/audit/" not in client.get("/").content.decode()  # nor a way to it


def test_the_audit_admin_reads_its_subtree(entries):
    world = entries
    auditor_of(world, "auditor_a", "county_a")
    county = {e.username for e in audit_entries_visible_to(world.user("auditor_a"))}
    assert {"reader_a1", "reader_a3"} <= county and not county & {"reader_b1", "nobody_known"}
    city = {e.username for e in audit_entries_visible_to(world.user("auditor"))}
    assert {"reader_a1", "reader_a3", "reader_b1"} <= city and "nobody_known" not in city
    # The province's audit admin (the top of the tree) also reads the entries filed under no unit.
    auditor_of(world, "auditor_p", "province")
    assert audit_entries_visible_to(world.user("auditor_p")).filter(username="nobody_known").exists()
    body = signed_in(world, "auditor_a").get("/audit/?action=pupil.view").content.decode()
    assert "reader_a1" in body and "reader_b1" not in body and "农安县教育局及下级单位" in body


def _approved_audit_export(world, auditor: str, leader_unit: str, **filters):
    """The audit admin asks (the page's export button leads to the export request), the leader in
    charge of its bureau approves, the worker's follow-up makes the file."""
    from urllib.parse import parse_qs, urlparse

    from tests.factories import MembershipFactory, UserFactory
    from xueji.accounts.models import Membership, Role
    from xueji.approvals.services import request_decide, request_follow_up
    from xueji.exports.models import ExportFile
    from xueji.exports.services import ExportAsk, export_file_run, export_request_start

    client = signed_in(world, auditor)
    response = client.post("/audit/export/", {"format": "xlsx", **filters})
    assert response.status_code == 302
    form = client.get(response["Location"])  # the request's form, the filters as its scope
    assert form.status_code == 200 and "查看学籍" in form.content.decode()
    query = parse_qs(urlparse(response["Location"]).query)
    assert query["kind"] == ["audit"]
    user = world.user(auditor)
    change = export_request_start(actor=user, membership=Membership.objects.get(user=user), ask=ExportAsk(
        "audit", query.get("scope", [""])[0], ["all"], "audit", "年度审计检查"))
    leader = UserFactory(username=f"leader_{leader_unit}")
    MembershipFactory(user=leader, unit=world.units[leader_unit], role=Role.LEADER)
    assert change.steps.get().unit == world.units[leader_unit]
    request_decide(actor=leader, request_id=change.pk, approve=True)
    request_follow_up(change.pk)  # queues the file's making, which the documents queue's worker does
    export_file_run(change.pk)
    export_file = ExportFile.objects.get(request=change)
    with export_file.file.open("rb") as handle:
        return export_file, handle.read()


def test_the_xlsx_export_holds_the_subtree_only_and_is_audited(entries):
    world = entries
    auditor_of(world, "auditor_a", "county_a")
    _export_file, content = _approved_audit_export(world, "auditor_a", "county_a", action="pupil.view")
    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames == ["导出说明", "审计日志"]
    sheet = workbook["审计日志"]
    rows = list(sheet.iter_rows(min_row=4, values_only=True))
    usernames = {row[1] for row in rows}
    assert usernames == {"reader_a1", "reader_a3"}
    details = {row[11] for row in rows}
    assert "'=HYPERLINK(\"http://x\")" in details  # text, never a formula
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    entry = AuditEntry.objects.get(action="export.file_made")
    assert entry.unit == world.units["county_a"] and "2 条" in entry.detail


def test_the_csv_export_holds_the_subtree_only(entries, monkeypatch):
    from xueji.exports import audit_log

    monkeypatch.setattr(audit_log, "XLSX_MAX_ROWS", 1)  # more entries than a workbook takes: a CSV
    world = entries
    export_file, content = _approved_audit_export(world, "auditor", "city", action="pupil.view")
    assert export_file.filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    start = next(i for i, row in enumerate(rows) if row and row[0] == "时间") + 1
    assert rows[0][0] == "申请编号"  # the watermark first
    usernames = {row[1] for row in rows[start:]}
    assert usernames == {"reader_a1", "reader_a3", "reader_b1"}
    assert any(row[11].startswith("'=") for row in rows[start:])


def test_export_is_a_post(entries):
    client = signed_in(entries, "auditor")
    assert client.get("/audit/export/?format=xlsx").status_code == 405
