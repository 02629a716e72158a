"""An approved export's file is made on the documents queue, not in the follow-up on the default
queue (xueji/exports/tasks.py, make_export_file): on the real broker the follow-up leaves one
message there and none on "celery", the file is made once however often the task comes, and a
file whose task was lost is queued again."""

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from tests.broker import drain
from tests.conftest import transactional
from tests.xueji.exports.helpers import add_leaders, ask
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import request_decide, request_follow_up
from xueji.celery import app
from xueji.exports.models import ExportFile
from xueji.exports.services import RESEND_AFTER, RESEND_WITHIN, export_file_run, export_files_resend

QUEUES = ("imports", "documents", "sweeps", "celery")


def waiting() -> dict[str, list[tuple[str, list]]]:
    """Every message waiting on each queue, taken off it: (task name, positional arguments)."""
    return {name: [(m.headers["task"], m.payload[0]) for m in drain(name)] for name in QUEUES}


@pytest.fixture
def empty_queues():
    waiting()
    yield
    waiting()


def test_the_files_task_is_routed_to_the_documents_queue():
    app.loader.import_default_modules()
    router = app.amqp.router
    assert router.route({}, "xueji.exports.tasks.make_export_file")["queue"].name == "documents"
    assert router.route({}, "xueji.exports.tasks.resend_export_files")["queue"].name == "sweeps"
    assert router.route({}, "xueji.approvals.tasks.request_follow_up")["queue"].name == "celery"


@transactional
def test_the_follow_up_queues_the_file_on_the_documents_queue_and_makes_none_itself(world, empty_queues):
    add_leaders(world)
    change = ask(world, "officer_a")
    with transaction.atomic():
        request_decide(actor=world.user("leader_a"), request_id=change.pk, approve=True)
    # The decision committed: its follow-up waits on the default queue.
    assert waiting()["celery"] == [("xueji.approvals.tasks.request_follow_up", [change.pk])]

    assert request_follow_up(change.pk) is True  # as the default queue's worker runs it
    assert not ExportFile.objects.exists()  # the follow-up made no file
    after = waiting()
    assert after["documents"] == [("xueji.exports.tasks.make_export_file", [change.pk])]
    assert after["celery"] == [] and after["sweeps"] == [] and after["imports"] == []

    # The documents queue's worker makes it, once (a second delivery finds it made).
    assert export_file_run(change.pk) is True
    assert export_file_run(change.pk) is False
    assert ExportFile.objects.filter(request=change).count() == 1


@transactional
def test_a_file_whose_task_was_lost_is_queued_again_and_only_then(world, empty_queues):
    add_leaders(world)
    change = ask(world, "officer_a")
    with transaction.atomic():
        request_decide(actor=world.user("leader_a"), request_id=change.pk, approve=True)
    request_follow_up(change.pk)
    waiting()  # the broker lost the file's task
    now = timezone.now()
    assert export_files_resend(now) == 0  # queued lately: it may still be waiting for a worker

    ChangeRequest.objects.filter(pk=change.pk).update(followed_up_at=now - RESEND_AFTER - timedelta(minutes=1))
    assert export_files_resend(now) == 1
    assert waiting()["documents"] == [("xueji.exports.tasks.make_export_file", [change.pk])]
    assert export_file_run(change.pk) is True
    assert export_files_resend(now) == 0  # made: nothing to send

    # A request whose file could not be made for days is not tried for ever.
    ExportFile.objects.all().delete()
    ChangeRequest.objects.filter(pk=change.pk).update(followed_up_at=now - RESEND_WITHIN - timedelta(minutes=1))
    assert export_files_resend(now) == 0


def test_a_request_not_approved_makes_no_file(world):
    add_leaders(world)
    change = ask(world, "officer_a")
    assert export_file_run(change.pk) is False  # still pending
    request_decide(actor=world.user("leader_a"), request_id=change.pk, approve=False, comment="用途不明确")
    assert export_file_run(change.pk) is False  # rejected
    assert not ExportFile.objects.exists()
