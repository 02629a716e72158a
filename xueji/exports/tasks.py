"""Celery tasks of exports. Thin: each calls a service. Their queue is chosen by settings (every
``xueji.exports.tasks.*`` task on "documents", the resending sweep on "sweeps" by its name)."""

from celery import shared_task


# A county's national export or a school's cards are minutes of a worker: the limits of the
# documents' jobs (xueji/documents/tasks.py), not the default ones of a short task.
@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5,
             soft_time_limit=30 * 60, time_limit=31 * 60)
def make_export_file(request_id: int) -> bool:
    """The file of an approved export request (queued by its follow-up), once: a request whose
    file is made, or being made by another worker, is left alone."""
    from xueji.exports.services import export_file_run

    return export_file_run(request_id)


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def resend_export_files() -> int:
    """Every few minutes: an approved request whose file was never made (its task lost with the
    broker or the worker) is queued again."""
    from xueji.exports.services import export_files_resend

    return export_files_resend()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def expire_export_files() -> int:
    """Hourly: the bytes of export files past their download time are deleted."""
    from xueji.exports.services import export_files_expire

    return export_files_expire()
