"""Generating the monthly reports: once per unit and month (idempotent), kept as they were; a
bureau's regeneration is a new version beside the old; the beat entry on the 1st; the task on a
real Celery worker."""

import time
from datetime import date

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.core.exceptions import PermissionDenied, ValidationError

from reports.models import MonthlyReport
from reports.services import monthly_report_regenerate, monthly_reports_generate
from tests.conftest import build_world, transactional
from tests.reports.conftest import AFTER_OCTOBER, OCTOBER, add_october
from xueji.accounts.models import AuditEntry, UnitKind
from xueji.celery import app
from xueji.codes import PupilStatus
from xueji.pupils.services import pupil_set_status

REPORTING = (UnitKind.SCHOOL, UnitKind.CENTRAL_SCHOOL, UnitKind.COUNTY_BUREAU)


def test_every_reporting_unit_gets_one_report_and_a_second_run_writes_nothing(october):
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        first = monthly_reports_generate(month=OCTOBER)
        reporting = [u for u in october.units.values() if u.kind in REPORTING]
        assert {r.unit_id for r in first} == {u.pk for u in reporting}
        assert all(r.version == 1 and r.generated_by is None for r in first)
        stored = {r.pk: (r.figures, r.generated_at) for r in MonthlyReport.objects.all()}
        assert monthly_reports_generate(month=OCTOBER) == []
    assert {r.pk: (r.figures, r.generated_at) for r in MonthlyReport.objects.all()} == stored
    # Cities and provinces report through their counties.
    assert not MonthlyReport.objects.filter(unit__kind__in=["city_bureau", "province_bureau"]).exists()
    assert AuditEntry.objects.filter(action="report.monthly.generate").count() == len(reporting)


def test_a_stored_report_keeps_its_figures_when_the_history_changes(october):
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        monthly_reports_generate(month=OCTOBER)
    report = MonthlyReport.objects.get(unit=october.units["a1"], month=OCTOBER)
    with time_machine.travel("2026-11-05 10:00 +0800", tick=False):
        # A death on 30 October reported in November (backdated).
        pupil_set_status(actor=october.user("officer_a"), pupil=october.pupils["a1"], status=PupilStatus.DECEASED,
                         effective_date=date(2026, 10, 30), reason="注销学籍：学生死亡")
        assert monthly_reports_generate(month=OCTOBER) == []
    report.refresh_from_db()
    assert report.figures["end"]["total"] == 4 and report.version == 1


def test_a_bureau_regenerates_a_new_version_and_the_old_one_stays(october):
    officer = october.user("officer_a")
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        monthly_reports_generate(month=OCTOBER)
    with time_machine.travel("2026-11-05 10:00 +0800", tick=False):
        pupil_set_status(actor=officer, pupil=october.pupils["a1"], status=PupilStatus.DECEASED,
                         effective_date=date(2026, 10, 30), reason="注销学籍：学生死亡")
        new = monthly_report_regenerate(actor=officer, unit=october.units["county_a"], month=OCTOBER, note="补录死亡")
    assert new[0].unit_id == october.units["county_a"].pk
    # The county and every unit under it: A1, A2, A3, the central school.
    assert {r.unit.name for r in new} == {"农安县教育局", "农安县实验小学", "农安县第一中学", "合隆镇中心校", "合隆镇陈家店小学"}
    a1 = MonthlyReport.objects.filter(unit=october.units["a1"], month=OCTOBER).order_by("version")
    assert [r.version for r in a1] == [1, 2]
    assert [r.figures["end"]["total"] for r in a1] == [4, 3]
    assert a1[1].generated_by == officer and a1[1].note == "补录死亡"
    assert MonthlyReport.objects.filter(unit=october.units["b1"], month=OCTOBER).count() == 1
    entry = AuditEntry.objects.get(action="report.monthly.regenerate")
    assert entry.username == "officer_a" and "补录死亡" in entry.detail


@pytest.mark.parametrize("user", ["registrar_a1", "headmaster_a1", "central_a3", "officer_b", "teacher_a1"])
def test_only_the_bureau_above_regenerates(october, user):
    with pytest.raises(PermissionDenied):
        monthly_report_regenerate(actor=october.user(user), unit=october.units["a1"], month=OCTOBER, today=date(2026, 11, 5))


def test_the_city_regenerates_its_counties(october):
    reports = monthly_report_regenerate(actor=october.user("city_officer"), unit=october.units["county_b"], month=OCTOBER,
                                        today=date(2026, 11, 5))
    assert {r.unit.name for r in reports} == {"榆树市教育局", "榆树市实验小学", "榆树市第二中学"}


