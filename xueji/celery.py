"""The Celery application. Tasks are thin: they call services (DESIGN.md)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xueji.settings")

app = Celery("xueji")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The apps' tasks modules, and the core's, which live in its packages rather than in xueji.tasks.
app.autodiscover_tasks()
app.autodiscover_tasks(["xueji.accounts", "xueji.approvals", "xueji.documents"])
