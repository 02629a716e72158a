"""Celery's queues (settings.CELERY_TASK_ROUTES): on the real broker, a task of each kind lands on
its queue (imports, documents, sweeps, celery), and every worker the project starts reads all four,
so that nothing waits on a queue nobody reads."""

import threading
import time
from pathlib import Path

import pytest
import yaml
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from tests.broker import drain
from xueji.celery import app, enqueue_on_commit

REPO_DIR = Path(__file__).resolve().parents[2]
QUEUES = {"imports", "documents", "sweeps", "celery"}


def take(queue_name: str) -> list[dict]:
    """Every message waiting in a queue, taken off it: their headers (task name, id)."""
    return [message.headers for message in drain(queue_name)]


@pytest.fixture
def empty_queues():
    for name in QUEUES:
        take(name)
    yield
    for name in QUEUES:
        take(name)


def first_task(prefix: str) -> str:
    names = sorted(name for name in app.tasks if name.startswith(prefix))
    assert names, f"no task under {prefix}"
    return names[0]


def kinds() -> list[tuple[str, str, tuple]]:
    """(task, queue it must land on, arguments): one or more of each kind."""
    return [
        ("enrollment.tasks.run_import", "imports", (0,)),
        (first_task("xueji.documents.tasks."), "documents", (0,)),
        ("reports.tasks.run_monthly_reports", "documents", (0,)),
        ("xueji.exports.tasks.make_export_file", "documents", (0,)),  # an approved export's file
        ("xueji.approvals.tasks.deadline_sweep", "sweeps", ()),
        ("xueji.jobs.sweep", "sweeps", ()),
        ("enrollment.tasks.expire_import_files", "sweeps", ()),  # "import" in its name, yet a sweep
        ("xueji.approvals.tasks.request_follow_up", "celery", (0,)),
        ("schoolyear.tasks.promotion_run_task", "celery", (0,)),
    ]


@pytest.mark.django_db(transaction=True)
def test_a_task_of_each_kind_lands_on_its_queue(empty_queues):
    app.loader.import_default_modules()
    for name, queue, arguments in kinds():
        # The app's one way of queuing (outside a transaction it queues at once).
        enqueue_on_commit(app.tasks[name], *arguments)
        waiting = {other: [headers["task"] for headers in take(other)] for other in QUEUES}
        assert waiting[queue] == [name], (name, waiting)
        assert not any(waiting[other] for other in QUEUES - {queue}), (name, waiting)


def test_every_task_goes_to_one_of_the_four_and_every_periodic_one_to_sweeps():
    app.loader.import_default_modules()
    router = app.amqp.router
    ours = [name for name in app.tasks if not name.startswith("celery.")]
    assert len(ours) >= 15
    for name in ours:
        assert router.route({}, name)["queue"].name in QUEUES, name
    for entry in settings.CELERY_BEAT_SCHEDULE.values():
        assert router.route({}, entry["task"])["queue"].name == "sweeps", entry["task"]


ran: list[str] = []
ran_lock = threading.Lock()


@app.task(name="tests.xueji.test_queues.note")
def note(queue: str) -> None:
    with ran_lock:
        ran.append(queue)


@pytest.mark.django_db(transaction=True)
def test_the_tests_worker_reads_all_four_queues(empty_queues):
    """start_worker, as the tests start a real worker, without naming queues (settings declare
    them: CELERY_TASK_QUEUES)."""
    ran.clear()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        for queue in sorted(QUEUES):
            note.apply_async((queue,), queue=queue)
        deadline = time.monotonic() + 30
        while len(ran) < len(QUEUES) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert sorted(ran) == sorted(QUEUES)


@pytest.mark.django_db(transaction=True)
def test_a_worker_takes_an_import_before_the_prints_queued_ahead_of_it(empty_queues):
    """A registrar's upload is not left behind a morning's class prints: the worker takes from
    its queues in the settings' order (queue_order_strategy "priority"), imports first, documents
    last, whatever waited longer."""
    ran.clear()
    queued = ["documents", "documents", "documents", "celery", "sweeps", "imports", "imports"]
    for queue in queued:
        note.apply_async((queue,), queue=queue)
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        deadline = time.monotonic() + 30
        while len(ran) < len(queued) and time.monotonic() < deadline:
            time.sleep(0.1)
    # In turn (Celery's default) it would have been imports, sweeps, celery, documents, imports, …
    assert ran == ["imports", "imports", "sweeps", "celery", "documents", "documents", "documents"]


def test_make_run_docker_compose_and_the_drills_read_all_four_queues():
    import importlib.util
    import sys

    scripts = str(REPO_DIR / "scripts")
    if scripts not in sys.path:
        sys.path.append(scripts)
    spec = importlib.util.spec_from_file_location("xueji_make_run_queues", REPO_DIR / "scripts" / "run.py")
    run = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(run)
    # In the settings' order too: the worker takes from the queues in the order it names them.
    command = run.worker_command()
    assert command[command.index("-Q") + 1].split(",") == list(settings.CELERY_QUEUES)

    compose = yaml.safe_load((REPO_DIR / "docker-compose.yml").read_text())
    worker = compose["services"]["worker"]["command"]
    assert worker[worker.index("-Q") + 1].split(",") == list(settings.CELERY_QUEUES)
    assert set(settings.CELERY_QUEUES) == QUEUES
    assert '"-Q", ",".join(settings.CELERY_QUEUES)' in (REPO_DIR / "tests" / "drills.py").read_text()
