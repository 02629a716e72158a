"""/healthz/: a balancer's health check (no session) and the benchmark's measure of the stack's
limit (with one). It answers without a login, through every middleware, with a database round
trip, and tells nothing about anyone."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import login_with_code
from tests.xueji.web.live_gunicorn import serving

pytestmark = pytest.mark.django_db


def test_a_balancer_without_a_session_gets_an_answer_and_no_cookie(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content.decode() == "正常"
    assert response["Content-Type"].startswith("text/plain")
    assert "no-cache" in response["Cache-Control"] and "no-store" in response["Cache-Control"]
    # The middleware ran (the headers of every page), and the database was asked.
    assert response["X-Frame-Options"] == "DENY"
    assert "Content-Security-Policy" in response
    assert any(query["sql"] == "SELECT 1" for query in queries.captured_queries)
    assert not response.cookies  # no session made for it


def test_a_signed_in_user_pays_for_the_session_as_on_every_page(client, world):
    login_with_code(client, world.user("registrar_a1"))
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/healthz/")
    assert response.status_code == 200
    assert response.content.decode() == "正常"
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "django_session" in sql and "xueji_user" in sql  # the session and the user loaded


def test_only_reads_are_answered(client):
    assert client.head("/healthz/").status_code == 200
    assert client.post("/healthz/").status_code == 405


@pytest.mark.django_db(transaction=True)
def test_gthread_with_the_pool_answers_many_at_once(django_db_blocker, tmp_path):
    """The serving setup as `make run` runs it, pool on: one worker with four threads answers
    24 requests sent at once, each through its own pooled connection."""
    from concurrent.futures import ThreadPoolExecutor

    with serving(django_db_blocker, tmp_path, XUEJI_DB_POOL="on", XUEJI_WEB_WORKERS="1",
                 XUEJI_WEB_THREADS="4") as server:
        with ThreadPoolExecutor(max_workers=12) as pool:
            answers = list(pool.map(lambda _: server.request("GET", "/healthz/"), range(24)))
        output = server.output()
    assert [(status, body.decode()) for status, _, body in answers] == [(200, "正常")] * 24
    assert "Using worker: gthread" in output
    assert "Traceback" not in output
