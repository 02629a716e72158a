"""Reminders before and on the day a suspension ends (evidence on the pupil's record and a notice
to the school), the bureau's 在籍异常 list, the Celery task and the demo loader."""

from datetime import date, timedelta

import pytest
import time_machine

from demo import suspensions as demo
from suspensions.models import SuspensionReminder
from suspensions.reminders import limbo_rows, suspension_reminders_sweep
from tests.factories import make_pupil
from tests.suspensions.conftest import decide, suspend
from tests.suspensions.test_resumption_and_deferral import END, resume
from xueji.accounts.models import Unit
from xueji.approvals.models import ApprovalStep, ChangeRequest, Notice
from xueji.codes import PupilStatus

THIRTY_BEFORE = END - timedelta(days=30)


@pytest.fixture
def suspended(world, no_cap):
    request = decide(world, suspend(world))
    assert request.pupil.status == PupilStatus.SUSPENDED
    return request


def sweep(day: date):
    with time_machine.travel(day, tick=False):
        return suspension_reminders_sweep()


def test_reminded_thirty_days_before_and_on_the_end_day(world, suspended):
    assert sweep(THIRTY_BEFORE - timedelta(days=1)).thirty_days == 0
    assert not SuspensionReminder.objects.exists()

    report = sweep(THIRTY_BEFORE)
    assert (report.thirty_days, report.end_day) == (1, 0)
    reminder = SuspensionReminder.objects.get()
    assert (reminder.pupil, reminder.request, reminder.kind, reminder.day, reminder.period_end) == (
        suspended.pupil, suspended, "30_days", THIRTY_BEFORE, END)
    assert "2027-10-12" in reminder.message and "30 天" in reminder.message
    notice = Notice.objects.get(key=f"suspension_reminder:{suspended.pk}:30_days")
    assert (notice.unit, notice.role, notice.kind, notice.request) == (world.units["a1"], "registrar", "reminder", suspended)

    # Between the two: nothing new.
    assert (sweep(END - timedelta(days=1)).thirty_days, SuspensionReminder.objects.count()) == (0, 1)

    report = sweep(END)
    assert (report.thirty_days, report.end_day) == (0, 1)
    end_day = SuspensionReminder.objects.get(kind="end_day")
    assert end_day.day == END and "今天" in end_day.message
    assert Notice.objects.filter(key__startswith="suspension_reminder:", unit=world.units["a1"]).count() == 2
    # The registrar sees the notices; the school's record page shows the evidence.
    assert set(Notice.objects.filter(request=suspended, kind="reminder").values_list("role", flat=True)) == {"registrar"}


def test_the_sweep_is_idempotent(world, suspended):
    sweep(THIRTY_BEFORE)
    sweep(THIRTY_BEFORE)
    sweep(THIRTY_BEFORE + timedelta(days=3))
    sweep(END)
    counts = (SuspensionReminder.objects.count(), Notice.objects.filter(key__startswith="suspension_reminder:").count())
    report = sweep(END)
    assert (report.thirty_days, report.end_day) == (0, 0)
    assert counts == (2, 2) == (SuspensionReminder.objects.count(),
                                Notice.objects.filter(key__startswith="suspension_reminder:").count())


def test_a_lost_day_is_caught_up_and_a_late_start_still_reminds(world, suspended):
    # The sweep did not run on the 30th day before, nor on the end day: sent the next run.
    assert sweep(THIRTY_BEFORE + timedelta(days=4)).thirty_days == 1
    assert "还有 26 天" in SuspensionReminder.objects.get(kind="30_days").message
    assert sweep(END + timedelta(days=2)).end_day == 1
    assert "已于 2027-10-12 期满" in SuspensionReminder.objects.get(kind="end_day").message


def test_a_school_that_filed_the_resumption_is_not_reminded_until_it_is_refused(world, suspended):
    resumption = resume(world, suspended.pupil)
    assert sweep(END).end_day == 0
    from xueji.approvals.services import request_decide

    with time_machine.travel(END, tick=False):
        request_decide(actor=world.user("headmaster_a1"), request_id=resumption.pk, approve=False, comment="材料不全")
    assert sweep(END + timedelta(days=1)).end_day == 1


