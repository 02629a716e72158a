"""学籍: the project package and the core app."""

from xueji.celery import app as celery_app

__all__ = ["celery_app"]
