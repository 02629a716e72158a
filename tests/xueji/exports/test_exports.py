"""Data leaving the system (issue 13): every export of personal data is a request that the
bureau's leader in charge approves; the worker makes a de-identified, watermarked file whose
SHA-256 is recorded; the requester alone downloads it, within 24 hours, after a fresh code."""

import hashlib
import time
from datetime import timedelta

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from tests.conftest import transactional
from tests.factories import MembershipFactory, UserFactory
from tests.otp import totp_code
from tests.xueji.exports.helpers import add_leaders, approve, ask, data_rows, workbook_of
from tests.document_jobs import api_print_through_job
from xueji.accounts.models import AuditEntry, BureauSettings, LoginThrottle, Role
from xueji.accounts.scoping import NotInScope
from xueji.approvals.models import RequestStatus
from xueji.approvals.scoping import steps_waiting_for
from xueji.approvals.services import request_decide
from xueji.celery import app
from xueji.exports.models import ExportFile
from xueji.exports.selectors import get_export_request_for_user
from xueji.exports.watermark import SHEET_NAME
from xueji.pupils.models import Guardian, Pupil

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def leaders(world):
    add_leaders(world)
    return world


def another_officer_a(world):
    user = UserFactory(username="officer_a2")
    MembershipFactory(user=user, unit=world.units["county_a"], role=Role.COUNTY_OFFICER)
    world.users["officer_a2"] = user
    return user


def give_private_details(world):
    pupil = world.pupils["a1"]
    Pupil.objects.filter(pk=pupil.pk).update(address="吉林省长春市农安县农安镇幸福路 18 号 3 单元", hukou_address="吉林省长春市农安县宝塔街 5 号")
    Guardian.objects.filter(pupil=pupil, position=1).update(phone="13912345678")
    pupil.refresh_from_db()
    return pupil


def file_content(change) -> bytes:
    with ExportFile.objects.get(request=change).file.open("rb") as handle:
        return handle.read()


# Who approves -----------------------------------------------------------------------------------

def test_the_step_goes_to_the_leader_of_the_bureau_that_holds_the_data_within_one_working_day(leaders):
    change = ask(leaders, "registrar_a1")
    step = change.steps.get()
    assert (step.unit, step.role, step.working_days) == (leaders.units["county_a"], Role.LEADER, 1)
    assert step.due_at.date() <= (timezone.localtime(step.activated_at) + timedelta(days=4)).date()
    assert list(steps_waiting_for(leaders.user("leader_a"))) == [step]
    assert AuditEntry.objects.filter(action="export.request", user=leaders.user("registrar_a1")).exists()


def test_the_requester_cannot_approve_even_where_officers_may(leaders):
    BureauSettings.objects.update_or_create(bureau=leaders.units["county_a"], defaults={"export_officers_may_approve": True})
    change = ask(leaders, "officer_a")
    with pytest.raises(ValidationError) as refused:
        request_decide(actor=leaders.user("officer_a"), request_id=change.pk, approve=True)
    assert refused.value.code == "own_request"


def test_a_plain_officer_approves_only_where_the_bureau_allows_it(leaders):
    other = another_officer_a(leaders)
    change = ask(leaders, "registrar_a1")
    assert not steps_waiting_for(other).exists()
    with pytest.raises(ValidationError) as refused:
        request_decide(actor=other, request_id=change.pk, approve=True)
    assert refused.value.code == "not_decider"
    BureauSettings.objects.update_or_create(bureau=leaders.units["county_a"], defaults={"export_officers_may_approve": True})
    assert steps_waiting_for(other).count() == 1
    assert approve(leaders, change, "officer_a2").status == RequestStatus.APPROVED


def test_the_officer_or_leader_of_another_county_can_neither_see_nor_approve(leaders):
    change = ask(leaders, "officer_a")
    for username in ("officer_b", "leader_b", "registrar_b1"):
        with pytest.raises(NotInScope):
            get_export_request_for_user(leaders.user(username), change.pk)
        with pytest.raises(ValidationError) as refused:
            request_decide(actor=leaders.user(username), request_id=change.pk, approve=True)
        assert refused.value.code == "not_decider"


def test_a_county_officer_may_not_ask_for_a_school_of_another_county(leaders):
    with pytest.raises(NotInScope):
        ask(leaders, "officer_a", scope=leaders.units["b1"].pk)


# The file -----------------------------------------------------------------------------------------

