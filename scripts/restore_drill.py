"""`make restore-drill`: proves that the latest backup (scripts/backup.py) gives 学籍 back.

1. The manifest's SHA-256 of both encrypted files must match (a changed byte stops the drill here;
   GnuPG's integrity check would stop it at decryption anyway).
2. The database is restored into a scratch database on the same server, the private files into a
   scratch folder; every table's rows must equal the manifest's, and so must the files.
3. `manage.py audit_verify` walks the restored audit chain (when the command exists).
4. A person signs in (password and TOTP code) and opens a pupil, through Django's test client
   against the restored database: a demo account when the backup has one, else a throw-away
   registrar made in the scratch database.

Prints one last line `restore drill: N tables, M rows equal, audit chain intact, T s` and exits 0;
on any difference it says what differs and exits 1. The scratch database and folder are removed
in every case.

Run it where `make backup` runs: the same data folder or DATABASE_URL (DATABASE_OWNER_URL), the
same XUEJI_BACKUP_KEY and BACKUP_DIR, and the data's keys (XUEJI_ENCRYPTION_KEYS, or the development
keys.json of the data folder) to read the restored records.
"""

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
from psycopg import sql

from backup import (
    DATABASE_FILE,
    FILES_FILE,
    MANIFEST_FILE,
    REPO_DIR,
    BackupError,
    audit_last_hash,
    backup_dir,
    backup_key,
    complete_backups,
    data_dir,
    database_url,
    decrypt_command,
    gpg_home,
    is_production,
    pg_tool,
    private_files_summary,
    run_piped,
    server_url,
    sha256_of,
    table_rows,
)

VENV_PYTHON = REPO_DIR / ".venv" / "bin" / "python"
PYTHON = str(VENV_PYTHON) if VENV_PYTHON.exists() else sys.executable  # the image has no .venv


class DrillFailed(Exception):
    pass


def main() -> int:
    started = time.monotonic()
    try:
        passphrase = backup_key()
        backups = complete_backups(backup_dir())
        if not backups:
            raise DrillFailed(f"no backup in {backup_dir()}: run `make backup` first")
        folder = backups[-1]
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
        print(f"restore drill: {folder}", flush=True)
        check_checksums(folder, manifest)
        with database_url() as url, scratch_database(url) as scratch_url, scratch_folder() as scratch_data:
            restore_database(folder / DATABASE_FILE, scratch_url, passphrase)
            restore_files(folder / FILES_FILE, scratch_data / "private", passphrase)
            tables, rows = compare_database(scratch_url, manifest)
            compare_files(scratch_data / "private", manifest)
            env = django_env(scratch_url, scratch_data)
            with redis_for(env, scratch_data):
                audit_verified = verify_audit_chain(env)
                sign_in_and_open_a_pupil(env)
    except (BackupError, DrillFailed) as failure:
        print(f"restore drill FAILED: {failure}", flush=True)
        return 1
    chain = "audit chain intact" if audit_verified else "audit chain not verified (no manage.py audit_verify)"
    print(f"restore drill: {tables} tables, {rows} rows equal, {chain}, {time.monotonic() - started:.0f} s", flush=True)
    return 0


def check_checksums(folder: Path, manifest: dict) -> None:
    for part in ("database", "files"):
        path = folder / manifest[part]["file"]
        if not path.is_file():
            raise DrillFailed(f"{path.name} is missing")
        if sha256_of(path) != manifest[part]["sha256"]:
            raise DrillFailed(f"{path.name} differs from the manifest's SHA-256: the backup was changed or damaged")


