"""Celery tasks of documents. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def print_card_job(job_id: int) -> bool:
    """学籍卡 of a grade or a school (xueji/documents/cards.py); a job already taken or done is left alone."""
    from xueji.documents.cards import card_job_run  # cards queues this task: imported when it runs

    return card_job_run(job_id)
