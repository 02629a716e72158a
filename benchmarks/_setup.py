"""Shared plumbing of the benchmarks: their own PostgreSQL database, Django on top of it.

A benchmark never touches the developer's database or the test database: it works in a database
of its own (``xueji_bench`` by default) on the server of DATABASE_URL (else 127.0.0.1:5432, user
postgres), which it creates, migrates and keeps between runs so that a second run is fast.
"""

import os
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"
# Names a benchmark refuses to use: the developer's database and the test databases.
FORBIDDEN_NAMES = {"xueji", "xueji_dev", "postgres", "template0", "template1"}


def bench_database_url(name: str) -> str:
    """DATABASE_URL (or the default server) with the database name replaced by ``name``."""
    if name in FORBIDDEN_NAMES or name.startswith("test"):
        raise SystemExit(f"Refusing to benchmark in database {name!r}: use a database of its own.")
    developer_url = os.environ.get("DATABASE_URL") or DEFAULT_SERVER_URL
    parts = urlsplit(developer_url)
    if parts.path.lstrip("/") == name:
        raise SystemExit(f"Refusing to benchmark in {name!r}: it is the database of DATABASE_URL.")
    return urlunsplit(parts._replace(path="/" + name))


def maintenance_url(url: str) -> str:
    """The same server, database ``postgres``: for CREATE and DROP DATABASE."""
    return urlunsplit(urlsplit(url)._replace(path="/postgres"))


def database_name(url: str) -> str:
    return urlsplit(url).path.lstrip("/")


def database_exists(url: str) -> bool:
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database_name(url)]).fetchone() is not None


def create_database(url: str) -> None:
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database_name(url))))


def drop_database(url: str) -> None:
    with psycopg.connect(maintenance_url(url), autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(database_name(url))))


def setup_django(url: str) -> None:
    """Point Django at the benchmark database and set it up: development settings with DEBUG off
    (DEBUG records every query and is not how the application runs)."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    os.environ["XUEJI_ENV"] = "development"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["DJANGO_SETTINGS_MODULE"] = "xueji.settings"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    # A series sends hundreds of searches a minute as one user: the API's throttle (60 searches a
    # minute) would answer 429. It still counts in Redis, as in production, at a rate never reached.
    for scope in ("SEARCH", "DETAIL", "DOWNLOAD", "EXPORT", "DEFAULT"):
        os.environ.setdefault(f"XUEJI_THROTTLE_{scope}", "1000000/min")
    import django

    django.setup()


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def pending_migrations() -> list:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return executor.migration_plan(executor.loader.graph.leaf_nodes())


def missing_model_indexes(model) -> list:
    """Indexes in the model's Meta that the database does not have (declared in the model but no
    migration creates them yet)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = %s", [model._meta.db_table])
        present = {row[0] for row in cursor.fetchall()}
    return [index for index in model._meta.indexes if index.name not in present]


def server_facts() -> dict[str, str]:
    from django.db import connection

    facts = {}
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        facts["PostgreSQL"] = cursor.fetchone()[0]
        for setting in ("shared_buffers", "work_mem", "effective_cache_size", "max_parallel_workers_per_gather", "jit"):
            cursor.execute(f"SHOW {setting}")
            facts[setting] = cursor.fetchone()[0]
    return facts


def signed_in_client(user, **client_options):
    """A django.test.Client signed in as ``user`` as after the second factor at login (the
    authenticator code): the account gate (xueji.accounts.gate) would otherwise send every request
    to the authenticator's enrolment. The login's own steps are not what the benchmarks measure."""
    import time

    from django.test import Client

    from xueji.accounts.gate import GATE_PASSED, LOGIN_AT

    client = Client(**client_options)
    client.force_login(user)
    session = client.session
    session[GATE_PASSED], session[LOGIN_AT] = True, time.time()
    session.save()
    return client
