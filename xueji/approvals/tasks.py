"""Celery tasks of the approval engine. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task

from xueji.approvals import services as approvals


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deadline_sweep() -> dict:
    report = approvals.deadlines_sweep()
    return {"reminded": report.reminded, "overdue": report.overdue, "escalated": report.escalated,
            "followed_up": report.followed_up}


# Short work (notices, queuing): an export's file is made by its own task on the documents
# queue (xueji/exports/tasks.py), not here.
@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def request_follow_up(request_id: int) -> bool:
    return approvals.request_follow_up(request_id)
