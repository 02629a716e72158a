"""学籍: the project (settings, urls, celery, wsgi) and the core, in packages: accounts, calendar,
files, pupils, approvals, documents, photos, web (the map: docs/architecture.md)."""

from xueji.celery import app as celery_app

__all__ = ["celery_app"]
