"""Celery tasks of the core. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task

from xueji.services import approvals
from xueji.services.login import login_throttles_prune


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def prune_login_throttles() -> int:
    return login_throttles_prune()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deadline_sweep() -> dict:
    report = approvals.deadlines_sweep()
    return {"reminded": report.reminded, "overdue": report.overdue, "escalated": report.escalated,
            "followed_up": report.followed_up}


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def request_follow_up(request_id: int) -> bool:
    return approvals.request_follow_up(request_id)


@shared_task(acks_late=True, autoretry_for=(ConnectionError,), retry_backoff=True, max_retries=5)
def print_card_job(job_id: int) -> bool:
    """学籍卡 of a grade or a school (xueji/cards.py); a job already taken or done is left alone."""
    from xueji.cards import card_job_run

    return card_job_run(job_id)