def test_the_leader_approves_and_the_file_is_made_once_with_its_sha256(leaders):
    change = approve(leaders, ask(leaders, "officer_a"))
    export_file = ExportFile.objects.get(request=change)
    content = file_content(change)
    assert export_file.sha256 == hashlib.sha256(content).hexdigest() and export_file.size == len(content)
    assert export_file.rows == 4  # the county's four pupils
    assert export_file.expires_at - export_file.made_at == timedelta(hours=24)
    made = AuditEntry.objects.get(action="export.file_made")
    assert export_file.sha256 in made.detail and made.unit == leaders.units["county_a"]
    assert AuditEntry.objects.filter(action="export.decide", user=leaders.user("leader_a")).exists()
    assert change.notices.filter(unit=leaders.units["county_a"], key=f"export_ready:{change.pk}").exists()
    # The follow-up again (a redelivered task, the sweep): the same file.
    from xueji.exports.services import export_file_make

    assert export_file_make(change).pk == export_file.pk and ExportFile.objects.count() == 1


def test_the_file_is_masked_by_default_names_kept(leaders):
    pupil = give_private_details(leaders)
    _headers, rows = data_rows(file_content(approve(leaders, ask(leaders, "officer_a", scope=leaders.units["a1"].pk))))
    row = next(r for r in rows if r["*姓名"] == pupil.name)
    guardian = pupil.guardians.get(position=1)
    assert row["身份证件号"] == pupil.id_number[:4] + "*" * 10 + pupil.id_number[-4:]
    assert row["成员1身份证件号"] != guardian.id_number and "*" in row["成员1身份证件号"]
    assert row["*成员1联系电话"] == "139****5678"
    assert row["*现住址"] == "吉林省长春市****" and "户籍地址" not in row  # ours, not the national form's
    content = file_content(pupil_request := ExportFile.objects.get().request)
    assert pupil.id_number.encode() not in content and b"13912345678" not in content
    assert not ExportFile.objects.get(request=pupil_request).full_values


def test_full_values_only_when_asked_and_ticked(leaders):
    pupil = give_private_details(leaders)
    scope = leaders.units["a1"].pk
    asked_not_ticked = approve(leaders, ask(leaders, "officer_a", scope=scope, full=True), grant_full=False)
    _, rows = data_rows(file_content(asked_not_ticked))
    assert pupil.id_number not in {r["身份证件号"] for r in rows}

    asked_and_ticked = approve(leaders, ask(leaders, "officer_a", scope=scope, full=True), grant_full=True)
    _, rows = data_rows(file_content(asked_and_ticked))
    row = next(r for r in rows if r["*姓名"] == pupil.name)
    assert (row["身份证件号"], row["*成员1联系电话"]) == (pupil.id_number, "13912345678")
    assert row["*现住址"].startswith("吉林省长春市农安县农安镇幸福路")
    assert ExportFile.objects.get(request=asked_and_ticked).full_values

    not_asked = ask(leaders, "officer_a", scope=scope)
    with pytest.raises(ValidationError):
        request_decide(actor=leaders.user("leader_a"), request_id=not_asked.pk, approve=True,
                       details={"grant_full": True})


def test_asking_for_full_values_needs_a_reason(leaders):
    from enrollment.national.services import EXPORT_KEYS
    from xueji.exports.services import ExportAsk, export_request_start

    with pytest.raises(ValidationError) as refused:
        export_request_start(actor=leaders.user("officer_a"), membership=leaders.user("officer_a").memberships.get(),
                             ask=ExportAsk("national", "", list(EXPORT_KEYS), "statistics", "统计", full_values=True))
    assert "reason_for_full_values" in refused.value.message_dict


def test_the_file_carries_a_watermark_sheet_first(leaders):
    change = approve(leaders, ask(leaders, "officer_a", fields=["student_number", "name", "id_number"]))
    workbook = workbook_of(file_content(change))
    assert workbook.sheetnames[0] == SHEET_NAME
    lines = {row[0].value: row[1].value for row in workbook[SHEET_NAME].iter_rows()}
    officer = leaders.user("officer_a")
    assert lines["申请编号"] == f"数据导出 #{change.pk}"
    assert officer.full_name in lines["申请人"] and officer.username in lines["申请人"]
    assert lines["导出时间"].startswith(f"{timezone.localdate():%Y-%m-%d}")
    assert leaders.user("leader_a").full_name in lines["审批人"]
    assert "脱敏" in lines["个人信息"]
    headers, _rows = data_rows(file_content(change))
    assert headers == ["学籍号", "*姓名", "身份证件号"]  # only the fields asked for


