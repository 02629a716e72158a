"""Grant the application's database role what it may do (xueji/db_roles.py), as the owner.

    DATABASE_URL=postgres://xueji_app@…/xueji DATABASE_OWNER_URL=postgres://xueji_owner@…/xueji \\
        manage.py db_grant_app_role

Run it after every `migrate` (make run, make test and docker-compose do): new tables get their
grants then. Idempotent. Without DATABASE_OWNER_URL (one role for everything) it does nothing.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from xueji.db_roles import grant_app_role, owner_connection


class Command(BaseCommand):
    help = "以表的所有者身份，为应用的数据库角色授予所需的权限（审计日志只可追加和读取）。"

    def add_arguments(self, parser):
        parser.add_argument("--role", help="the application's role (default: the user of DATABASE_URL)")

    def handle(self, *args, role: str | None, **options):
        if not settings.DATABASE_OWNER:
            self.stdout.write("DATABASE_OWNER_URL is not set: one database role, nothing to grant.")
            return
        app_role = role or connections["default"].settings_dict["USER"]
        if not app_role:
            raise CommandError("DATABASE_URL names no user: give the application's role with --role")
        with owner_connection() as conn:
            try:
                protected = grant_app_role(conn, app_role)
            except RuntimeError as error:
                raise CommandError(str(error)) from error
        self.stdout.write(f"granted {app_role}: append-only on {', '.join(protected)}; read/write elsewhere")
