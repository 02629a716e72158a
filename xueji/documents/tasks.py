"""Celery tasks of documents. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task


# A school of 3,000 pupils prints in a few minutes; 30 minutes before the soft limit fails the job.
@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5,
             soft_time_limit=30 * 60, time_limit=31 * 60)
def print_card_job(job_id: int) -> bool:
    """学籍卡 of a grade or a school (xueji/documents/cards.py); a job already taken or done is left alone."""
    from xueji.documents.cards import card_job_run  # cards queues this task: imported when it runs

    return card_job_run(job_id)
