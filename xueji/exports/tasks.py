from celery import shared_task


@shared_task(acks_late=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def expire_export_files() -> int:
    """Hourly: the bytes of export files past their download time are deleted."""
    from xueji.exports.services import export_files_expire

    return export_files_expire()
