from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def sweep_pending_uploads() -> int:
    """Hourly: proof files kept with a form that was never sent again (xueji/files/pending.py) go
    a day after they were chosen."""
    from xueji.files.pending import pending_sweep

    return pending_sweep()
