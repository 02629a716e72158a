"""Celery tasks of suspensions/. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task

from suspensions.reminders import suspension_reminders_sweep


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def suspension_reminders() -> dict:
    """Daily: remind schools of suspensions ending in 30 days and today (suspensions.reminders)."""
    report = suspension_reminders_sweep()
    return {"thirty_days": report.thirty_days, "end_day": report.end_day}
