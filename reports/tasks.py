"""Celery tasks of reports/. Thin: each calls a service; idempotent, acks late, retried."""

from celery import shared_task
from django.utils import timezone

from reports import services
from reports.monthly import previous_month
from xueji.pupils.models import counts


# Every school of a province in one task: minutes, an hour at most before the soft limit stops it
# (the reports written stay; the retry writes the rest).
@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5,
             soft_time_limit=60 * 60, time_limit=61 * 60)
def generate_monthly_reports() -> int:
    """On the 1st (beat entry "monthly-reports"): the month before, for every school, central
    school and county bureau without a report for it. Run again, it writes nothing. The month's
    run (a long job with an owner and a heartbeat) is carried out here; returns the reports written."""
    today = timezone.localdate()
    run = services.monthly_run_for(previous_month(today))
    services.monthly_run_execute(run.pk, today=today)
    run.refresh_from_db()
    return run.written


# The same, for a run the sweeper queued again (its worker was lost).
@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5,
             soft_time_limit=60 * 60, time_limit=61 * 60)
def run_monthly_reports(run_id: int) -> bool:
    return services.monthly_run_execute(run_id)


# The statistics' kept counts: each key's delta rows folded into one (beat entry "roll-counts-compact").
@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=3)
def compact_roll_counts() -> int:
    return counts.compact()
