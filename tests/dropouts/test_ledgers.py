"""The three ledgers of the 2024 notice (dropouts/ledgers.py): which child is on which ledger, the
closing rules (销号), the 30-day flag, the school's monthly report signed by the headmaster only,
the county's quarterly review by township, the API's scoping and the export's masking."""

from datetime import date, datetime, timedelta
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from dropouts import ledgers, reports, services
from dropouts.exports import DropoutLedgersExportKind
from dropouts.models import Absence, LedgerEntry, LedgerKind, MonthlyDropoutReport
from enrollment.admission.models import AdmissionEntry
from tests.dropouts.helpers import absent_days, log_absences
from tests.factories import id_number, make_pupil
from xueji.accounts.models import AuditEntry, Membership
from xueji.codes import Gender, IdType
from xueji.exports.registry import ExportJob

TODAY = date(2026, 11, 20)  # a Friday, a school day
NOW = datetime(2026, 11, 20, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def admit(world, key="a1", name="孙小雨", year=2026, **extra) -> AdmissionEntry:
    birth = date(year - 7, 3, 5)
    return AdmissionEntry.objects.create(
        school=world.units[key], intake_year=year, name=name, gender=Gender.FEMALE, birth_date=birth,
        id_type=IdType.RESIDENT_ID, id_number=extra.pop("number", None) or id_number("220122", birth, Gender.FEMALE),
        imported_by=world.user("officer_a"), **extra,
    )


def sync(world, today=TODAY, keys=("a1", "a2", "a3", "b1")):
    return ledgers.ledger_sync(schools=[world.units[k] for k in keys], today=today)


def rows(world, user, kind, today=TODAY, **kw):
    return ledgers.ledger_rows(world.user(user), kind, today, **kw)


def suspect(world, key="a1"):
    if f"registrar_{key}" in world.users:
        log_absences(world.user(f"registrar_{key}"), world.pupils[key], absent_days(TODAY, 10))
    else:  # A3 has no registrar in the world: its head teacher's log, written as it stands
        Absence.objects.bulk_create(Absence(pupil=world.pupils[key], day=day, recorded_by=world.user("central_a3"))
                                    for day in absent_days(TODAY, 10))


# Which ledger ---------------------------------------------------------------------------------

def test_admitted_never_registered_is_not_enrolled_once_school_has_begun(world, frozen):
    admit(world, name="孙小雨")
    admit(world, name="已报到", number=id_number("220122", date(2019, 4, 1), Gender.FEMALE), arrived_on=date(2026, 9, 1))
    # Admitted here but registered as a pupil elsewhere (same ID number): in school.
    elsewhere = make_pupil(world.units["a2"], world.classes["a2_8_1"], name="外校生")
    admit(world, name="外校生", number=elsewhere.id_number)
    assert sync(world, today=date(2026, 9, 14)) == {"opened": 0, "closed": 0}  # registration weeks
    assert sync(world) == {"opened": 1, "closed": 0}
    [row] = rows(world, "registrar_a1", LedgerKind.NOT_ENROLLED)
    assert (row.name, row.school.pk, row.township) == ("孙小雨", world.units["a1"].pk, "农安镇")
    assert "未报到、未建立学籍" in row.reason and row.is_open
    assert sync(world) == {"opened": 0, "closed": 0}  # idempotent


def test_the_daily_sync_finds_every_school_s_children(world, frozen):
    from dropouts.tasks import sync_ledgers

    admit(world, "b1", "周小北", number=id_number("220182", date(2019, 2, 2), Gender.FEMALE))
    suspect(world, "a1")
    assert sync_ledgers() == {"opened": 2, "closed": 0}
    assert sorted((e.kind, e.school_id) for e in LedgerEntry.objects.all()) == sorted([
        (LedgerKind.NOT_ENROLLED, world.units["b1"].pk), (LedgerKind.SUSPECTED, world.units["a1"].pk)])
    assert sync_ledgers() == {"opened": 0, "closed": 0}


def test_not_enrolled_closes_when_the_child_arrives(world, frozen):
    entry = admit(world)
    sync(world)
    AdmissionEntry.objects.filter(pk=entry.pk).update(arrived_on=TODAY)
    assert sync(world) == {"opened": 0, "closed": 1}
    closed = LedgerEntry.objects.get(admission_id=entry.pk)
    assert closed.close_reason == LedgerEntry.CloseReason.ENROLLED and closed.closed_on == TODAY
    # Once on the ledger: a later run does not open the child again.
    AdmissionEntry.objects.filter(pk=entry.pk).update(arrived_on=None)
    assert sync(world) == {"opened": 0, "closed": 0}


def test_ten_unexplained_days_put_the_pupil_on_the_suspected_ledger(world, frozen):
    log_absences(world.user("registrar_a1"), world.pupils["a1"], absent_days(TODAY, 9))
    sync(world)
    assert rows(world, "registrar_a1", LedgerKind.SUSPECTED) == []
    suspect(world)
    sync(world)
    [row] = rows(world, "registrar_a1", LedgerKind.SUSPECTED)
    assert row.name == "张小明" and "连续10个教学日无故缺课" in row.reason
    assert row.student_number == world.pupils["a1"].student_number


def test_confirming_moves_the_pupil_from_suspected_to_dropout(world, frozen):
    suspect(world)
    sync(world)
    services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], contacts_tried="电话三次",
                             today=TODAY)
    [entry] = LedgerEntry.objects.filter(kind=LedgerKind.SUSPECTED)
    assert entry.close_reason == LedgerEntry.CloseReason.CONFIRMED and entry.closed_on == TODAY
    assert rows(world, "registrar_a1", LedgerKind.SUSPECTED, open_only=True) == []
    [row] = rows(world, "registrar_a1", LedgerKind.DROPOUT)
    assert row.name == "张小明" and row.result == "劝返中"


