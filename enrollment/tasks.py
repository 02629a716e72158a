"""Celery tasks of enrolment. Thin: each calls a service; idempotent, acks late, retried."""

from celery import shared_task

from enrollment.intake import services


# A file of 5,000 rows takes under a minute; 15 minutes leaves room for a busy machine. The soft
# limit fails the import with a message, the hard one a minute later ends a stuck process.
@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5,
             soft_time_limit=15 * 60, time_limit=16 * 60)
def run_import(import_id: int) -> bool:
    return services.import_run(import_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def expire_import_files() -> int:
    """Nightly: delete the uploaded enrolment files' bytes 30 days (a setting) after their import
    finished, keeping the hash, the counts and the errors."""
    from enrollment.intake.retention import import_files_expire

    return import_files_expire()
