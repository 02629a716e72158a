"""For the few tests that must act as the tables' owner (xueji/db_roles.py): backdating history,
tampering with the audit log to see that its checks notice. Explicit and narrow: a cursor on a
connection of its own, as the owner; nothing switches the application's checks off.

The owner's connection is not the test's: it sees only what is committed, so tests that use it
run with real transactions (tests.conftest.transactional).
"""

from contextlib import contextmanager

from xueji.db_roles import owner_connection


@contextmanager
def owner_cursor():
    """A cursor as the owner, committed when the block ends without error."""
    with owner_connection() as conn, conn.cursor() as cursor:
        yield cursor


def backdate_history(table: str, at, *, after_id: int = 0, obj_id: int | None = None) -> None:
    """Give the field-history events of ``table`` (a pghistory event table) written after the event
    ``after_id`` (of the object ``obj_id``, if given) the time ``at``. History times come from the
    database clock, which frozen Python time does not reach. The events are append-only and the
    application's role may not update them: the owner lifts the table's triggers for this one
    UPDATE, in its own transaction."""
    condition, params = "pgh_id > %s", [after_id]
    if obj_id is not None:
        condition, params = condition + " AND pgh_obj_id = %s", [*params, obj_id]
    with owner_cursor() as cursor:
        cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER USER')
        cursor.execute(f'UPDATE "{table}" SET pgh_created_at = %s WHERE {condition}', [at, *params])
        cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER USER')
