"""enqueue_on_commit (xueji/celery.py), on the real broker: a task is queued when the transaction
commits, never for one rolled back, and a broker out of reach fails nobody's request."""

import logging
import socket

import pytest
from celery import Task
from django.db import transaction

from tests.broker import drain
from tests.conftest import transactional
from xueji.celery import app, enqueue_on_commit
from xueji.documents.models import DocumentJob

# A queue of this test's own: no worker of `make run` or of another test takes its messages.
QUEUE = "xueji-tests-enqueue-on-commit"


class OwnQueueTask(Task):
    def apply_async(self, args=None, kwargs=None, **options):
        return super().apply_async(args, kwargs, **{"queue": QUEUE, **options})


@app.task(name="tests.xueji.test_celery.noted", base=OwnQueueTask)
def noted(value: int) -> int:
    return value


def queued() -> list[tuple[str, list]]:
    """Take every message waiting in the test's queue: (task name, positional arguments)."""
    return [(message.headers["task"], message.payload[0]) for message in drain(QUEUE)]


class RolledBack(Exception):
    pass


@transactional
def test_a_task_is_queued_when_the_transaction_commits_and_never_after_a_rollback():
    queued()  # the queue declared, and empty
    with transaction.atomic():
        enqueue_on_commit(noted, 1)
        assert queued() == []  # not while the transaction is open: a worker would not see its rows
    assert queued() == [(noted.name, [1])]

    with pytest.raises(RolledBack), transaction.atomic():
        enqueue_on_commit(noted, 2)
        raise RolledBack
    assert queued() == []

    enqueue_on_commit(noted, 3)  # no transaction open: queued at once
    assert queued() == [(noted.name, [3])]


@pytest.fixture
def broker_away():
    """The app's broker moved to a port of this machine where nothing listens, for one test."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    saved = app.conf.broker_url
    app.conf.broker_url = f"redis://127.0.0.1:{port}/0"
    _forget_broker_connections()
    yield
    app.conf.broker_url = saved
    _forget_broker_connections()


def _forget_broker_connections():
    """Celery opens its pools of broker connections on first use; emptied, the next task connects
    to the broker the configuration names now."""
    app._pool = None
    app.amqp._producer_pool = None


@transactional
def test_a_broker_out_of_reach_fails_nothing_and_is_logged_without_the_arguments(broker_away, caplog):
    with caplog.at_level(logging.WARNING, logger="xueji.celery"), transaction.atomic():
        enqueue_on_commit(noted, 20180314)
    [record] = [r for r in caplog.records if r.name == "xueji.celery"]
    assert noted.name in record.getMessage() and "20180314" not in record.getMessage()


@transactional
def test_a_document_job_is_started_while_the_broker_is_out_of_reach(broker_away, world):
    from xueji.documents.jobs import document_job_request

    with transaction.atomic():
        document_job_request(user=world.user("registrar_a1"), kind="class_cards",
                             params={"class": world.classes["a1_3_1"].pk})
    job = DocumentJob.objects.get()
    assert job.status == DocumentJob.Status.QUEUED  # for the sweeper to send again
