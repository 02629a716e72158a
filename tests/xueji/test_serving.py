"""The serving setup (xueji/serving.py): gunicorn's workers and threads from the cores and the
environment, the connection pool's options, the settings built from them, and that the app leaves
no session-level state on a connection that the pool hands to the next request."""

import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

from xueji.serving import database_pool, web_concurrency

REPO_DIR = Path(__file__).resolve().parents[2]


def test_the_web_has_one_worker_per_core_at_least_two_with_four_threads():
    assert (web_concurrency({}, cpu_count=2).workers, web_concurrency({}, cpu_count=2).threads) == (2, 4)
    assert web_concurrency({}, cpu_count=1).workers == 2
    assert web_concurrency({}, cpu_count=8).workers == 8
    assert web_concurrency({}, cpu_count=8).worker_class == "gthread"


def test_workers_and_threads_come_from_the_environment():
    chosen = web_concurrency({"XUEJI_WEB_WORKERS": "3", "XUEJI_WEB_THREADS": "8"}, cpu_count=2)
    assert (chosen.workers, chosen.threads, chosen.worker_class) == (3, 8, "gthread")
    # docker-compose passes the variables it does not have as empty: the defaults then.
    empty = {"XUEJI_WEB_WORKERS": "", "XUEJI_WEB_THREADS": ""}
    assert web_concurrency(empty, cpu_count=2) == web_concurrency({}, cpu_count=2)
    assert database_pool({"XUEJI_DB_POOL": "", "XUEJI_DB_POOL_MAX": ""}) == database_pool({})
    # One thread: gunicorn's sync worker.
    assert web_concurrency({"XUEJI_WEB_THREADS": "1"}, cpu_count=2).worker_class == "sync"
    for bad in ("0", "-2", "two", "1.5"):
        with pytest.raises(ValueError, match="XUEJI_WEB_WORKERS"):
            web_concurrency({"XUEJI_WEB_WORKERS": bad}, cpu_count=2)


def test_gunicorn_conf_reads_them(monkeypatch):
    monkeypatch.setenv("XUEJI_WEB_WORKERS", "5")
    monkeypatch.setenv("XUEJI_WEB_THREADS", "6")
    config = runpy.run_path(str(REPO_DIR / "gunicorn.conf.py"))
    assert (config["workers"], config["threads"], config["worker_class"]) == (5, 6, "gthread")
    monkeypatch.setenv("XUEJI_WEB_THREADS", "1")
    assert runpy.run_path(str(REPO_DIR / "gunicorn.conf.py"))["worker_class"] == "sync"


def test_make_run_and_compose_leave_the_workers_to_gunicorn_conf():
    for name in ("scripts/run.py", "docker-compose.yml", "Dockerfile"):
        text = (REPO_DIR / name).read_text()
        assert "--workers" not in text, name
        assert "gunicorn.conf.py" in text, name


def test_the_pool_is_sized_by_the_web_threads():
    assert database_pool({}) == {"min_size": 1, "max_size": 4, "timeout": 10.0, "max_idle": 600.0}
    assert database_pool({"XUEJI_WEB_THREADS": "8"})["max_size"] == 8
    sized = database_pool({"XUEJI_DB_POOL_MIN": "2", "XUEJI_DB_POOL_MAX": "6", "XUEJI_DB_POOL_TIMEOUT": "3"})
    assert (sized["min_size"], sized["max_size"], sized["timeout"]) == (2, 6, 3.0)
    with pytest.raises(ValueError, match="XUEJI_DB_POOL_MIN"):
        database_pool({"XUEJI_DB_POOL_MIN": "5", "XUEJI_DB_POOL_MAX": "2"})
    with pytest.raises(ValueError, match="XUEJI_DB_POOL"):
        database_pool({"XUEJI_DB_POOL": "maybe"})


def test_the_pool_is_on_by_default_but_for_the_test_suite_and_can_be_turned_off():
    assert database_pool({"XUEJI_ENV": "production"}) is not None
    assert database_pool({"XUEJI_ENV": "development"}) is not None
    assert database_pool({"XUEJI_ENV": "test"}) is None
    assert database_pool({"XUEJI_ENV": "test", "XUEJI_DB_POOL": "on"}) is not None
    assert database_pool({"XUEJI_ENV": "production", "XUEJI_DB_POOL": "off"}) is None


SETTINGS_PROGRAM = """
import json
from django.conf import settings
db = settings.DATABASES["default"]
print(json.dumps({"pool": db.get("OPTIONS", {}).get("pool"), "conn_max_age": db["CONN_MAX_AGE"],
                  "health_checks": db["CONN_HEALTH_CHECKS"]}))
"""