def test_a_suspect_back_in_class_is_closed_as_returned(world):
    with time_machine.travel(NOW, tick=False):
        suspect(world)
        sync(world)
    later = TODAY + timedelta(days=7)  # no absence recorded since: the run has ended
    assert sync(world, today=later) == {"opened": 0, "closed": 1}
    assert LedgerEntry.objects.get().close_reason == LedgerEntry.CloseReason.RETURNED


# Closing rules --------------------------------------------------------------------------------

def test_manual_closing_rules(world, frozen):
    admit(world)
    sync(world)
    entry = LedgerEntry.objects.get()
    registrar = world.user("registrar_a1")
    with pytest.raises(ValidationError) as refused:
        ledgers.entry_close(actor=registrar, entry=entry, reason=LedgerEntry.CloseReason.RETURNED, note="x")
    assert "只能以" in str(refused.value)
    with pytest.raises(ValidationError) as refused:
        ledgers.entry_close(actor=registrar, entry=entry, reason=LedgerEntry.CloseReason.ELSEWHERE, note=" ")
    assert "销号依据" in str(refused.value)
    with pytest.raises(ValidationError) as refused:  # a seven-year-old is far from 16
        ledgers.entry_close(actor=registrar, entry=entry, reason=LedgerEntry.CloseReason.AGED_OUT, note="满16")
    assert "年满16周岁" in str(refused.value)
    with pytest.raises(PermissionDenied):  # the headmaster logs attempts but does not close
        ledgers.entry_close(actor=world.user("headmaster_a1"), entry=entry, reason="elsewhere", note="在长春就读")
    ledgers.attempt_add(actor=world.user("headmaster_a1"), entry=entry, day=TODAY, method="home_visit",
                        result="家长称已在长春市就读")
    ledgers.entry_close(actor=registrar, entry=entry, reason=LedgerEntry.CloseReason.ELSEWHERE, note="长春市某小学就读")
    entry.refresh_from_db()
    assert entry.closed_on == TODAY and entry.closed_by == registrar
    with pytest.raises(ValidationError):  # a closed row takes no more attempts
        ledgers.attempt_add(actor=registrar, entry=entry, day=TODAY, method="phone", result="再次联系")
    [row] = rows(world, "officer_a", LedgerKind.NOT_ENROLLED)
    assert row.attempts[0].result == "家长称已在长春市就读" and row.result.startswith("已在其他地方就学")


