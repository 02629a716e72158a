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
