"""Celery tasks of enrolment. Thin: each calls a service; idempotent, acks late, retried."""

from celery import shared_task

from enrollment.intake import services


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def run_import(import_id: int) -> bool:
    return services.import_run(import_id)
