"""The URL of the database this test run uses (pytest-django's test_… database), for the
processes a test starts itself (a gunicorn, a Celery worker, the backup scripts)."""

from urllib.parse import quote

from django.db import connection

ROLE_KEYS = ("USER", "PASSWORD", "HOST", "PORT")


def database_url(role: dict | None = None) -> str:
    """As the connection of the tests (the application's role) or, given a role's settings
    (settings.DATABASE_OWNER), as that role. An empty host is the local socket, as for Django."""
    params = {**connection.settings_dict, **{key: role[key] for key in ROLE_KEYS if role}}
    user = quote(params["USER"] or "", safe="")
    password = f":{quote(params['PASSWORD'], safe='')}" if params.get("PASSWORD") else ""
    host = quote(params["HOST"] or "", safe="")
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{params['NAME']}"
