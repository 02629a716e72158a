"""The Celery application. Tasks are thin: they call services (DESIGN.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xueji.settings")

app = Celery("xueji")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