def test_an_approved_resumption_ends_the_reminders_and_the_limbo(world, suspended):
    resumption = decide(world, resume(world, suspended.pupil), today=END)
    assert resumption.pupil.status == PupilStatus.ENROLLED
    assert sweep(END).end_day == 0
    assert limbo_rows(world.user("officer_a"), END + timedelta(days=10)) == []


def test_a_renewal_moves_the_reminders_to_the_new_period(world, suspended):
    renewal = decide(world, suspend(world, today=END - timedelta(days=10), first_absence=None))
    assert renewal.payload["period_end"] == "2028-10-12"
    assert sweep(END).end_day == 0  # the current period is the renewal's
    sweep(date(2028, 10, 12))
    assert list(SuspensionReminder.objects.values_list("request", "kind")) == [(renewal.pk, "end_day")]


def test_limbo_lists_the_ended_suspension_to_its_bureau_only(world, login, suspended):
    assert limbo_rows(world.user("officer_a"), END) == []  # on the end day one may still resume
    sweep(THIRTY_BEFORE)
    sweep(END)
    later = END + timedelta(days=12)
    rows = limbo_rows(world.user("officer_a"), later)
    assert [(r.pupil, r.days_since, [m.kind for m in r.reminders]) for r in rows] == [
        (suspended.pupil, 12, ["30_days", "end_day"])]
    assert limbo_rows(world.user("officer_b"), later) == []
    assert limbo_rows(world.user("registrar_a1"), later) == []
    with time_machine.travel(later, tick=False):
        page = login(world.user("officer_a")).get("/suspensions/limbo/").content.decode()
        assert suspended.pupil.name in page and "12</strong> 天" in page and "期满前 30 天提醒" in page
        assert "在籍异常" in page  # the nav link for bureau roles
        assert suspended.pupil.name not in login(world.user("officer_b")).get("/suspensions/limbo/").content.decode()
        assert login(world.user("registrar_a1")).get("/suspensions/limbo/").status_code == 403


def test_the_pupil_page_links_the_reminders(world, login, suspended):
    sweep(THIRTY_BEFORE)
    pupil = suspended.pupil
    client = login(world.user("headmaster_a1"))
    assert f"/pupils/{pupil.pk}/suspensions/reminders/" in client.get(f"/pupils/{pupil.pk}/").content.decode()
    page = client.get(f"/pupils/{pupil.pk}/suspensions/reminders/").content.decode()
    assert "期满前 30 天提醒" in page and "2027-10-12" in page
    assert login(world.user("officer_b")).get(f"/pupils/{pupil.pk}/suspensions/reminders/").status_code == 404


def test_the_task_runs_the_sweep(world, suspended):
    from suspensions.tasks import suspension_reminders

    with time_machine.travel(THIRTY_BEFORE, tick=False):
        assert suspension_reminders.apply().get() == {"thirty_days": 1, "end_day": 0}
        assert suspension_reminders.apply().get() == {"thirty_days": 0, "end_day": 0}


def test_demo_loader_is_idempotent(world):
    Unit.objects.filter(pk=world.units["a1"].pk).update(code=demo.SCHOOL_CODE)
    for grade in (1, 2, 4):
        make_pupil(world.units["a1"], grade=grade)
    lines = []
    demo.load(lines.append)
    suspensions = ChangeRequest.objects.filter(kind="suspension")
    state = (suspensions.count(), SuspensionReminder.objects.count(), Notice.objects.count())
    assert state[0] == 4 and len(lines) == 1
    assert suspensions.filter(status="pending", current_position=0).count() == 1
    overdue = ApprovalStep.objects.get(request__kind="suspension", status="pending", role="county_officer")
    assert overdue.overdue_at is not None
    assert len(limbo_rows(world.user("officer_a"))) == 1
    (row,) = limbo_rows(world.user("officer_a"))
    assert row.days_since == 40 and [m.kind for m in row.reminders] == ["30_days", "end_day"]
    assert SuspensionReminder.objects.filter(kind="30_days", period_end__gt=date.today()).count() == 1
    demo.load(lines.append)
    assert (suspensions.count(), SuspensionReminder.objects.count(), Notice.objects.count()) == state and len(lines) == 1