def test_the_law_s_end_closes_rows_at_sixteen(world):
    """A row stays open until the child turns 16, then leaves the ledger as 年满16周岁."""
    pupil = world.pupils["a1"]
    with time_machine.travel(NOW, tick=False):
        suspect(world)
        entry = admit(world)
        sync(world)
    child_16 = ledgers.sixteenth_birthday(entry.birth_date)
    pupil_16 = ledgers.sixteenth_birthday(pupil.birth_date)
    # The day before: nothing reaches the law's end (the pupil's run is over: back in class).
    sync(world, today=child_16 - timedelta(days=1))
    assert LedgerEntry.objects.get(admission_id=entry.pk).is_open
    sync(world, today=child_16)
    closed = LedgerEntry.objects.get(admission_id=entry.pk)
    assert closed.close_reason == LedgerEntry.CloseReason.AGED_OUT and closed.closed_on == child_16
    # Reaching 16 is the reason whatever else is true that day.
    LedgerEntry.objects.filter(pupil=pupil).update(closed_on=None, close_reason="")
    sync(world, today=pupil_16)
    assert LedgerEntry.objects.get(pupil=pupil).close_reason == LedgerEntry.CloseReason.AGED_OUT


def test_a_suspect_closed_as_back_is_not_opened_again_for_the_same_absences(world, frozen):
    suspect(world)
    sync(world)
    entry = LedgerEntry.objects.get()
    ledgers.entry_close(actor=world.user("registrar_a1"), entry=entry, reason=LedgerEntry.CloseReason.RETURNED,
                        note="今天已返校上课")
    assert sync(world) == {"opened": 0, "closed": 0}
    assert LedgerEntry.objects.count() == 1


# The 30-day flag ------------------------------------------------------------------------------

def test_open_longer_than_30_days_is_flagged(world):
    with time_machine.travel(NOW, tick=False):
        admit(world)
        sync(world)
    [row] = rows(world, "officer_a", LedgerKind.NOT_ENROLLED, today=TODAY + timedelta(days=30))
    assert row.days_open == 30 and not row.open_too_long
    [row] = rows(world, "officer_a", LedgerKind.NOT_ENROLLED, today=TODAY + timedelta(days=31))
    assert row.days_open == 31 and row.open_too_long


# The quarterly review -------------------------------------------------------------------------

def test_quarterly_review_breaks_down_by_township(world):
    with time_machine.travel(datetime(2026, 10, 9, 10, tzinfo=ZoneInfo("Asia/Shanghai")), tick=False):
        admit(world, "a1", "孙小雨")
        admit(world, "a3", "钱小花", number=id_number("220122", date(2019, 6, 1), Gender.FEMALE))
        sync(world, today=date(2026, 10, 9))
    with time_machine.travel(NOW, tick=False):
        suspect(world, "a3")
        sync(world)
        review = reports.quarterly_review(world.user("officer_a"), "2026Q4", TODAY)
        by = {line.township: line for line in review.lines}
        assert set(by) == {"农安镇", "合隆镇"}
        assert by["农安镇"].figures[LedgerKind.NOT_ENROLLED]["open_end"] == 1
        assert by["合隆镇"].figures[LedgerKind.NOT_ENROLLED]["open_end"] == 1
        assert by["合隆镇"].figures[LedgerKind.SUSPECTED]["opened"] == 1
        assert by["农安镇"].figures[LedgerKind.SUSPECTED]["opened"] == 0
        assert review.totals.figures[LedgerKind.NOT_ENROLLED]["open_end"] == 2
        # Opened on 9 October: 42 days by 20 November; the suspect of today is not.
        assert sorted(r.name for r in review.too_long) == ["孙小雨", "钱小花"]
        assert by["合隆镇"].open_too_long == 1
        # The central school sees its township only; the other county nothing.
        central = reports.quarterly_review(world.user("central_a3"), "2026Q4", TODAY)
        assert [line.township for line in central.lines] == ["合隆镇"]
        assert reports.quarterly_review(world.user("officer_b"), "2026Q4", TODAY).lines == []
        with pytest.raises(ValidationError):
            reports.quarterly_review(world.user("officer_a"), "2027Q1", TODAY)