def test_a_month_not_over_is_refused(october):
    with pytest.raises(ValidationError):
        monthly_reports_generate(month=date(2026, 11, 1), today=date(2026, 11, 30))
    with pytest.raises(ValidationError):
        monthly_report_regenerate(actor=october.user("officer_a"), unit=october.units["a1"], month=date(2026, 11, 1),
                                  today=date(2026, 11, 30))


def test_the_next_month_notes_a_different_previous_end(october):
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        monthly_reports_generate(month=OCTOBER)
    with time_machine.travel("2026-11-05 10:00 +0800", tick=False):
        pupil_set_status(actor=october.user("officer_a"), pupil=october.pupils["a1"], status=PupilStatus.DECEASED,
                         effective_date=date(2026, 10, 30), reason="注销学籍：学生死亡")
    with time_machine.travel("2026-12-01 02:00 +0800", tick=False):
        monthly_reports_generate(month=date(2026, 11, 1))
    november = MonthlyReport.objects.get(unit=october.units["a1"], month=date(2026, 11, 1)).figures
    assert november["previous_end"] == 4 and november["start"]["total"] == 3
    # 出国己 went abroad on 3 November: still on the roll (学籍保留).
    assert [(c["kind"], c["in"], c["out"]) for c in november["changes"]] == [("abroad", 0, 0)]
    assert november["check"]["ok"]


def test_beat_runs_the_task_on_the_first_of_each_month():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["monthly-reports"]
    assert entry["task"] == "reports.tasks.generate_monthly_reports" and entry["task"] in app.tasks
    schedule = entry["schedule"]
    assert schedule.day_of_month == {1} and schedule.hour == {2} and schedule.minute == {0}


@transactional  # the scheduler closes the database connection as it starts
def test_the_beat_entry_reaches_django_celery_beats_table():
    from django_celery_beat.models import PeriodicTask
    from django_celery_beat.schedulers import DatabaseScheduler

    DatabaseScheduler(app=app)
    task = PeriodicTask.objects.get(name="monthly-reports")
    assert task.task == "reports.tasks.generate_monthly_reports" and task.enabled
    assert (task.crontab.minute, task.crontab.hour, task.crontab.day_of_month) == ("0", "2", "1")
    assert str(task.crontab.timezone) == "Asia/Shanghai"


@transactional
def test_a_real_worker_makes_last_months_reports():
    world = add_october(build_world())
    with time_machine.travel(AFTER_OCTOBER, tick=True), start_worker(app, pool="solo", perform_ping_check=False,
                                                                       shutdown_timeout=20):
        from reports.tasks import generate_monthly_reports

        generate_monthly_reports.delay()
        deadline = time.monotonic() + 60
        while MonthlyReport.objects.count() < 8 and time.monotonic() < deadline:
            time.sleep(0.2)
    assert MonthlyReport.objects.filter(month=OCTOBER).count() == 8
    figures = MonthlyReport.objects.get(unit=world.units["a1"]).figures
    assert figures["check"] == {"start": 5, "in": 2, "out": 3, "expected_end": 4, "end": 4, "difference": 0, "ok": True}


def test_the_schedulers_run_is_a_long_job_taken_over_when_its_worker_is_lost(october):
    """The month's run (xueji/jobs.py): done once; one whose worker was lost (running, its
    heartbeat old, none of its reports written: one transaction) is taken over and finished."""
    from datetime import timedelta

    from django.utils import timezone

    from reports.models import MonthlyReportRun
    from reports.services import monthly_run_execute, monthly_run_for

    with time_machine.travel(AFTER_OCTOBER, tick=False):
        run = monthly_run_for(OCTOBER)
        assert monthly_run_for(date(2026, 10, 17)) == run  # one run a month
        MonthlyReportRun.objects.filter(pk=run.pk).update(status="running", worker="elsewhere:7",
                                                          heartbeat_at=timezone.now())
        assert monthly_run_execute(run.pk) is False  # its owner still beats: left to it
        assert not MonthlyReport.objects.exists()
        MonthlyReportRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
        assert monthly_run_execute(run.pk) is True
        run.refresh_from_db()
        assert (run.status, run.restarts, run.worker, run.written) == ("done", 1, "", 8)
        assert monthly_run_execute(run.pk) is False  # delivered again: nothing more
    assert MonthlyReport.objects.filter(month=OCTOBER).count() == 8