# Downloading ----------------------------------------------------------------------------------------

def download(client, change, otp=None):
    data = {} if otp is None else {"otp": otp}
    return client.post(f"/exports/{change.pk}/file/", data)


def test_the_requester_downloads_with_a_fresh_code_once_per_code(leaders, login):
    change = approve(leaders, ask(leaders, "officer_a"))
    officer = leaders.user("officer_a")
    client = login(officer)
    assert download(client, change).status_code == 403
    wrong = download(client, change, "000000")
    assert wrong.status_code == 403 and "动态验证码不正确" in wrong.content.decode()
    assert LoginThrottle.objects.get(username="officer_a").failures == 1  # counts like any wrong code
    code = totp_code(officer)
    response = download(client, change, code)
    assert response.status_code == 200 and response["Content-Type"] == XLSX
    assert hashlib.sha256(response.content).hexdigest() == ExportFile.objects.get().sha256
    assert response["Cache-Control"] == "private, no-store"
    assert download(client, change, code).status_code == 403  # the same code again
    assert AuditEntry.objects.filter(action="export.download", user=officer).count() == 1
    assert AuditEntry.objects.filter(action="export.download_refused", user=officer).count() == 3
    page = client.get(f"/exports/{change.pk}/").content.decode()
    assert ExportFile.objects.get().sha256 in page and 'name="otp"' in page


def test_no_one_else_downloads(leaders, login, client):
    change = approve(leaders, ask(leaders, "officer_a"))
    city = login(leaders.user("city_officer"))  # sees the request (the bureau above)
    refused = download(city, change, totp_code(leaders.user("city_officer")))
    assert refused.status_code == 403 and "只有申请人本人" in refused.content.decode()
    client.logout()
    other = login(leaders.user("officer_b"))
    assert download(other, change, totp_code(leaders.user("officer_b"))).status_code == 404
    assert AuditEntry.objects.filter(action="lookup.denied", user=leaders.user("officer_b")).exists()
    assert not AuditEntry.objects.filter(action="export.download").exists()


def test_no_download_after_24_hours(leaders, login):
    change = approve(leaders, ask(leaders, "officer_a"))
    officer = leaders.user("officer_a")
    with time_machine.travel(timezone.now() + timedelta(hours=24, minutes=1)):
        client = login(officer)
        response = download(client, change, totp_code(officer))
        assert response.status_code == 410 and "下载期限已过" in response.content.decode()
        assert 'name="otp"' not in client.get(f"/exports/{change.pk}/").content.decode()


def test_the_file_is_deleted_once_its_time_has_passed_and_its_record_stays(leaders):
    from xueji.exports.tasks import expire_export_files

    change = approve(leaders, ask(leaders, "officer_a"))
    export_file = ExportFile.objects.get(request=change)
    stored = export_file.file.name
    storage = export_file.file.storage
    assert expire_export_files.apply().get() == 0  # still within its 24 hours
    with time_machine.travel(export_file.expires_at + timedelta(minutes=1)):
        assert expire_export_files.apply().get() == 1
    export_file.refresh_from_db()
    assert not storage.exists(stored) and export_file.file.name == ""
    assert len(export_file.sha256) == 64 and export_file.rows == 4  # what left is still recorded


def test_no_download_before_approval(leaders, login):
    change = ask(leaders, "officer_a")
    officer = leaders.user("officer_a")
    assert download(login(officer), change, totp_code(officer)).status_code == 409


# The API ---------------------------------------------------------------------------------------------