# Scratch database and folder --------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(url: str) -> Iterator[str]:
    """An empty database next to the backed-up one, dropped at the end whatever happened."""
    name = f"xueji_restore_drill_{secrets.token_hex(4)}"
    admin_url = server_url(url, "postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield server_url(url, name)
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@contextlib.contextmanager
def scratch_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="xueji-restore-drill-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# Restoring --------------------------------------------------------------------------------------


def restore_database(encrypted_dump: Path, target_url: str, passphrase: str, *, keep_grants: bool = False) -> None:
    """The one place that decides who owns what a restore creates.

    pg_restore connects as the role of target_url (the owner role, DATABASE_OWNER_URL, in
    production) and with --no-owner everything it creates belongs to that role, whatever role
    owned it on the backed-up server. With keep_grants the dump's GRANTs (to the application role)
    are replayed too, which needs that role to exist: the production restore of the README. The
    drill's scratch database skips them (--no-privileges), so it works on a server without them.
    --exit-on-error: a restore that is not complete is a failed restore.
    """
    with psycopg.connect(target_url) as conn:
        version = conn.info.server_version // 10000
    pg_restore = pg_tool("pg_restore", version)
    arguments = [pg_restore, "--no-owner", "--exit-on-error", "--dbname", target_url]
    if not keep_grants:
        arguments.insert(2, "--no-privileges")
    with gpg_home() as home:
        run_piped(decrypt_command(home, encrypted_dump), arguments, passphrase=passphrase)


def restore_files(encrypted_archive: Path, target: Path, passphrase: str) -> None:
    target.mkdir(parents=True, exist_ok=True)
    with gpg_home() as home:
        run_piped(
            decrypt_command(home, encrypted_archive),
            ["tar", "--extract", "--file", "-", "--directory", str(target), "--no-same-owner"],
            passphrase=passphrase,
        )


# Comparing --------------------------------------------------------------------------------------


def compare_database(url: str, manifest: dict) -> tuple[int, int]:
    expected = manifest["database"]["table_rows"]
    with psycopg.connect(url) as conn:
        restored = table_rows(conn)
        last_hash = audit_last_hash(conn)
    differences = [
        f"{table}: {expected.get(table, 'no table')} in the manifest, {restored.get(table, 'no table')} restored"
        for table in sorted(set(expected) | set(restored))
        if expected.get(table) != restored.get(table)
    ]
    if last_hash != manifest["database"].get("audit_last_hash"):
        differences.append("the audit chain's last hash differs from the manifest's")
    if differences:
        raise DrillFailed("the restored database differs: " + "; ".join(differences[:10]))
    return len(restored), sum(restored.values())


def compare_files(folder: Path, manifest: dict) -> None:
    restored = private_files_summary(folder)
    expected = manifest["files"]
    if (restored["files"], restored["bytes"]) != (expected["private_files"], expected["private_bytes"]):
        raise DrillFailed(
            f"the restored private files differ: {restored['files']} files, {restored['bytes']} bytes restored, "
            f"{expected['private_files']} files, {expected['private_bytes']} bytes in the manifest"
        )


# 学籍 on the restored data ------------------------------------------------------------------------


def django_env(scratch_url: str, scratch_data: Path) -> dict[str, str]:
    """The environment of manage.py against the restored copy: its database and files, and the
    data's keys (from the environment, else the development keys.json next to the original data)."""
    env = dict(os.environ, DATABASE_URL=scratch_url, XUEJI_DATA_DIR=str(scratch_data), PYTHONUNBUFFERED="1")
    env.pop("DATABASE_OWNER_URL", None)
    env["XUEJI_ENV"] = os.environ.get("XUEJI_ENV") or ("production" if is_production() else "development")
    keys_file = data_dir() / "keys.json"
    if not env.get("XUEJI_ENCRYPTION_KEYS") and keys_file.is_file():
        keys = json.loads(keys_file.read_text())
        env.setdefault("XUEJI_ENCRYPTION_KEYS", keys["XUEJI_ENCRYPTION_KEYS"])
        env.setdefault("XUEJI_BLIND_INDEX_KEY", keys["XUEJI_BLIND_INDEX_KEY"])
    return env


@contextlib.contextmanager
def redis_for(env: dict[str, str], folder: Path) -> Iterator[None]:
    """The cache (Redis) Django's login uses: REDIS_URL, else a redis-server of our own."""
    if env.get("REDIS_URL"):
        yield
        return
    from processes import stop_children  # needs psutil: only outside the production image
    from services import start_redis

    child, env["REDIS_URL"] = start_redis(folder, env=env)
    try:
        yield
    finally:
        stop_children([child])


def verify_audit_chain(env: dict[str, str]) -> bool:
    """True when `manage.py audit_verify` passed; False when there is no such command yet."""
    if not any(REPO_DIR.glob("*/management/commands/audit_verify.py")) and not any(
        REPO_DIR.glob("*/*/management/commands/audit_verify.py")
    ):
        print("restore drill: manage.py audit_verify does not exist yet: the chain is not verified", flush=True)
        return False
    result = subprocess.run(
        [PYTHON, "manage.py", "audit_verify"], env=env, cwd=REPO_DIR, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = (result.stdout + result.stderr).strip().splitlines()
        raise DrillFailed(f"manage.py audit_verify failed: {lines[-1] if lines else result.returncode}")
    return True


# Runs in its own Python with DATABASE_URL pointing at the scratch database. TOTP codes come from
# django-otp (a dependency of 学籍 itself), so this works in the production image as well.
SIGN_IN_PROGRAM = r"""
import base64, os, secrets, sys, time
import django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xueji.settings")
django.setup()
from django.test import Client
from django.test.utils import setup_test_environment
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from xueji.accounts.models import Membership, Role, User
from xueji.accounts.two_factor import device_with_secret
from xueji.pupils.models import Pupil
from xueji.pupils.scoping import pupils_visible_to

setup_test_environment()  # Django's test client may then use the host "testserver"
# Tasks run here, in this process, on the copy: none may reach the real workers through the broker.
from xueji.celery import app as celery_app
celery_app.conf.task_always_eager = True
try:
    from demo.world import DEMO_PASSWORD, DEMO_TOTP_SECRET
except ImportError:
    DEMO_PASSWORD = DEMO_TOTP_SECRET = None

user = User.objects.filter(username="registrar_a1", is_active=True).first() if DEMO_PASSWORD else None
if user is not None and user.check_password(DEMO_PASSWORD):
    password, secret = DEMO_PASSWORD, DEMO_TOTP_SECRET
else:
    # No demo account (a production backup): a registrar of some pupil's school, made here in
    # the scratch database only, which the drill drops afterwards.
    pupil = Pupil.objects.order_by("pk").first()
    if pupil is None:
        sys.exit("the restored database has no pupil")
    password = secrets.token_urlsafe(16) + "aA1#"
    secret = base64.b32encode(secrets.token_bytes(20)).decode()
    user = User(username="restore_drill_" + secrets.token_hex(4), full_name="恢复演练")
    user.set_password(password)
    user.save()
    Membership.objects.create(user=user, unit_id=pupil.school_id, role=Role.REGISTRAR)
    device_with_secret(user, secret)
# The backup may be older than the password age limit or the device's last code: this is a copy.
User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now())
step = int(time.time()) // 30
TOTPDevice.objects.filter(user=user).update(last_t=step - 1, drift=0)

client = Client(secure=True)
response = client.post("/login/", {"username": user.username, "password": password})
if response.status_code != 302:
    sys.exit(f"the password was not accepted (status {response.status_code})")
if response["Location"] == "/login/otp/":
    code = format(totp(base64.b32decode(secret), step=30, t0=0, digits=6), "06d")
    response = client.post("/login/otp/", {"code": code})
    if response.status_code != 302:
        sys.exit(f"the TOTP code was not accepted (status {response.status_code})")
if response["Location"] != "/":
    sys.exit(f"signing in led to {response['Location']}, not the home page")
pupil = pupils_visible_to(user).order_by("pk").first()
if pupil is None:
    sys.exit(f"{user.username} sees no pupil")
response = client.get(f"/pupils/{pupil.pk}/")
if response.status_code != 200 or pupil.name not in response.content.decode():
    sys.exit(f"the pupil's page answered {response.status_code} without the pupil's name")
print(f"signed in as {user.username} and opened a pupil")
"""


def sign_in_and_open_a_pupil(env: dict[str, str]) -> None:
    result = subprocess.run(
        [PYTHON, "-c", SIGN_IN_PROGRAM], env=env, cwd=REPO_DIR, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise DrillFailed(f"signing in and opening a pupil failed: {lines[-1] if lines else result.returncode}")
    print(f"restore drill: {result.stdout.strip().splitlines()[-1]}", flush=True)


if __name__ == "__main__":
    os.chdir(REPO_DIR)
    sys.exit(main())
