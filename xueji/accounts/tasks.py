"""Celery tasks of accounts. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task

from xueji.accounts.login import login_throttles_prune


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def prune_login_throttles() -> int:
    return login_throttles_prune()