def settings_in(**env: str) -> dict:
    import json
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith("XUEJI_DB_POOL")}
    environment.update(DJANGO_SETTINGS_MODULE="xueji.settings", **env)
    result = subprocess.run([sys.executable, "-c", SETTINGS_PROGRAM], env=environment, cwd=REPO_DIR,
                            capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_settings_use_the_pool_with_connections_not_kept_beyond_it():
    pooled = settings_in(XUEJI_ENV="development", XUEJI_WEB_THREADS="3", DATABASE_CONN_MAX_AGE="60")
    # Django refuses a pool with persistent connections: CONN_MAX_AGE is 0 whatever the variable.
    assert pooled == {"pool": {"min_size": 1, "max_size": 3, "timeout": 10.0, "max_idle": 600.0},
                      "conn_max_age": 0, "health_checks": True}
    unpooled = settings_in(XUEJI_ENV="development", XUEJI_DB_POOL="off", DATABASE_CONN_MAX_AGE="60")
    assert unpooled == {"pool": None, "conn_max_age": 60, "health_checks": True}


# Session-level state on a pooled connection ------------------------------------------------------

# The product's code (not its migrations, which run once as the owner, nor the tests).
PRODUCT_DIRS = ["xueji", "enrollment", "transfers", "suspensions", "dropouts", "archives", "cancellation", "changes",
                "schoolyear", "special_education", "reports", "demo"]
# A SET that outlives its transaction: SET x / SET SESSION x, not SET LOCAL nor SET TRANSACTION
# (and not an UPDATE's SET column = ...).
SESSION_SET = re.compile(
    r"""["']\s*SET\s+(?!LOCAL\b|TRANSACTION\b|CONSTRAINTS\b)(SESSION\s+)?[\w.]+\s*(=|TO\b)""", re.I)
SESSION_SET_CONFIG = re.compile(r"set_config\([^)]*,\s*(false|%s)\s*\)", re.I)
SESSION_ADVISORY_LOCK = re.compile(r"pg_(try_)?advisory_lock(_shared)?\(", re.I)
SET_ROLE = re.compile(r"""["']\s*(SET|RESET)\s+(SESSION\s+AUTHORIZATION|ROLE)\b""", re.I)


def product_sources():
    for folder in PRODUCT_DIRS:
        for path in sorted((REPO_DIR / folder).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def test_the_session_state_patterns_catch_what_they_should():
    assert SESSION_SET.search('cursor.execute("SET statement_timeout = 5000")')
    assert SESSION_SET.search("cursor.execute('SET SESSION search_path TO x')")
    assert not SESSION_SET.search('cursor.execute("SET LOCAL statement_timeout = 5000")')
    assert not SESSION_SET.search('cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")')
    assert SESSION_SET_CONFIG.search("SELECT set_config('x.y', %s, false)")
    assert not SESSION_SET_CONFIG.search("SELECT set_config('x.y', %s, true)")
    assert SESSION_ADVISORY_LOCK.search("SELECT pg_advisory_lock(1, 2)")
    assert not SESSION_ADVISORY_LOCK.search("SELECT pg_advisory_xact_lock(1, 2)")
    assert SET_ROLE.search('cursor.execute("SET ROLE xueji_owner")')


def test_the_app_leaves_no_session_level_state_on_a_pooled_connection():
    """The pool gives a connection back without a reset (Django sets none): a SET, set_config(...,
    false), a session advisory lock or a SET ROLE would reach the next request that takes it (the
    audit's user, pghistory's context, a role). Everything the app sets is transaction-local."""
    found = []
    for path in product_sources():
        for number, line in enumerate(path.read_text().splitlines(), 1):
            for pattern in (SESSION_SET, SESSION_SET_CONFIG, SESSION_ADVISORY_LOCK, SET_ROLE):
                if pattern.search(line):
                    found.append(f"{path.relative_to(REPO_DIR)}:{number}: {line.strip()}")
    assert not found, "session-level state on a pooled connection:\n" + "\n".join(found)


@pytest.mark.django_db(transaction=True)
def test_pghistory_context_does_not_outlive_its_request_on_a_pooled_connection():
    """pghistory's context (who changed a record, and why) goes with its transaction: the next
    request that takes the same pooled connection (max_size 1: the same server process) sees
    none of it, so its writes are not put down to the previous user."""
    import pghistory
    from django.db import connection, transaction

    from xueji.accounts.models import Unit

    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "OPTIONS")}
    connection.close()
    pool = {"min_size": 1, "max_size": 1}
    connection.settings_dict.update(CONN_MAX_AGE=0, OPTIONS={**saved["OPTIONS"], "pool": pool})
    try:
        assert connection.pool is not None

        def backend_and_context():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid(), current_setting('pghistory.context_id', true)")
                return cursor.fetchone()

        with transaction.atomic(), pghistory.context(user=1, reason="一次请求"):
            Unit.objects.filter(pk=-1).update(name="无")  # a write: pghistory sets its context with it
            first_pid, inside = backend_and_context()
        assert inside not in (None, "")  # the context was set on this connection
        connection.close()  # the end of the request: back to the pool

        pid, context = backend_and_context()
        assert pid == first_pid  # the same connection came back
        assert context in (None, "")
    finally:
        connection.close()
        connection.close_pool()
        connection.settings_dict.update(saved)
