"""`make backup` and `make restore-drill` (scripts/backup.py, scripts/restore_drill.py), run as
programs on the test database with a few committed pupils: the manifest counts what the database
holds, nothing in the backup is readable without its key, and the drill passes on a good backup and
fails on a changed one. Each run restores a real database: a few seconds each."""

import contextlib
import datetime
import hashlib
import json
import os
import re
import secrets
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from tests.conftest import build_world
from tests.database import database_url

REPO_DIR = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_DIR / "scripts"))
import backup  # scripts/backup.py, imported as the scripts import each other
import backup_nightly

sys.path.remove(str(REPO_DIR / "scripts"))
BACKUP_KEY = "test-backup-passphrase-3b1f9c2e7d"
DRILL_LINE = r"^restore drill: \d+ tables, \d+ rows equal, audit chain (intact|not verified .*), \d+ s$"


@pytest.fixture
def run(tmp_path, transactional_db):
    """Runs scripts/<name>.py against the test database with a data folder, a backup folder and a
    backup key of the test's own; returns (exit code, output)."""
    build_world()
    data = tmp_path / "data"
    (data / "private" / "photos").mkdir(parents=True)
    (data / "private" / "photos" / "pupil.jpg").write_bytes(b"JPEG photo of 110101201001011234 " * 100)
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_OWNER_URL",)}
    if settings.DATABASE_OWNER:
        # The dump and the drill's scratch database are the owner's, as in make backup.
        env["DATABASE_OWNER_URL"] = database_url(settings.DATABASE_OWNER)
    env.update(
        DATABASE_URL=database_url(),
        XUEJI_DATA_DIR=str(data),
        BACKUP_DIR=str(tmp_path / "backups"),
        XUEJI_BACKUP_KEY=BACKUP_KEY,
        # The restored records are read with the keys they were written with.
        XUEJI_ENCRYPTION_KEYS=settings.ENCRYPTION_KEYS,
        XUEJI_BLIND_INDEX_KEY=settings.BLIND_INDEX_KEY,
    )

    def run_script(name: str, *arguments: str, **overrides: str) -> tuple[int, str]:
        result = subprocess.run(
            [sys.executable, f"scripts/{name}.py", *arguments],
            check=False,
            env={**env, **overrides},
            cwd=REPO_DIR,
            capture_output=True,
            text=True,
            timeout=300,
        )
        return result.returncode, result.stdout + result.stderr

    run_script.backups = tmp_path / "backups"
    run_script.tmp_path = tmp_path
    return run_script


@pytest.fixture
def writer(run):
    """Inserts rows into a table of its own, every few milliseconds, while the test runs `with
    writer:`; afterwards the table stays (with its rows) until the test ends. As the owner: the
    application's role may create no table."""
    url = database_url(settings.DATABASE_OWNER) if settings.DATABASE_OWNER else database_url()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE backup_probe (id serial PRIMARY KEY)")
        if settings.DATABASE_OWNER:  # the test counts every table as the application's role
            conn.execute(f'GRANT SELECT ON backup_probe TO "{connection.settings_dict["USER"]}"')
    stop = threading.Event()

    def write():
        with psycopg.connect(url, autocommit=True) as conn:
            while not stop.is_set():
                conn.execute("INSERT INTO backup_probe DEFAULT VALUES")
                time.sleep(0.002)

    @contextlib.contextmanager
    def writing():
        thread = threading.Thread(target=write)
        thread.start()
        try:
            yield
        finally:
            stop.set()
            thread.join()

    yield writing()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DROP TABLE backup_probe")


def only_backup(backups: Path) -> Path:
    folders = [path for path in backups.iterdir() if path.is_dir()]
    assert len(folders) == 1, folders
    return folders[0]


def test_a_backup_counts_every_row_hides_everything_and_restores(run, writer):
    from xueji.pupils.models import Pupil

    pupil = Pupil.objects.get(name="张小明")

    with writer:  # 学籍 keeps writing during the backup: the counts must still be the dump's
        code, output = run("backup")

    assert code == 0, output
    folder = only_backup(run.backups)
    manifest = json.loads((folder / "manifest.json").read_text())
    # Every table, counted in the database independently of the script.
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")
        tables = [row[0] for row in cursor.fetchall()]
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    # The rows written during the backup are not all in it; the drill below finds the same number
    # restored as the manifest says, so the count and the dump come from one snapshot.
    written, counted = counts.pop("backup_probe"), manifest["database"]["table_rows"].pop("backup_probe")
    assert 0 < counted < written
    assert manifest["database"]["table_rows"] == counts
    assert manifest["database"]["table_rows"]["xueji_pupil"] == Pupil.objects.count() == 5
    assert manifest["database"]["rows"] == sum(counts.values()) + counted
    counts["backup_probe"] = counted
    assert manifest["files"]["private_files"] == 1

    # Neither file shows a pupil's name or ID number, nor the private file's content, in plain.
    secrets_in_plain = [pupil.name, pupil.id_number, "110101201001011234", "JPEG photo"]
    for name in ("database.dump.gpg", "private.tar.gpg"):
        content = (folder / name).read_bytes()
        for secret in secrets_in_plain:
            assert secret.encode() not in content, (name, secret)
    # And the wrong passphrase opens nothing.
    with backup.gpg_home() as home, pytest.raises(backup.BackupError, match="gpg failed"):
        backup.run_piped(
            backup.decrypt_command(home, folder / "database.dump.gpg"), ["cat"], passphrase="wrong-passphrase"
        )

    code, output = run("restore_drill")

    assert code == 0, output
    lines = output.strip().splitlines()
    assert lines[-1].startswith(f"restore drill: {len(counts)} tables, {sum(counts.values())} rows equal, "), lines
    assert re.match(DRILL_LINE, lines[-1]), lines[-1]
    assert "opened a pupil" in output
    # The scratch database is gone.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'xueji_restore_drill_%%'")
        assert cursor.fetchone()[0] == 0

    # scripts/restore.py, as the README's production restore uses it: into an empty database and a
    # data folder without private files; then it refuses to overwrite either.
    target = f"xueji_restore_test_{secrets.token_hex(4)}"
    owner_url = database_url(settings.DATABASE_OWNER) if settings.DATABASE_OWNER else database_url()
    admin_url = backup.server_url(owner_url, "postgres")  # the owner may create databases
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{target}"')
    try:
        restored_data = run.tmp_path / "restored"
        overrides = {"DATABASE_URL": backup.server_url(database_url(), target), "XUEJI_DATA_DIR": str(restored_data),
                     "DATABASE_OWNER_URL": backup.server_url(owner_url, target)}

        code, output = run("restore", str(folder), **overrides)

        assert code == 0, output
        assert f"restore: {len(counts)} tables, {sum(counts.values())} rows and 1 files as in the manifest" in output
        assert (restored_data / "private" / "photos" / "pupil.jpg").read_bytes().startswith(b"JPEG photo")

        code, output = run("restore", "latest", **overrides)

        assert code == 1
        assert "move it aside first" in output
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')


