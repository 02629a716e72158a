"""The Celery application, and the one way the app queues a task: after its transaction commits.
Tasks are thin: they call services (DESIGN.md)."""

import logging
import os
from functools import partial

from celery import Celery
from celery.signals import worker_process_init
from django.db import transaction

from xueji import db_routing

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xueji.settings")

logger = logging.getLogger(__name__)

app = Celery("xueji")
app.config_from_object("django.conf:settings", namespace="CELERY")
# The apps' tasks modules, and the core's, which live in its packages rather than in xueji.tasks.
app.autodiscover_tasks()
app.autodiscover_tasks(["xueji.accounts", "xueji.approvals", "xueji.documents", "xueji.exports", "xueji.files"])
# The sweeper of lost long jobs, in the core's module of long jobs.
app.autodiscover_tasks(["xueji"], related_name="jobs")

# The lag-tolerant tasks read from the replica when there is one (xueji/db_routing.py).
db_routing.connect_task_signals()


@worker_process_init.connect
def _fresh_connection_pools(**kwargs) -> None:
    """A Celery process forked from the worker's parent starts without the parent's connection
    pools (settings.DATABASE_POOL): their sockets belong to the parent and their threads were not
    forked. Forgotten, not closed (closing would end the parent's connections); the process opens
    its own pool at its first query."""
    from django.db.backends.postgresql.base import DatabaseWrapper

    DatabaseWrapper._connection_pools.clear()


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """Queue ``task`` with these arguments once the current transaction commits (at once outside
    one). A worker must never read rows that are not committed yet, and a rolled-back
    transaction queues nothing.

    A broker that cannot be reached does not fail the request whose data is already committed:
    the error is logged and the work waits for what picks it up later (the deadline sweep, the
    daily job, a job's page offering to start it again). The log names the task, never its
    arguments."""
    transaction.on_commit(partial(_enqueue, task, args, kwargs))


def _enqueue(task, args: tuple, kwargs: dict) -> None:
    try:
        task.apply_async(args, kwargs)
    except Exception as error:  # noqa: BLE001 — the broker away (or refusing): see enqueue_on_commit
        logger.warning("task %s not queued (%s): it waits for what picks it up later", task.name, type(error).__name__)
