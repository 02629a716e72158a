"""Celery tasks of accounts. Thin: each calls a service. Idempotent, acks late, retried."""

from celery import shared_task

from xueji.accounts.credentials import idle_accounts_seal
from xueji.accounts.login import login_throttles_prune


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def prune_login_throttles() -> int:
    return login_throttles_prune()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def seal_idle_accounts() -> int:
    """Nightly: seal the accounts unused for 180 days (2025 办法 第二十四条); also forget expired
    API tokens."""
    from django.utils import timezone
    from knox.models import AuthToken

    AuthToken.objects.filter(expiry__lt=timezone.now()).delete()
    return idle_accounts_seal()


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def compute_early_warnings(day: str | None = None) -> int:
    """Nightly, after midnight: the 预警 of the day before (or of ``day``, YYYY-MM-DD), from the
    audit log. Idempotent: a day computed again gives the same warnings."""
    from datetime import date

    from xueji.accounts.early_warning import early_warnings_compute

    return early_warnings_compute(date.fromisoformat(day) if day else None)


@shared_task(acks_late=True)
def verify_audit_chain() -> bool:
    """Nightly: walk the audit log's hash chain (as manage.py audit_verify does). The result is
    kept; a break shows, in red, on every audit admin's home page (xueji/web/home.py) and is logged."""
    import logging

    from xueji.accounts.audit_chain import run_check

    _check, result = run_check()
    if not result.intact:
        logging.getLogger("xueji.audit").error("%s", result.summary())
    return result.intact