def test_a_changed_backup_fails_the_drill(run):
    code, output = run("backup")
    assert code == 0, output
    folder = only_backup(run.backups)
    manifest_path = folder / "manifest.json"
    manifest = json.loads(manifest_path.read_text())

    # A changed byte in the database dump: the checksum of the manifest catches it.
    dump = folder / "database.dump.gpg"
    original = dump.read_bytes()
    changed = bytearray(original)
    changed[len(changed) // 2] ^= 0xFF
    dump.write_bytes(bytes(changed))
    code, output = run("restore_drill")
    assert code != 0
    assert "restore drill FAILED: database.dump.gpg differs from the manifest's SHA-256" in output

    # The same change with the manifest's checksum made to match: GnuPG's integrity check catches it.
    manifest["database"]["sha256"] = hashlib.sha256(changed).hexdigest()
    manifest_path.write_text(json.dumps(manifest))
    code, output = run("restore_drill")
    assert code != 0
    assert "restore drill FAILED" in output

    # An intact dump, but a count that differs from the manifest's.
    dump.write_bytes(original)
    manifest["database"]["sha256"] = hashlib.sha256(original).hexdigest()
    manifest["database"]["table_rows"]["xueji_pupil"] += 1
    manifest_path.write_text(json.dumps(manifest))
    code, output = run("restore_drill")
    assert code != 0
    assert "xueji_pupil: 6 in the manifest, 5 restored" in output

    # Each failed drill still removed its scratch database.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_database WHERE datname LIKE 'xueji_restore_drill_%%'")
        assert cursor.fetchone()[0] == 0


def test_production_refuses_to_back_up_without_a_key(tmp_path):
    env = {name: value for name, value in os.environ.items() if name != "XUEJI_BACKUP_KEY"}
    env.update(XUEJI_ENV="production", XUEJI_DATA_DIR=str(tmp_path), BACKUP_DIR=str(tmp_path / "backups"))

    result = subprocess.run(
        [sys.executable, "scripts/backup.py"],
        env=env,
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 1
    assert "XUEJI_BACKUP_KEY must be set in production" in result.stderr
    assert not (tmp_path / "backup-key").exists()
    assert not (tmp_path / "backups").exists()


def test_outside_production_a_key_is_made_in_the_data_folder_and_kept_out_of_the_backup(tmp_path):
    os.environ["XUEJI_DATA_DIR"], saved = str(tmp_path), os.environ.get("XUEJI_DATA_DIR")
    try:
        os.environ.pop("XUEJI_BACKUP_KEY", None)
        first = backup.backup_key()
        assert first == backup.backup_key()
        assert len(first) >= 40
        assert (tmp_path / "backup-key").stat().st_mode & 0o077 == 0
        # What is archived is the private folder: the key files of the data folder are outside it.
        assert backup.private_dir() == tmp_path / "private"
    finally:
        if saved is None:
            os.environ.pop("XUEJI_DATA_DIR")
        else:
            os.environ["XUEJI_DATA_DIR"] = saved


@pytest.mark.parametrize("server_version", [15, 16, 18])
def test_pg_dump_and_pg_restore_are_never_older_than_the_server(server_version):
    for tool in ("pg_dump", "pg_restore"):
        assert backup.tool_major(Path(backup.pg_tool(tool, server_version))) >= server_version


def test_without_a_new_enough_pg_dump_the_backup_says_what_to_install():
    with pytest.raises(backup.BackupError, match="No pg_dump of PostgreSQL 99 or newer: install postgresql-client-99"):
        backup.pg_tool("pg_dump", 99)


@pytest.mark.parametrize(
    ("now", "next_run"),
    [
        ("2027-03-01T01:59:00+08:00", "2027-03-01T02:00:00+08:00"),
        ("2027-03-01T02:00:00+08:00", "2027-03-02T02:00:00+08:00"),
        ("2027-03-01T18:30:00+00:00", "2027-03-03T02:00:00+08:00"),  # 02:30 on the 2nd in China
        ("2027-12-31T23:00:00+08:00", "2028-01-01T02:00:00+08:00"),
    ],
)
def test_the_backup_service_runs_at_two_in_the_night_china_time(now, next_run):
    when = backup_nightly.next_run(datetime.datetime.fromisoformat(now))

    assert when == datetime.datetime.fromisoformat(next_run)
