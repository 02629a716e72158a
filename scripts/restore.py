"""Restores a backup of scripts/backup.py for real: into the (empty) database of DATABASE_OWNER_URL
or DATABASE_URL (or the embedded one of `make run`) and into XUEJI_DATA_DIR/private (which must not
exist yet). The README's restore steps use it; `make restore-drill` does the same into scratch.

    python scripts/restore.py /backups/xueji-20270301T180000Z     # or: latest

It checks the manifest's checksums first, refuses a database that has tables or a private folder
that exists (move it aside first: nothing is overwritten), and compares every table's rows with the
manifest afterwards. The data's keys (XUEJI_ENCRYPTION_KEYS, XUEJI_BLIND_INDEX_KEY) are not in the
backup: 学籍 must run with the keys it had when the backup was made.
"""

import json
import os
import sys
from pathlib import Path

import psycopg

from backup import (
    DATABASE_FILE,
    FILES_FILE,
    MANIFEST_FILE,
    REPO_DIR,
    BackupError,
    backup_dir,
    backup_key,
    complete_backups,
    database_url,
    private_dir,
)
from restore_drill import (
    DrillFailed,
    check_checksums,
    compare_database,
    compare_files,
    restore_database,
    restore_files,
)


def main(arguments: list[str]) -> int:
    if len(arguments) != 1:
        print("usage: python scripts/restore.py BACKUP_FOLDER|latest", file=sys.stderr)
        return 2
    try:
        if arguments[0] == "latest":
            backups = complete_backups(backup_dir())
            if not backups:
                raise DrillFailed(f"no backup in {backup_dir()}")
            folder = backups[-1]
        else:
            folder = Path(arguments[0]).resolve()
        if not (folder / MANIFEST_FILE).is_file():
            raise DrillFailed(f"{folder} is not a backup (no {MANIFEST_FILE})")
        manifest = json.loads((folder / MANIFEST_FILE).read_text())
        passphrase = backup_key()
        check_checksums(folder, manifest)
        files = private_dir()
        if files.exists():
            raise DrillFailed(f"{files} exists: move it aside first (nothing is overwritten)")
        with database_url() as url:
            with psycopg.connect(url) as conn:
                name = conn.info.dbname
                tables = conn.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone()[0]
            if tables:
                raise DrillFailed(f"the database {name} has {tables} tables: restore into an empty one")
            print(f"restore: {folder} into the database {name} and {files}", flush=True)
            restore_database(folder / DATABASE_FILE, url, passphrase, keep_grants=True)
            restore_files(folder / FILES_FILE, files, passphrase)
            tables, rows = compare_database(url, manifest)
        compare_files(files, manifest)
    except (BackupError, DrillFailed) as failure:
        print(f"restore FAILED: {failure}", flush=True)
        return 1
    print(f"restore: {tables} tables, {rows} rows and {manifest['files']['private_files']} files as in the manifest")
    return 0


if __name__ == "__main__":
    os.umask(0o077)  # the private files readable by their owner only
    os.chdir(REPO_DIR)
    sys.exit(main(sys.argv[1:]))