# The monthly report ---------------------------------------------------------------------------

def test_monthly_report_is_made_by_the_registrar_and_signed_by_the_headmaster_only(world, frozen):
    admit(world)
    report = reports.report_make(actor=world.user("registrar_a1"), school=world.units["a1"], month=date(2026, 11, 1))
    assert [(f["label"], f["open_end"]) for f in report.figures["ledgers"]] == [("适龄未入学", 1), ("疑似辍学", 0), ("辍学", 0)]
    report.refresh_from_db()  # the order survives the database
    assert [f["kind"] for f in report.figures["ledgers"]] == ["not_enrolled", "suspected", "dropout"]
    assert [r["name"] for r in report.figures["rows"]] == ["孙小雨"]
    for user in ("registrar_a1", "officer_a", "headmaster_a2"):
        with pytest.raises(PermissionDenied):
            reports.report_sign(actor=world.user(user), report=report)
    with pytest.raises(PermissionDenied):
        reports.report_make(actor=world.user("headmaster_a1"), school=world.units["a1"], month=date(2026, 11, 1))
    reports.report_sign(actor=world.user("headmaster_a1"), report=report)
    report.refresh_from_db()
    assert report.signed_by == world.user("headmaster_a1") and report.signed_at == NOW
    assert AuditEntry.objects.filter(action="dropout.report_sign", user=world.user("headmaster_a1")).exists()
    with pytest.raises(ValidationError):
        reports.report_sign(actor=world.user("headmaster_a1"), report=report)
    with pytest.raises(ValidationError) as refused:  # a signed report is kept as signed
        reports.report_make(actor=world.user("registrar_a1"), school=world.units["a1"], month=date(2026, 11, 1))
    assert "已签字" in str(refused.value)
    with pytest.raises(ValidationError):
        reports.parse_month("2026-12", TODAY)
    assert MonthlyDropoutReport.objects.count() == 1


