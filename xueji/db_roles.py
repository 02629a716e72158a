"""The two database roles (docs/security.md, "An audit log that holds").

- The owner (settings.DATABASE_OWNER, env DATABASE_OWNER_URL) owns every table: it runs the
  migrations, the grants below and, in tests, the flush between transactional tests.
- The application's role (settings.DATABASES["default"], env DATABASE_URL) is what the web, the
  Celery workers and beat use. It owns no table, so it can neither ALTER a table nor switch or drop
  a trigger; on the audit log and the field history (pghistory's event tables) it may only INSERT
  and SELECT, so no UPDATE, DELETE or TRUNCATE there, whatever the code does.

Without DATABASE_OWNER_URL there is one role for everything, as before (grants are then skipped).
"""

from contextlib import contextmanager

import psycopg
from django.apps import apps
from django.conf import settings
from django.db import connections
from psycopg import sql

# What the application may do on every other table. No TRUNCATE: the application never needs it
# (the tests' flush runs as the owner, see xueji/management/commands/flush.py).
BUSINESS_PRIVILEGES = ["SELECT", "INSERT", "UPDATE", "DELETE"]
APPEND_ONLY_PRIVILEGES = ["SELECT", "INSERT"]
# Written by migrate only; the application reads it (Django's check for unapplied migrations).
READ_ONLY_TABLES = {"django_migrations"}


def append_only_tables() -> set[str]:
    """The audit log and the field history: the application appends and reads, nothing more."""
    import pghistory.models

    tables = {apps.get_model("xueji", "AuditEntry")._meta.db_table}
    tables |= {m._meta.db_table for m in apps.get_models() if issubclass(m, pghistory.models.Event) and m._meta.managed}
    return tables


def owner_conninfo(database: str | None = None) -> dict:
    """psycopg connection arguments of the owner, on the database the application uses now (in
    tests the test database)."""
    owner = settings.DATABASE_OWNER
    if not owner:
        raise RuntimeError("DATABASE_OWNER_URL is not set: there is no owner role to connect as")
    default = connections["default"].settings_dict
    info = {
        "dbname": database or default["NAME"],
        "user": owner["USER"],
        "host": owner.get("HOST") or default.get("HOST") or None,
        "port": owner.get("PORT") or default.get("PORT") or None,
    }
    if owner.get("PASSWORD"):
        info["password"] = owner["PASSWORD"]
    return {key: value for key, value in info.items() if value not in (None, "")}


@contextmanager
def owner_connection(database: str | None = None, autocommit: bool = False):
    """A connection as the owner, apart from Django's; committed when the block ends without error."""
    with psycopg.connect(**owner_conninfo(database), autocommit=autocommit) as conn:
        yield conn


def grant_app_role(conn: psycopg.Connection, app_role: str) -> list[str]:
    """Grant the application's role exactly what it needs, over an owner's connection. Idempotent:
    it first revokes everything, then grants. Returns the append-only tables."""
    role = sql.Identifier(app_role)
    database = conn.execute("SELECT current_database()").fetchone()[0]
    owner = conn.execute("SELECT current_user").fetchone()[0]
    if owner == app_role:
        raise RuntimeError("the application's role is the owner's: give DATABASE_URL another role than DATABASE_OWNER_URL")
    tables = [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    protected = append_only_tables()
    conn.execute(sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(sql.Identifier(database), role))
    conn.execute(sql.SQL("GRANT USAGE ON SCHEMA public TO {}").format(role))
    # Before PostgreSQL 15 every role may create tables in "public"; the application must not.
    try:
        with conn.transaction():
            conn.execute("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
    except psycopg.errors.InsufficientPrivilege:
        pass  # the schema is not the owner's (an old server): its administrator revokes it
    for table in tables:
        name = sql.Identifier(table)
        privileges = (
            APPEND_ONLY_PRIVILEGES if table in protected else ["SELECT"] if table in READ_ONLY_TABLES else BUSINESS_PRIVILEGES
        )
        conn.execute(sql.SQL("REVOKE ALL ON TABLE {} FROM {}").format(name, role))
        conn.execute(sql.SQL("GRANT {} ON TABLE {} TO {}").format(sql.SQL(", ").join(map(sql.SQL, privileges)), name, role))
    conn.execute(sql.SQL("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {}").format(role))
    return sorted(protected)


@contextmanager
def connected_as_owner():
    """The default connection as the owner for the length of a block: for the commands that
    rewrite what the application's role may only append to (encryption_rotate re-encrypts the
    field history). Outside a transaction only: the connection is closed and opened again. Without
    DATABASE_OWNER_URL (one role) nothing changes."""
    from django.conf import settings
    from django.db import connections

    if not settings.DATABASE_OWNER:
        yield
        return
    keys = ("USER", "PASSWORD", "HOST", "PORT")
    connection = connections["default"]
    saved = {key: connection.settings_dict.get(key) for key in keys}
    # A pool (settings.DATABASE_POOL) keeps the role it was opened with: closed on both sides, so
    # that the next connection is opened afresh as the owner, then as the application again.
    _close(connection)
    connection.settings_dict.update({key: settings.DATABASE_OWNER.get(key) for key in keys})
    try:
        yield
    finally:
        _close(connection)
        connection.settings_dict.update(saved)


def _close(connection) -> None:
    connection.close()
    if getattr(connection, "pool", None):
        connection.close_pool()
