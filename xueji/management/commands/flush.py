"""Django's flush, with its TRUNCATE run as the tables' owner when there are two roles.

The application's role may not TRUNCATE the audit log (xueji/db_roles.py); the test suite flushes
the database after every transactional test (TransactionTestCase calls this command), and an
operator may flush a development database. This command shadows django.core's (an app's commands
win over Django's own) and sends the same statements over an owner's connection instead.
"""

from django.conf import settings
from django.core.management.base import CommandError
from django.core.management.commands import flush
from django.db import connections

from xueji.db_roles import owner_connection


class Command(flush.Command):
    def handle(self, **options):
        database = options["database"]
        if not settings.DATABASE_OWNER or database != "default":
            return super().handle(**options)
        connection = connections[database]
        original = connection.ops.execute_sql_flush

        def execute_as_owner(sql_list):
            try:
                with owner_connection(connection.settings_dict["NAME"]) as conn:
                    for statement in sql_list:
                        conn.execute(statement)
            except Exception as error:
                raise CommandError(f"flush as the owner failed: {error}") from error

        connection.ops.execute_sql_flush = execute_as_owner
        try:
            return super().handle(**options)
        finally:
            connection.ops.execute_sql_flush = original
