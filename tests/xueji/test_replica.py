"""The database router against a real streaming replica (xueji/db_routing.py, tests/replica.py).

A hot standby of the tests' server is started once for this module (pg_basebackup of the server,
then postgres of its major version on a free port of 127.0.0.1) and added as the `replica`
database for each test. Tests are transactional: what the primary commits streams to the standby.
Without a replication connection the tests fail, saying why: they are part of `make test`.
"""

import time
from contextlib import contextmanager

import pytest
from django.db import connections, transaction

from tests.conftest import api_token
from tests.factories import make_pupil
from tests.replica import StreamingReplica
from xueji import db_routing
from xueji.accounts.models import AuditEntry
from xueji.pupils.models import Pupil, Sanction


# The standby is the `replica` database of these tests, a mirror of the default for pytest-django
# (nothing is flushed on it: it follows the primary's flush).
on_replica = pytest.mark.django_db(transaction=True, databases=["default", db_routing.REPLICA])


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker):
    from django.conf import settings

    with django_db_blocker.unblock():
        replica = StreamingReplica()
        try:
            replica.start()
            settings.DATABASES[db_routing.REPLICA] = replica.alias_settings()
            if connections.settings is not settings.DATABASES:
                connections.settings[db_routing.REPLICA] = settings.DATABASES[db_routing.REPLICA]
            yield replica
        finally:
            if db_routing.REPLICA in connections.settings:
                connections[db_routing.REPLICA].close()
                del connections[db_routing.REPLICA]
            settings.DATABASES.pop(db_routing.REPLICA, None)
            connections.settings.pop(db_routing.REPLICA, None)
            db_routing.forget_replica_state()
            replica.remove()


@pytest.fixture
def replica(standby, settings):
    """The standby, running, with a short read-your-writes window (1 s)."""
    settings.READ_YOUR_WRITES_SECONDS = 1
    if not standby.started:
        standby.start_server()  # stopped by an earlier test
    db_routing.forget_replica_state()
    yield standby
    connections[db_routing.REPLICA].close()
    db_routing.forget_replica_state()


def in_recovery(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return cursor.fetchone()[0]


def wait_mark_gone():
    """The read-your-writes mark (1 s in these tests) of the login's POST expires."""
    time.sleep(1.2)


@contextmanager
def queries_on(alias: str):
    """The SQL each query run on this database (without connecting to it, as
    CaptureQueriesContext would: the standby may be stopped)."""
    statements = []

    def record(execute, sql, params, many, context):
        statements.append({"sql": sql})
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(record):
        yield statements


def reads_of(client, url: str, **extra):
    """The answer to a GET and the queries each database ran for it."""
    with queries_on("default") as primary, queries_on(db_routing.REPLICA) as standby_queries:
        response = client.get(url, **extra)
    return response, primary, standby_queries


def touches_pupils(queries) -> bool:
    return any('"xueji_pupil"' in query["sql"] for query in queries)


@on_replica
def test_lag_tolerant_pages_read_from_the_standby(replica, world, client, login):
    assert not in_recovery("default")
    assert in_recovery(db_routing.REPLICA), "the replica alias must be the standby"
    login(world.user("officer_a"))
    replica.wait_caught_up()
    wait_mark_gone()

    response, primary, standby_queries = reads_of(client, "/statistics/")
    assert response.status_code == 200
    assert touches_pupils(standby_queries), "the statistics' counts must come from the standby"
    assert not touches_pupils(primary)
    # Who is logged in is never read from a standby (its session could lag a fresh login).
    assert any('"django_session"' in query["sql"] for query in primary)
    assert not any('"django_session"' in query["sql"] for query in standby_queries)


@on_replica
def test_a_page_that_acts_on_one_record_stays_on_the_primary(replica, world, client, login):
    login(world.user("registrar_a1"))
    replica.wait_caught_up()
    wait_mark_gone()
    response, primary, standby_queries = reads_of(client, f"/pupils/{world.pupils['a1'].pk}/")
    assert response.status_code == 200
    assert standby_queries == []
    assert touches_pupils(primary)


@on_replica
def test_read_your_writes_on_a_lagging_standby(replica, world, client, login):
    """With the standby's replay paused, a search list shows what the standby has; after a write
    of the user's own, the next pages read the primary, and once the window has passed the
    standby again."""
    registrar = world.user("registrar_a1")
    login(registrar)
    replica.wait_caught_up()
    replica.pause_replay()
    try:
        late = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="欧阳晚到")  # not the user's write
        wait_mark_gone()

        response, primary, standby_queries = reads_of(client, "/pupils/?q=欧阳晚到")
        assert response.status_code == 200
        assert touches_pupils(standby_queries) and not touches_pupils(primary)
        assert f"/pupils/{late.pk}/" not in response.content.decode(), "the paused standby cannot know the pupil"

        # The user writes (a sanction on one of their pupils): they stay on the primary.
        response = client.post(f"/pupils/{world.pupils['a1'].pk}/sanctions/", {
            "kind": Sanction.Kind.choices[0][0], "start_date": "2026-09-01", "reason": "测试处分"})
        assert response.status_code == 302
        assert Sanction.objects.filter(pupil=world.pupils["a1"]).exists()

        response, primary, standby_queries = reads_of(client, "/pupils/?q=欧阳晚到")
        assert response.status_code == 200
        assert standby_queries == [] and touches_pupils(primary)
        assert f"/pupils/{late.pk}/" in response.content.decode()
        assert Pupil.objects.filter(pk=late.pk).exists()

        wait_mark_gone()
        response, primary, standby_queries = reads_of(client, "/pupils/?q=欧阳晚到")
        assert touches_pupils(standby_queries), "the window has passed: back to the standby"
    finally:
        replica.resume_replay()


