"""Two database roles (xueji/db_roles.py): the tests run as the application's role, as the web and
the workers do, and that role may only append to the audit log and read it. Each statement that
would rewrite or hide the log fails for it; it owns no table."""

import time

import psycopg
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import ProgrammingError, connection, transaction

from tests.conftest import transactional
from tests.owner import owner_cursor
from xueji.accounts.audit import audit_record
from xueji.accounts.models import AuditEntry
from xueji.celery import app

REFUSED_ON_THE_AUDIT_LOG = {
    "UPDATE": "UPDATE xueji_auditentry SET detail = 'x' WHERE id = %(id)s",
    "DELETE": "DELETE FROM xueji_auditentry WHERE id = %(id)s",
    "TRUNCATE": "TRUNCATE xueji_auditentry",
    "DISABLE TRIGGER": "ALTER TABLE xueji_auditentry DISABLE TRIGGER xueji_audit_append_only",
    "DISABLE TRIGGER ALL": "ALTER TABLE xueji_auditentry DISABLE TRIGGER ALL",
    "DROP TRIGGER": "DROP TRIGGER xueji_audit_append_only ON xueji_auditentry",
    "DROP CHAIN TRIGGER": "DROP TRIGGER xueji_audit_chain ON xueji_auditentry",
    "DROP COLUMN": "ALTER TABLE xueji_auditentry DROP COLUMN detail",
    "RENAME": "ALTER TABLE xueji_auditentry RENAME TO xueji_auditentry_old",
    "REPLACE TRIGGER FUNCTION": "CREATE OR REPLACE FUNCTION xueji_audit_append_only() RETURNS trigger "
                                "AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql",
}


def test_the_tests_run_as_the_application_role_not_the_owner(db):
    assert settings.DATABASE_OWNER, "make test runs with two roles: DATABASE_OWNER_URL must be set"
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user, rolsuper FROM pg_roles WHERE rolname = current_user")
        user, superuser = cursor.fetchone()
    assert user == connection.settings_dict["USER"] != settings.DATABASE_OWNER["USER"]
    assert not superuser


@pytest.mark.parametrize("statement", sorted(REFUSED_ON_THE_AUDIT_LOG))
def test_the_application_role_cannot_rewrite_the_audit_log(world, statement):
    entry = audit_record(action="test", detail="原文")
    with pytest.raises(ProgrammingError) as refused, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REFUSED_ON_THE_AUDIT_LOG[statement], {"id": entry.pk})
    assert isinstance(refused.value.__cause__, psycopg.errors.InsufficientPrivilege), refused.value
    entry.refresh_from_db()
    assert entry.detail == "原文"


def test_the_application_role_appends_and_reads(world):
    entry = audit_record(action="test", detail="追加")
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO xueji_auditentry (at, username, role, unit_path, action, object_type, object_id, object_repr,"
            " result, detail) VALUES (now(), '', '', '', 'raw', '', '', '', 'ok', '直接写入') RETURNING chain_seq"
        )
        [raw_seq] = cursor.fetchone()
    assert raw_seq == entry.chain_seq + 1  # raw SQL is chained too
    assert AuditEntry.objects.filter(pk=entry.pk, detail="追加").exists()


def test_the_application_role_owns_nothing_and_creates_nothing(db):
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_class WHERE relowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM pg_tables WHERE tableowner = current_user")
        assert cursor.fetchone() == (0,)
        cursor.execute("SELECT count(*) FROM pg_proc WHERE proowner = (SELECT oid FROM pg_roles WHERE rolname = current_user)")
        assert cursor.fetchone() == (0,)
    with pytest.raises(ProgrammingError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("CREATE TABLE public.xueji_shadow (id int)")


@pytest.mark.parametrize("table", ["xueji_pupilevent", "xueji_guardianevent"])
def test_the_field_history_is_append_only_for_the_application_too(world, table):
    for statement in (f"UPDATE {table} SET pgh_label = 'x'", f"DELETE FROM {table}", f"TRUNCATE {table}"):
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # reading is allowed
        assert cursor.fetchone()[0] > 0


def test_business_tables_stay_writable(world):
    pupil = world.pupils["a1"]
    with connection.cursor() as cursor:
        cursor.execute("UPDATE xueji_pupil SET former_name = '张小小' WHERE id = %s", [pupil.pk])
        assert cursor.rowcount == 1


@transactional
def test_the_owner_is_refused_by_the_append_only_trigger_as_before(world):
    """The trigger of migration 0003 stays: even the owner's UPDATE or DELETE is refused while it
    is on (the owner could lift it; the hash chain shows what it then changed)."""
    entry = audit_record(action="test", detail="原文")
    for statement in ("UPDATE xueji_auditentry SET detail = 'x' WHERE id = %s", "DELETE FROM xueji_auditentry WHERE id = %s"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="审计日志只能追加"), owner_cursor() as cursor:
            cursor.execute(statement, [entry.pk])
    entry.refresh_from_db()
    assert entry.detail == "原文"


def test_retention_is_three_years_and_nothing_purges():
    from django.core.management import get_commands

    assert settings.AUDIT_RETENTION_YEARS == 3
    assert not [name for name in get_commands() if "purge" in name or "prune_audit" in name]


@app.task(name="tests.xueji.accounts.test_database_roles.note_database_user")
def note_database_user() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        user = cursor.fetchone()[0]
    audit_record(action="test.worker", detail=user)


@transactional
def test_a_celery_worker_connects_as_the_application_role(db):
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        note_database_user.delay()
        deadline = time.monotonic() + 30
        while not AuditEntry.objects.filter(action="test.worker").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
    entry = AuditEntry.objects.get(action="test.worker")
    assert entry.detail == connection.settings_dict["USER"] != settings.DATABASE_OWNER["USER"]


@transactional
def test_db_grant_app_role_grants_exactly_what_the_application_needs(db):
    """Idempotent (make run runs it after every migrate); the privileges as PostgreSQL reports them."""
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("db_grant_app_role", stdout=out)
    assert "append-only on xueji_auditentry, xueji_guardianevent, xueji_pupilevent" in out.getvalue()
    app_role = connection.settings_dict["USER"]
    expected = {
        "xueji_auditentry": {"SELECT", "INSERT"},
        "xueji_pupilevent": {"SELECT", "INSERT"},
        "xueji_guardianevent": {"SELECT", "INSERT"},
        "xueji_pupil": {"SELECT", "INSERT", "UPDATE", "DELETE"},
        "pghistory_context": {"SELECT", "INSERT", "UPDATE", "DELETE"},
        "django_migrations": {"SELECT"},
    }
    with connection.cursor() as cursor:
        for table, privileges in expected.items():
            held = set()
            for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE", "TRUNCATE", "REFERENCES", "TRIGGER"):
                cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [app_role, table, privilege])
                if cursor.fetchone()[0]:
                    held.add(privilege)
            assert held == privileges, table
