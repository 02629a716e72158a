"""Celery tasks of documents. Thin: each calls a service. Idempotent, acks late, retried.

Their queue is chosen by settings (every ``xueji.documents.tasks.*`` task), not here."""

from celery import shared_task


# A school's spreadsheet or a big class prints in seconds, a whole school's cards in minutes:
# 30 minutes before the soft limit fails the job.
@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5,
             soft_time_limit=30 * 60, time_limit=31 * 60)
def run_document_job(job_id: int) -> bool:
    """A heavy document (xueji/documents/jobs.py); a job already taken or done is left alone."""
    from xueji.documents.jobs import document_job_run  # the service queues this task: imported when it runs

    return document_job_run(job_id)