@on_replica
def test_the_api_search_list_reads_the_standby_for_a_token_user(replica, world, client):
    token = api_token("registrar_a1")  # obtaining it is a POST: the user is marked
    replica.wait_caught_up()
    wait_mark_gone()
    response, primary, standby_queries = reads_of(client, "/api/v1/pupils/?q=张", HTTP_AUTHORIZATION=f"Token {token}")
    assert response.status_code == 200, response.content[:300]
    assert touches_pupils(standby_queries)
    # The token itself is checked on the primary (a token issued a moment ago must work).
    assert any('"knox_authtoken"' in query["sql"] for query in primary)


@on_replica
def test_writes_and_transactions_that_wrote_use_the_primary(replica, world):
    pupil = world.pupils["a1"]
    replica.wait_caught_up()
    with db_routing.replica_reads():
        assert Pupil.objects.all().db == db_routing.REPLICA
        assert in_recovery(Pupil.objects.all().db)
        assert Pupil.objects.filter(pk=pupil.pk).exists()
        # A locking read is a write's read.
        assert Pupil.objects.select_for_update().db == "default"
        with transaction.atomic():
            assert Pupil.objects.all().db == db_routing.REPLICA  # nothing written yet
            Pupil.objects.filter(pk=pupil.pk).update(specialty="书法")
            assert Pupil.objects.all().db == "default", "this transaction wrote: its reads see its writes"
            assert Pupil.objects.get(pk=pupil.pk).specialty == "书法"
        # A task's own committed output is not what it reads: the replica again.
        assert Pupil.objects.all().db == db_routing.REPLICA
        # Bookkeeping is never read from the standby.
        assert AuditEntry.objects.all().db == "default"
    # Outside a lag-tolerant context every read is the primary's.
    assert Pupil.objects.all().db == "default"


@on_replica
def test_the_site_keeps_working_when_the_standby_stops(replica, world, client, login):
    login(world.user("officer_a"))
    replica.wait_caught_up()
    wait_mark_gone()
    response, _primary, standby_queries = reads_of(client, "/statistics/")
    assert response.status_code == 200 and touches_pupils(standby_queries)

    replica.stop()
    started = time.monotonic()
    response, primary, standby_queries = reads_of(client, "/statistics/")
    assert response.status_code == 200
    assert touches_pupils(primary) and standby_queries == []
    response = client.get("/pupils/?q=张")
    assert response.status_code == 200
    # Remembered: the next requests do not try the stopped standby again.
    response, primary, standby_queries = reads_of(client, "/statistics/")
    assert response.status_code == 200 and standby_queries == []
    assert time.monotonic() - started < 15


def test_lag_tolerant_tasks_run_inside_replica_reads(replica):
    """The worker's signals around a task (xueji/celery.py connects them): a monthly-reports task
    reads lag-tolerantly, any other task does not."""
    from celery.signals import task_postrun, task_prerun

    from xueji.celery import app

    app.loader.import_default_modules()
    for name, expected in (("reports.tasks.run_monthly_reports", True), ("xueji.jobs.sweep", False)):
        task = app.tasks[name]
        task_prerun.send(sender=task, task_id=f"test-{name}", task=task, args=(), kwargs={})
        try:
            context = db_routing.current_context()
            assert (context is not None and context.lag_tolerant) is expected, name
        finally:
            task_postrun.send(sender=task, task_id=f"test-{name}", task=task, args=(), kwargs={}, retval=None)
        assert db_routing.current_context() is None


@on_replica
def test_a_standby_too_far_behind_is_left_alone(replica, world, client, login, settings):
    settings.REPLICA_MAX_LAG_SECONDS = 0.5
    login(world.user("officer_a"))
    replica.wait_caught_up()
    wait_mark_gone()
    replica.pause_replay()
    try:
        make_pupil(world.units["a1"], world.classes["a1_3_1"], name="司马迟来")  # the standby stays behind
        time.sleep(1)
        response, primary, standby_queries = reads_of(client, "/statistics/")
        assert response.status_code == 200
        assert not touches_pupils(standby_queries) and touches_pupils(primary)
    finally:
        replica.resume_replay()
    replica.wait_caught_up()
    db_routing.forget_replica_state()  # past the retry period
    response, primary, standby_queries = reads_of(client, "/statistics/")
    assert touches_pupils(standby_queries), "caught up again: back to the standby"
