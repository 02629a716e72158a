"""`make test`: the whole pytest suite, browser tests included, against PostgreSQL and Redis.

PostgreSQL: DATABASE_URL when set, else the server on 127.0.0.1:5432 when it answers (user
postgres, trust authentication), else embedded PostgreSQL with its data in .data/postgres.
Two roles on that server: xueji_owner creates and migrates the test database, the tests run as
xueji_app (tests/conftest.py); DATABASE_URL alone is taken as a superuser's URL for making them.
The streaming-replica test needs a replication connection from 127.0.0.1 (pg_basebackup): on a
local trust server whose pg_hba.conf has no replication line, one is added and the server reloaded.
Redis: REDIS_URL when set, else 127.0.0.1:6379 when it answers, else a redis-server of its own.
XUEJI_TEST_NO_LOCAL_SERVICES=1 skips the two 127.0.0.1 probes, as on a fresh machine.

Arguments go to pytest unchanged; the exit code is pytest's.
"""

import os
import signal
import subprocess
import sys

from processes import stop_children
from services import (
    APP_ROLE,
    OWNER_ROLE,
    REPO_DIR,
    EmbeddedPostgres,
    data_dir,
    database_of,
    drop_database_not_owned,
    ensure_replication_allowed,
    ensure_roles,
    postgres_answers,
    redis_answers,
    start_redis,
    two_role_urls,
)

LOCAL_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/xueji"  # pytest-django makes test_xueji
LOCAL_POSTGRES_PROBE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# Database 1, not 0: a Celery worker of `make run` against the same Redis listens on 0 (the
# settings' default) and would take the tests' tasks.
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/1"


def main(pytest_arguments: list[str]) -> int:
    # Until pytest runs, SIGTERM and SIGHUP end this script through `finally`, which stops the
    # services it started (Ctrl-C does so by itself, as KeyboardInterrupt).
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, exit_on_signal)

    probe_local_services = os.environ.get("XUEJI_TEST_NO_LOCAL_SERVICES", "") in ("", "0")
    data = data_dir()
    env = dict(os.environ, XUEJI_ENV="test", XUEJI_DATA_DIR=str(data))

    postgres = None
    redis_child = None
    try:
        if os.environ.get("DATABASE_URL"):
            print("PostgreSQL: DATABASE_URL", flush=True)
        elif probe_local_services and postgres_answers(LOCAL_POSTGRES_PROBE_URL):
            env["DATABASE_URL"] = LOCAL_POSTGRES_URL
            print("PostgreSQL: 127.0.0.1:5432", flush=True)
        else:
            postgres = EmbeddedPostgres(data / "postgres")
            postgres.start()
            env["DATABASE_URL"] = postgres.url("xueji")
            print(f"PostgreSQL: embedded, data in {postgres.pgdata}", flush=True)

        prepare_two_roles(env)

        if os.environ.get("REDIS_URL"):
            print("Redis: REDIS_URL", flush=True)
        elif probe_local_services and redis_answers(LOCAL_REDIS_URL):
            env["REDIS_URL"] = LOCAL_REDIS_URL
            print("Redis: 127.0.0.1:6379", flush=True)
        else:
            redis_child, env["REDIS_URL"] = start_redis(data, env=env)
            print(f"Redis: {env['REDIS_URL']}", flush=True)

        return run_pytest(pytest_arguments, env)
    finally:
        if redis_child is not None:
            stop_children([redis_child])
        if postgres is not None:
            postgres.stop()


def prepare_two_roles(env: dict[str, str]) -> None:
    """The tests run as the application's role and create the test database as the owner
    (tests/conftest.py). Given DATABASE_URL alone, that is a superuser's URL: the two roles are
    made on its server and the URLs derived from it. Given DATABASE_OWNER_URL too, both are used
    as they are."""
    if env.get("DATABASE_OWNER_URL"):
        print("Database roles: DATABASE_URL and DATABASE_OWNER_URL as given", flush=True)
        return
    admin_url = env["DATABASE_URL"]
    ensure_roles(admin_url)
    # The streaming-replica test (tests/xueji/test_replica.py) takes a pg_basebackup of this
    # server as its superuser.
    print(f"Replication: {ensure_replication_allowed(admin_url)}", flush=True)
    env["XUEJI_TEST_REPLICATION_URL"] = admin_url
    # pytest-django's test database; one left by a run made before the two roles goes.
    drop_database_not_owned(admin_url, f"test_{database_of(admin_url)}")
    env["DATABASE_URL"], env["DATABASE_OWNER_URL"] = two_role_urls(admin_url)
    print(f"Database roles: {APP_ROLE} (the tests), {OWNER_ROLE} (creates and migrates)", flush=True)


def exit_on_signal(signum, frame):
    raise SystemExit(128 + signum)


def run_pytest(arguments: list[str], env: dict[str, str]) -> int:
    pytest = subprocess.Popen([str(REPO_DIR / ".venv" / "bin" / "pytest"), *arguments], env=env, cwd=REPO_DIR)

    # pytest shares our process group, so a Ctrl-C on the terminal reaches it directly and it
    # stops by itself; we only have to outlive it to stop the services afterwards. A SIGTERM is
    # for us alone: pass it on.
    signal.signal(signal.SIGINT, lambda signum, frame: None)
    signal.signal(signal.SIGTERM, lambda signum, frame: pytest.terminate())
    signal.signal(signal.SIGHUP, lambda signum, frame: pytest.terminate())
    returncode = pytest.wait()
    # Killed by a signal: report it as a shell does (128 + its number), not as a negative number.
    return 128 - returncode if returncode < 0 else returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
