"""Celery tasks of dropouts/. Thin: each calls a service; idempotent, acks late, retried."""

from celery import shared_task
from django.utils import timezone

from dropouts import services


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def close_aged_out_cases() -> int:
    """Daily: the return cases of pupils who have turned 16 end (the record stays 辍学)."""
    return services.close_all_aged_out(today=timezone.localdate())


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def sync_ledgers() -> dict:
    """Daily: the 适龄未入学 and 疑似辍学 ledgers brought up to today (dropouts.ledgers)."""
    from dropouts.ledgers import ledger_sync_all

    return ledger_sync_all(timezone.localdate())