def test_the_api_asks_shows_the_state_and_hands_the_file_with_a_code_in_a_header(leaders, api_as):
    api = api_as("officer_a")
    created = api.post("/api/v1/exports/", {
        "kind": "national", "scope": str(leaders.units["a1"].pk), "fields": ["student_number", "name", "id_number"],
        "purpose": "national_upload", "purpose_text": "上报", "full_values": False,
    }, format="json")
    assert created.status_code == 201, created.content.decode()
    body = created.json()
    assert (body["status"], body["file"], body["downloadable"]) == ("pending", None, False)
    change = get_export_request_for_user(leaders.user("officer_a"), body["id"])
    approve(leaders, change)
    state = api.get(f"/api/v1/exports/{change.pk}/").json()
    assert state["status"] == "approved" and state["downloadable"] and len(state["file"]["sha256"]) == 64
    assert api.get(f"/api/v1/exports/{change.pk}/file/").json()["code"] == "otp_required"
    officer = leaders.user("officer_a")
    response = api.get(f"/api/v1/exports/{change.pk}/file/", HTTP_X_OTP=totp_code(officer))
    assert response.status_code == 200 and hashlib.sha256(response.content).hexdigest() == state["file"]["sha256"]
    response = api.post(f"/api/v1/exports/{change.pk}/file/", {"otp": totp_code(officer)}, format="json")
    assert response.status_code == 200
    assert api_as("officer_b").get(f"/api/v1/exports/{change.pk}/").status_code == 404
    assert [r["id"] for r in api.get("/api/v1/exports/").json()] == [change.pk]


def test_the_api_refuses_a_role_that_may_not_ask(leaders, api_as):
    answer = api_as("city_officer").post("/api/v1/exports/", {
        "kind": "national", "purpose": "statistics", "purpose_text": "统计"}, format="json")
    assert answer.status_code == 403


def test_direct_endpoints_require_an_export_request(leaders, api_as):
    answer = api_as("officer_a").get("/api/v1/enrollment/national-export/")
    assert answer.status_code == 403 and answer.json()["export_request_required"] is True


def test_exports_without_personal_data_need_no_request(leaders, api_as):
    # No export request: the statistics' spreadsheet is written by a worker (reports/jobs.py)
    # and downloaded from its job.
    answer = api_print_through_job(api_as("officer_a"), "/api/v1/statistics/export.xlsx")
    assert answer.status_code == 200 and answer["Content-Type"] == XLSX


# The pages ------------------------------------------------------------------------------------------

def test_the_form_asks_and_the_leader_decides_on_the_engines_page(leaders, login, client):
    officer = login(leaders.user("officer_a"))
    form = officer.get(f"/exports/new/?kind=national&scope={leaders.units['a1'].pk}")
    assert form.status_code == 200 and "申请导出" in form.content.decode()
    other_county = officer.get(f"/exports/new/?kind=national&scope={leaders.units['b1'].pk}")
    assert other_county.status_code == 404
    missing = officer.post("/exports/new/?kind=national", {"scope": "", "purpose": "", "purpose_text": ""})
    assert missing.status_code == 200 and "请至少选择一个字段" in missing.content.decode()
    response = officer.post("/exports/new/?kind=national", {
        "scope": str(leaders.units["a1"].pk), "fields": ["student_number", "name"], "purpose": "statistics",
        "purpose_text": "统计", "full_values": "on", "reason_for_full_values": "核对"})
    assert response.status_code == 302
    change = get_export_request_for_user(leaders.user("officer_a"), response["Location"].split("/")[-2])
    client.logout()
    leader = login(leaders.user("leader_a"))
    assert f"/requests/{change.pk}/" in leader.get("/inbox/").content.decode()
    page = leader.get(f"/requests/{change.pk}/").content.decode()
    assert 'name="grant_full"' in page
    leader.post(f"/requests/{change.pk}/decide/", {"decision": "approve", "grant_full": "on"})
    change.refresh_from_db()
    assert change.status == "approved" and change.payload["full_values_granted"] is True


# A real worker --------------------------------------------------------------------------------------

@transactional
def test_a_worker_makes_the_file_after_the_approval_commits(world):
    add_leaders(world)
    change = ask(world, "officer_a")
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        with transaction.atomic():
            request_decide(actor=world.user("leader_a"), request_id=change.pk, approve=True)
        deadline = time.monotonic() + 60
        while not ExportFile.objects.filter(request=change).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
    export_file = ExportFile.objects.get(request=change)
    with export_file.file.open("rb") as handle:
        assert hashlib.sha256(handle.read()).hexdigest() == export_file.sha256


def test_a_rejected_export_makes_no_file_and_says_who_refused(leaders):
    change = ask(leaders, "officer_a")
    request_decide(actor=leaders.user("leader_a"), request_id=change.pk, approve=False, comment="用途不明确")
    change.refresh_from_db()
    assert change.status == RequestStatus.REJECTED and not ExportFile.objects.exists()
    entry = AuditEntry.objects.get(action="export.decide")
    assert entry.user == leaders.user("leader_a") and "退回" in entry.detail
