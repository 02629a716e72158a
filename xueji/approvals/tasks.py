"""Celery tasks of the approval engine. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task

from xueji.approvals import services as approvals


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def deadline_sweep() -> dict:
    report = approvals.deadlines_sweep()
    return {"reminded": report.reminded, "overdue": report.overdue, "escalated": report.escalated,
            "followed_up": report.followed_up}


# The follow-up of an approved export request makes its file: a school's cards take about a
# minute a thousand pupils, far more than the default limit of a short task.
@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5,
             soft_time_limit=30 * 60, time_limit=31 * 60)
def request_follow_up(request_id: int) -> bool:
    return approvals.request_follow_up(request_id)
