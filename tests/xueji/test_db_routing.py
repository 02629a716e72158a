"""The router's wiring that needs no standby (xueji/db_routing.py); its behaviour on a real
streaming replica is tests/xueji/test_replica.py."""

import os
import subprocess
import sys
from pathlib import Path

from django.core.cache import cache
from django.urls import get_resolver

from xueji import db_routing
from xueji.celery import app
from xueji.pupils.models import Pupil

REPO_DIR = Path(__file__).resolve().parents[2]


def url_names(resolver=None, namespace=""):
    resolver = resolver or get_resolver()
    names = set()
    for pattern in resolver.url_patterns:
        if hasattr(pattern, "url_patterns"):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= url_names(pattern, inner)
        elif pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_lag_tolerant_view_is_a_url_of_the_site():
    """A renamed URL would silently fall back to the primary: the list must follow the names."""
    missing = db_routing.LAG_TOLERANT_VIEWS - url_names()
    assert not missing, missing


def test_every_lag_tolerant_task_is_a_registered_task():
    app.loader.import_default_modules()
    missing = db_routing.LAG_TOLERANT_TASKS - set(app.tasks)
    assert not missing, missing


def test_without_a_replica_every_read_is_the_primarys_and_nothing_is_marked(world, client, login):
    assert not db_routing.replica_configured()
    with db_routing.replica_reads() as context:
        assert context is None
        assert Pupil.objects.all().db == "default"
    officer = world.user("officer_a")
    login(officer)  # a POST: with a replica it would mark the user
    assert client.get("/statistics/").status_code == 200
    assert cache.get(db_routing._mark_key(officer.pk)) is None


def settings_of(code: str, **environment: str) -> str:
    env = {name: value for name, value in os.environ.items() if not name.startswith(("DATABASE_", "XUEJI_REPLICA"))}
    env.update(DJANGO_SETTINGS_MODULE="xueji.settings", XUEJI_ENV="test",
               DATABASE_URL="postgres://xueji_app@127.0.0.1:5432/xueji", **environment)
    result = subprocess.run([sys.executable, "-c", f"from django.conf import settings; {code}"], env=env,
                            cwd=REPO_DIR, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_database_replica_url_adds_the_replica_with_a_short_timeout():
    assert settings_of("print(sorted(settings.DATABASES))") == "['default']"
    printed = settings_of(
        "r = settings.DATABASES['replica']; print(r['HOST'], r['PORT'], r['NAME'], r['USER'], "
        "r['OPTIONS']['connect_timeout'], r['TEST']['MIRROR'], settings.DATABASE_ROUTERS)",
        DATABASE_REPLICA_URL="postgres://xueji_app@standby.example:5433/xueji",
    )
    assert printed == "standby.example 5433 xueji xueji_app 2 default ['xueji.db_routing.ReplicaRouter']"


def test_pgbouncer_mode_disables_server_side_cursors():
    code = "print([d.get('DISABLE_SERVER_SIDE_CURSORS', False) for d in settings.DATABASES.values()])"
    assert settings_of(code) == "[False]"
    assert settings_of(code, XUEJI_PGBOUNCER="1", DATABASE_REPLICA_URL="postgres://a@b/c") == "[True, True]"


def test_s3_storage_needs_its_four_variables():
    env = {"XUEJI_STORAGE": "s3", "XUEJI_S3_ENDPOINT_URL": "http://minio:9000", "XUEJI_S3_BUCKET": "b",
           "XUEJI_S3_ACCESS_KEY": "a", "XUEJI_S3_SECRET_KEY": "s"}
    backend = settings_of("print(settings.STORAGES['default']['BACKEND'])", **env)
    assert backend == "xueji.files.encrypted_s3.EncryptedS3Storage"
    local = settings_of("print(settings.STORAGES['default']['BACKEND'])")
    assert local == "xueji.files.encrypted.EncryptedFileSystemStorage"
    del env["XUEJI_S3_SECRET_KEY"]
    env_all = {name: value for name, value in os.environ.items() if not name.startswith("DATABASE_")}
    result = subprocess.run([sys.executable, "-c", "import django; django.setup()"], cwd=REPO_DIR, text=True,
                            capture_output=True, timeout=60,
                            env={**env_all, "DJANGO_SETTINGS_MODULE": "xueji.settings", "XUEJI_ENV": "test",
                                 "DATABASE_URL": "postgres://x@127.0.0.1/x", **env})
    assert result.returncode != 0 and "XUEJI_STORAGE=s3 needs XUEJI_S3_SECRET_KEY" in result.stderr