def test_monthly_report_pages_sign_and_print(world, frozen, login, client):
    admit(world)
    report = reports.report_make(actor=world.user("registrar_a1"), school=world.units["a1"], month=date(2026, 11, 1))
    login(world.user("registrar_a1"))
    assert client.post(f"/dropouts/monthly/{report.pk}/sign/").status_code == 403
    # What a registrar can type: a month that is not one, a month not begun; shown, nothing made.
    for month, message in (("2026-13", "请选择月份"), ("下个月", "请选择月份"), ("2027-01", "只能生成已经开始的月份")):
        answer = client.post("/dropouts/monthly/make/", {"month": month})
        assert answer.status_code == 200 and message in answer.content.decode()
    assert MonthlyDropoutReport.objects.count() == 1
    client.logout()
    login(world.user("headmaster_a1"))
    page = client.get(f"/dropouts/monthly/{report.pk}/").content.decode()
    assert "校长签字" in page and "孙小雨" in page
    assert client.post(f"/dropouts/monthly/{report.pk}/sign/").status_code == 302
    report.refresh_from_db()
    assert report.is_signed
    pdf = client.get(f"/dropouts/monthly/{report.pk}/print.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


# Pages, API, audit ----------------------------------------------------------------------------

def test_ledger_page_is_audited_and_scoped(world, frozen, login, client):
    admit(world, "a1", "孙小雨")
    admit(world, "b1", "周小北", number=id_number("220182", date(2019, 2, 2), Gender.FEMALE))
    sync(world)
    login(world.user("officer_a"))
    page = client.get("/dropouts/ledgers/?kind=not_enrolled").content.decode()
    assert "孙小雨" in page and "周小北" not in page
    assert AuditEntry.objects.filter(action="dropout.ledger_view", user=world.user("officer_a")).exists()
    review = client.get("/dropouts/review/")
    assert review.status_code == 200 and "township-breakdown" in review.content.decode()
    assert client.get("/dropouts/review/?quarter=2026Q9").status_code == 302  # told, and sent to this quarter
    assert client.get("/dropouts/ledgers/?kind=nope&school=99999").status_code == 200
    pdf = client.get("/dropouts/review/print.pdf?quarter=2026Q4")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    # The export goes through an export request, its form offering the county and its schools.
    form = client.get("/exports/new/?kind=dropout_ledgers")
    assert form.status_code == 200 and "控辍保学台账" in form.content.decode()
    assert "农安县教育局（全部学校）" in form.content.decode()


def test_api_ledgers_are_scoped(world, frozen, api_as):
    admit(world, "a1", "孙小雨")
    admit(world, "a3", "钱小花", number=id_number("220122", date(2019, 6, 1), Gender.FEMALE))
    admit(world, "b1", "周小北", number=id_number("220182", date(2019, 2, 2), Gender.FEMALE))
    sync(world)

    def names(user):
        answer = api_as(user).get("/api/v1/dropouts/ledgers/?kind=not_enrolled")
        assert answer.status_code == 200, answer.content
        return sorted(row["name"] for row in answer.json()["results"])

    assert names("registrar_a1") == ["孙小雨"]
    assert names("officer_a") == ["孙小雨", "钱小花"]
    assert names("central_a3") == ["钱小花"]
    assert names("officer_b") == ["周小北"]
    assert api_as("teacher_a1").get("/api/v1/dropouts/ledgers/?kind=dropout").status_code == 403
    assert api_as("officer_a").get("/api/v1/dropouts/ledgers/?kind=nope").status_code == 400
    assert api_as("officer_b").get(f"/api/v1/dropouts/ledgers/?kind=suspected&school={world.units['a1'].pk}").status_code == 404
    assert AuditEntry.objects.filter(action="dropout.ledger_view", detail__contains="API").count() >= 4


def test_export_masks_the_student_number_unless_granted(world, frozen):
    suspect(world)
    sync(world)
    officer = world.user("officer_a")
    membership = Membership.objects.get(user=officer)
    kind = DropoutLedgersExportKind()
    scope = kind.scope_resolve(officer, membership, "")
    assert scope.unit == world.units["county_a"]

    def sheet_values(full):
        job = ExportJob(request_id=1, requester=officer, membership=membership, scope=scope,
                        fields=[f.key for f in kind.fields()], full_values=full)
        book = load_workbook(BytesIO(kind.write(job).content))
        assert book.sheetnames == ["适龄未入学", "疑似辍学", "辍学"]
        sheet = book["疑似辍学"]
        header = [c.value for c in sheet[2]]
        values = [c.value for c in sheet[3]]
        return dict(zip(header, values))

    number = world.pupils["a1"].student_number
    masked = sheet_values(False)
    assert masked["姓名"] == "张小明" and masked["学籍号"] != number and "*" in masked["学籍号"]
    assert sheet_values(True)["学籍号"] == number
    # A school's role exports its own school only; another county's school is out of scope.
    registrar = world.user("registrar_a1")
    assert [v for v, _ in kind.scope_choices(registrar, Membership.objects.get(user=registrar))] == [str(world.units["a1"].pk)]
    from xueji.accounts.scoping import NotInScope
    with pytest.raises(NotInScope):
        kind.scope_resolve(officer, membership, str(world.units["b1"].pk))
