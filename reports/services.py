"""Writes of reports/: generating the monthly change reports (学籍变动月报).

``monthly_reports_generate`` is the scheduler's: on the 1st it stores the month before for every
school, central school and county bureau that has no report for that month yet (idempotent:
run twice, it writes nothing the second time). ``monthly_report_regenerate`` is a bureau's: a
new version of a unit's report (and of the units under it), the old versions kept.

Both take a PostgreSQL advisory lock for the month, so that the scheduler and a bureau (or two
schedulers) never compute and write the same month at once; the unique (unit, month, version)
constraint stays the last word.

The scheduler's generation is a long job (``MonthlyReportRun``, xueji/jobs.py): a worker lost in
the middle of it is replaced by the sweeper within minutes.
"""

import logging
from datetime import date

from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, transaction
from django.db.models import Max
from django.utils import timezone

from reports.models import MonthlyReport, MonthlyReportRun
from reports.monthly import REPORTING_KINDS, compute, month_bounds, previous_month
from reports.selectors import may_regenerate
from xueji.accounts.audit import audit_record, audit_record_many
from xueji.accounts.models import Unit, User
from xueji.accounts.permissions import NotAllowed
from xueji.jobs import JobLost, job_claim, job_finishing, job_owned

logger = logging.getLogger(__name__)

LOCK_NAMESPACE = 7_240_001  # pg_advisory_xact_lock(namespace, yyyymm): one lock per month


def _lock_month(first: date) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, first.year * 100 + first.month])


def _check_month_over(first: date, today: date) -> None:
    if month_bounds(first)[1] >= today:
        raise ValidationError({"month": "只能为已经结束的月份生成月报。"}, code="month_not_over")


def _previous_ends(first: date, unit_ids) -> dict[int, int]:
    """The month-end roll of each unit's latest report of the month before, to show beside this
    month's start (they differ when changes were recorded, backdated, after that report)."""
    previous = previous_month(first)
    rows = (
        MonthlyReport.objects.filter(month=previous, unit_id__in=unit_ids)
        .order_by("unit_id", "-version").distinct("unit_id").values_list("unit_id", "figures__check__end")
    )
    return {unit_id: end for unit_id, end in rows if end is not None}


def _with_previous(figures: dict, previous_end: int | None) -> dict:
    figures["previous_end"] = previous_end
    return figures


@transaction.atomic
def monthly_reports_generate(*, month: date, today: date | None = None, actor: User | None = None) -> list[MonthlyReport]:
    """Store the report of ``month`` (any day of it) for every reporting unit that has none. The
    figures are computed once for the whole system; units that have a report keep it untouched.
    Returns the reports written (none when every unit had one)."""
    first = month.replace(day=1)
    _check_month_over(first, today or timezone.localdate())
    _lock_month(first)
    done = set(MonthlyReport.objects.filter(month=first).values_list("unit_id", flat=True))
    if not Unit.objects.filter(kind__in=REPORTING_KINDS).exclude(pk__in=done).exists():
        return []
    figures = {pk: f for pk, f in compute(first).items() if pk not in done}
    previous = _previous_ends(first, figures)
    units = Unit.objects.in_bulk(list(figures))
    reports = MonthlyReport.objects.bulk_create(
        MonthlyReport(unit=units[pk], month=first, version=1, generated_by=actor,
                      figures=_with_previous(f, previous.get(pk)))
        for pk, f in figures.items()
    )
    audit_record_many(action="report.monthly.generate", objs=reports, user=actor,
                      detail=f"生成{first.year}年{first.month}月学籍变动月报")
    return reports


def monthly_run_for(month: date) -> MonthlyReportRun:
    """The scheduler's run of ``month`` (any day of it), created queued the first time."""
    run, _created = MonthlyReportRun.objects.get_or_create(month=month.replace(day=1))
    return run


def monthly_run_execute(run_id: int, *, today: date | None = None) -> bool:
    """Carry out the scheduler's run of a month (monthly_reports_generate), as a long job: taken
    by this process (one waiting or failed, or one whose worker was lost), its reports and its
    "done" written in one transaction that holds the run's row — a run taken over meanwhile
    writes nothing. Returns whether this call ran it; raises (for the task's retry) on failure."""
    if not job_claim(MonthlyReportRun, run_id):
        return False
    run = MonthlyReportRun.objects.get(pk=run_id)
    try:
        with transaction.atomic():
            job_finishing(MonthlyReportRun, run_id)
            reports = monthly_reports_generate(month=run.month, today=today)
            MonthlyReportRun.objects.filter(pk=run_id).update(
                status=MonthlyReportRun.Status.DONE, written=len(reports), finished_at=timezone.now(), worker="",
            )
    except JobLost:
        logger.warning("monthly reports run %s was taken over by another worker: this run stops", run_id)
        return False
    except DatabaseError:
        raise  # the database away: the sweeper queues the run again
    except Exception:
        job_owned(MonthlyReportRun, run_id).update(status=MonthlyReportRun.Status.FAILED, worker="")
        raise
    return True


@transaction.atomic
def monthly_report_regenerate(*, actor: User, unit: Unit, month: date, note: str = "",
                              today: date | None = None) -> list[MonthlyReport]:
    """A bureau's new version of ``unit``'s report for ``month`` and of every reporting unit under
    it (a county's schools and central schools), from the history as it stands now. The earlier
    versions stay. Also makes the first version of a month the scheduler has not reported (a
    month before the system ran, say). Returns the new reports, the unit's own first if it has one."""
    if not may_regenerate(actor, unit):
        raise NotAllowed("只有上级教育局可以重新生成月报。")
    first = month.replace(day=1)
    _check_month_over(first, today or timezone.localdate())
    note = (note or "").strip()[:200]
    _lock_month(first)
    figures = compute(first, root=unit)
    if not figures:
        raise ValidationError("该单位不编制学籍变动月报，请选择学校、中心校或县级教育局。", code="not_reporting")
    latest = dict(
        MonthlyReport.objects.filter(month=first, unit_id__in=figures).values_list("unit_id").annotate(v=Max("version"))
    )
    previous = _previous_ends(first, figures)
    ordered = sorted(figures, key=lambda pk: (pk != unit.pk, pk))
    units = Unit.objects.in_bulk(ordered)
    reports = MonthlyReport.objects.bulk_create(
        MonthlyReport(unit=units[pk], month=first, version=latest.get(pk, 0) + 1, generated_by=actor, note=note,
                      figures=_with_previous(figures[pk], previous.get(pk)))
        for pk in ordered
    )
    detail = f"重新生成{first.year}年{first.month}月学籍变动月报（{len(reports)} 个单位）" + (f"：{note}" if note else "")
    audit_record(action="report.monthly.regenerate", obj=unit, user=actor, detail=detail)
    return reports
