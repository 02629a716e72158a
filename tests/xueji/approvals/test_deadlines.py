"""Deadlines in working days and the deadline sweep: reminders, overdue steps, escalation to the
next level up, lost follow-ups; idempotent; and a real Celery worker running it."""

import time
from datetime import date, timedelta

import time_machine
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from archives.handover.models import ArchiveHandover
from tests.conftest import build_world, transactional
from tests.transfers.conftest import start
from xueji.approvals.models import ApprovalStep, Notice
from xueji.approvals.services import deadlines_sweep, request_decide
from xueji.approvals.tasks import deadline_sweep
from xueji.celery import app


def local_date(moment) -> date:
    return timezone.localtime(moment).date()


def test_ten_working_days_over_mid_autumn_and_national_day(world):
    with time_machine.travel("2026-09-25 10:00 +0800", tick=False):
        request = start(world, grounds="job")
    step = request.steps.get(position=0)
    assert local_date(step.due_at) == date(2026, 10, 15)
    assert timezone.localtime(step.due_at).hour == 23


def test_each_step_gets_its_ten_days_when_it_starts(world):
    with time_machine.travel("2026-09-25 10:00 +0800", tick=False):
        request = start(world, grounds="job")
    with time_machine.travel("2026-10-09 16:00 +0800", tick=False):  # Friday before the make-up Saturday
        request_decide(actor=world.user("headmaster_b1"), request_id=request.pk, approve=True)
    step = request.steps.get(position=1)
    # 10-10 (make-up Saturday) counts: 10, 12, 13, 14, 15, 16, 19, 20, 21, 22.
    assert local_date(step.due_at) == date(2026, 10, 22)


def _sweep_at(moment: str):
    with time_machine.travel(moment, tick=False):
        return deadlines_sweep()


def test_reminder_two_working_days_before_and_only_once(world):
    with time_machine.travel("2026-09-25 10:00 +0800", tick=False):
        request = start(world, grounds="job")
    assert _sweep_at("2026-10-12 09:00 +0800").reminded == 0  # three working days left
    report = _sweep_at("2026-10-13 09:00 +0800")
    assert report.reminded == 1
    again = _sweep_at("2026-10-13 09:10 +0800")
    assert again.reminded == 0
    reminders = Notice.objects.filter(request=request, kind=Notice.Kind.REMINDER)
    assert reminders.count() == 1
    reminder = reminders.get()
    assert (reminder.unit, reminder.role) == (world.units["b1"], "headmaster")
    assert "还剩 2 个工作日" in reminder.message


def test_overdue_step_is_marked_and_the_county_is_told(world):
    with time_machine.travel("2026-09-25 10:00 +0800", tick=False):
        request = start(world, grounds="job")
    assert _sweep_at("2026-10-15 23:00 +0800").overdue == 0  # still the due day
    report = _sweep_at("2026-10-16 08:00 +0800")
    assert (report.overdue, report.escalated) == (1, 1)
    step = request.steps.get(position=0)
    assert step.overdue_at is not None
    escalation = Notice.objects.get(request=request, kind=Notice.Kind.ESCALATION)
    assert escalation.unit == world.units["county_b"]
    assert "超期" in escalation.message
    assert _sweep_at("2026-10-16 09:00 +0800").overdue == 0
    assert Notice.objects.filter(request=request).count() == 3  # reminder (late), overdue, escalation


def test_overdue_county_step_tells_the_city(world):
    with time_machine.travel("2026-11-02 10:00 +0800", tick=False):
        request = start(world, grounds="job")
        request_decide(actor=world.user("headmaster_b1"), request_id=request.pk, approve=True)
    _sweep_at("2026-12-31 10:00 +0800")
    escalation = Notice.objects.get(request=request, kind=Notice.Kind.ESCALATION)
    assert escalation.unit == world.units["city"]


def test_sweep_finishes_a_follow_up_the_broker_lost(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the queued task never runs
        request = start(world)
        for name in ("headmaster_b1", "officer_b", "headmaster_a1", "officer_a"):
            request_decide(actor=world.user(name), request_id=request.pk, approve=True)
    assert not ArchiveHandover.objects.exists()
    report = deadlines_sweep(now=timezone.now() + timedelta(minutes=5))
    assert report.followed_up == 1
    assert ArchiveHandover.objects.filter(change_request=request).exists()
    assert deadlines_sweep(now=timezone.now() + timedelta(minutes=6)).followed_up == 0


def test_home_page_shows_the_inbox_and_overdue(world, login):
    request = start(world)
    ApprovalStep.objects.filter(request=request, position=0).update(due_at=timezone.now() - timedelta(days=2))
    body = login(world.user("headmaster_b1")).get("/").content.decode()
    assert "待我审批" in body and "已超期" in body


@transactional
def test_a_real_worker_runs_the_sweep():
    world = build_world()
    request = start(world)
    ApprovalStep.objects.filter(request=request, position=0).update(due_at=timezone.now() - timedelta(days=1))
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
        deadline_sweep.delay()
        deadline = time.monotonic() + 20
        while not Notice.objects.filter(request=request, kind=Notice.Kind.OVERDUE).exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    assert Notice.objects.filter(request=request, kind=Notice.Kind.OVERDUE).count() == 1
    assert Notice.objects.filter(request=request, kind=Notice.Kind.ESCALATION, unit=world.units["county_b"]).count() == 1
