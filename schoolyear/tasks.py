"""Celery tasks of schoolyear/. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task

from schoolyear import services
from schoolyear.models import PromotionRun


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def promotion_daily() -> list[int]:
    """Daily (beat): each bureau's promotion on its promotion date, and unfinished runs on the days
    after until the end of August, each run handed to a worker as a task of its own (bureaus go in
    parallel with several workers; each run retries on its own)."""
    runs = services.promotion_due_runs()
    for run in runs:
        promotion_run_task.delay(run.pk)
    return [run.pk for run in runs]


# A county's promotion is four statements a school, a few minutes at most; an hour before the
# soft limit stops it (the schools done stay done, the rest is resumed).
@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5,
             soft_time_limit=60 * 60, time_limit=61 * 60)
def promotion_run_task(run_id: int) -> dict:
    """One bureau's promotion (on its promotion date, asked for on demand, or resumed): the schools
    done are skipped; raises (and is retried) while schools are left. A run another live worker
    carries out is left to it."""
    run = services.promotion_run_execute(run_id=run_id)
    if run.status == PromotionRun.Status.RUNNING:
        return {"run": run.pk, "busy": True}
    if run.status != PromotionRun.Status.DONE:
        raise services.PromotionIncomplete(f"promotion run {run.pk}: {run.schools_done}/{run.schools_total} schools")
    return {"run": run.pk, "schools": run.schools_done, "promoted": run.promoted}
