"""`make run`: all of 学籍 on this machine, with demo data, until Ctrl-C.

1. PostgreSQL: DATABASE_URL when set, else embedded PostgreSQL with its data in .data/postgres.
2. Redis (the Celery broker): REDIS_URL when set, else a redis-server of its own on a free port.
3. Two database roles on it: xueji_owner runs migrate (then grants xueji_app its rights),
   xueji_app everything else (files_encrypt, collectstatic, load_demo and step 4).
4. web (gunicorn on 127.0.0.1:$PORT, 8000 by default), a Celery worker and Celery beat. A copy of
   every audit entry goes to .data/audit.jsonl (XUEJI_AUDIT_SHIP to change).

Ctrl-C, SIGTERM or SIGHUP stop all of it, in order, and wait until every process has gone; so does
any of the three programs of step 4 exiting on its own.
"""

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time

from processes import Child, say, stop_children
from services import (
    APP_ROLE,
    OWNER_ROLE,
    REPO_DIR,
    EmbeddedPostgres,
    data_dir,
    database_of,
    ensure_owned_database,
    ensure_roles,
    port_is_free,
    start_redis,
    two_role_urls,
)

VENV_BIN = REPO_DIR / ".venv" / "bin"
DATABASE_NAME = "xueji"
SERVE_TIMEOUT = 120  # seconds for gunicorn to answer its first request


class StopRequested(Exception):
    """Ctrl-C or SIGTERM arrived while starting up."""


class StartupFailed(Exception):
    pass


def main() -> int:
    stop_requested = threading.Event()

    def request_stop(signum, frame):
        if not stop_requested.is_set():
            stop_requested.set()
            say(f"\n{signal.Signals(signum).name}: stopping 学籍 ...")

    # The handler only sets a flag: each step checks it, so stopping never interrupts a step
    # half-way (a Ctrl-C on the terminal still reaches a running manage.py step directly).
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, request_stop)

    def check_stop() -> None:
        if stop_requested.is_set():
            raise StopRequested

    port = int(os.environ.get("PORT") or 8000)
    if not port_is_free(port):
        say(f"Port {port} on 127.0.0.1 is in use. Stop what uses it, or choose another: PORT=8001 make run")
        return 1

    data = data_dir()
    env = dict(os.environ, XUEJI_ENV="development", XUEJI_DATA_DIR=str(data), PYTHONUNBUFFERED="1")

    postgres = None
    redis_child = None
    app_children: list[Child] = []
    try:
        if os.environ.get("DATABASE_URL"):
            say("PostgreSQL: DATABASE_URL")
        else:
            started = time.monotonic()
            postgres = EmbeddedPostgres(data / "postgres")
            postgres.start()
            env["DATABASE_URL"] = postgres.url(DATABASE_NAME)
            say(f"PostgreSQL: embedded, data in {postgres.pgdata} ({time.monotonic() - started:.1f} s)")
        owner_env = two_roles(env)
        check_stop()
        # A copy of every audit entry off the database (xueji/accounts/audit_ship.py).
        env.setdefault("XUEJI_AUDIT_SHIP", f"file:{data / 'audit.jsonl'}")

        if os.environ.get("REDIS_URL"):
            say("Redis: REDIS_URL")
        else:
            redis_child, env["REDIS_URL"] = start_redis(data, env=env)
            say(f"Redis: {env['REDIS_URL']}")
        check_stop()

        run_step(manage("migrate", "--noinput"), owner_env, stop_requested)  # DDL: as the owner
        run_step(manage("db_grant_app_role"), env, stop_requested)
        # Private files written before they were encrypted: encrypted in place (a no-op after).
        run_step(manage("files_encrypt"), env, stop_requested)
        run_step(manage("collectstatic", "--noinput", "--verbosity", "0"), env, stop_requested)
        if has_load_demo_command():
            run_step(manage("load_demo"), env, stop_requested)  # idempotent
        else:
            say("manage.py load_demo: no such command yet, no demo data.")

        app_children = start_app(port, env)
        demo = demo_accounts(env)
        wait_until_serving(port, app_children, stop_requested)
        check_stop()
        print_banner(port, demo)

        while not stop_requested.wait(0.5):
            for child in app_children:
                if child.has_exited():
                    say(f"{child.name} exited with code {child.process.returncode}: stopping everything.")
                    return 1
        return 0
    except StopRequested:
        return 0
    except StartupFailed as failure:
        say(f"make run: {failure}")
        return 1
    finally:
        # The order matters: the web and Celery first, then what they use.
        stop_children(app_children)
        if redis_child is not None:
            stop_children([redis_child])
        if postgres is not None:
            postgres.stop()
        say("学籍 stopped.")


def two_roles(env: dict[str, str]) -> dict[str, str]:
    """The two database roles (xueji/db_roles.py): the web, the worker, beat and load_demo run as
    xueji_app, the migrations as xueji_owner. Given DATABASE_URL and DATABASE_OWNER_URL, both are
    used as they are; given DATABASE_URL alone (or the embedded server), it is a superuser's: the
    roles and the database, owned by xueji_owner, are made on its server. Sets env's URLs to the
    application's and returns the environment for the owner's steps."""
    if not env.get("DATABASE_OWNER_URL"):
        admin_url = env["DATABASE_URL"]
        ensure_roles(admin_url)
        ensure_owned_database(admin_url, database_of(admin_url))
        env["DATABASE_URL"], env["DATABASE_OWNER_URL"] = two_role_urls(admin_url)
        say(f"Database roles: {APP_ROLE} (web, worker, beat), {OWNER_ROLE} (migrations)")
    return dict(env, DATABASE_URL=env["DATABASE_OWNER_URL"])


def manage(*arguments: str) -> list[str]:
    return [str(VENV_BIN / "python"), "manage.py", *arguments]


def has_load_demo_command() -> bool:
    # Looked for as a file: asking Django would cost one more start-up.
    return any(REPO_DIR.glob("*/management/commands/load_demo.py"))


def run_step(command: list[str], env: dict[str, str], stop_requested: threading.Event) -> None:
    name = " ".join(command[2:])
    say(f"manage.py {name}")
    started = time.monotonic()
    result = subprocess.run(command, env=env, cwd=REPO_DIR)
    if stop_requested.is_set():
        raise StopRequested
    if result.returncode != 0:
        raise StartupFailed(f"manage.py {name} failed (exit code {result.returncode}).")
    say(f"manage.py {name}: done in {time.monotonic() - started:.1f} s")


# The queues of settings.CELERY_QUEUES: the one worker of `make run` reads them all (so does
# docker-compose.yml's), so that no task waits on a queue nobody reads.
WORKER_QUEUES = "imports,sweeps,celery,documents"


def web_command(port: int) -> list[str]:
    """gunicorn as `make run` starts it: gunicorn.conf.py (workers and threads from the cores,
    XUEJI_WEB_WORKERS and XUEJI_WEB_THREADS to change them; the access log on stdout with the
    query strings' values hidden; timeouts), listening on 127.0.0.1:port."""
    return [
        str(VENV_BIN / "gunicorn"), "xueji.wsgi",
        "--config", str(REPO_DIR / "gunicorn.conf.py"),
        "--bind", f"127.0.0.1:{port}",
    ]  # fmt: skip


def worker_command() -> list[str]:
    return [str(VENV_BIN / "celery"), "-A", "xueji", "worker", "--loglevel", "INFO", "--concurrency", "2",
            "-Q", WORKER_QUEUES]


def beat_command() -> list[str]:
    return [
        str(VENV_BIN / "celery"), "-A", "xueji", "beat", "--loglevel", "INFO",
        "--scheduler", "django_celery_beat.schedulers:DatabaseScheduler",
    ]  # fmt: skip


def start_app(port: int, env: dict[str, str]) -> list[Child]:
    web = web_command(port)
    worker = worker_command()
    beat = beat_command()
    return [
        Child("web", web, env=env, cwd=REPO_DIR),
        Child("worker", worker, env=env, cwd=REPO_DIR),
        Child("beat", beat, env=env, cwd=REPO_DIR),
    ]


def wait_until_serving(port: int, app_children: list[Child], stop_requested: threading.Event) -> None:
    """Until gunicorn answers an HTTP request, whatever the status."""
    deadline = time.monotonic() + SERVE_TIMEOUT
    while True:
        if stop_requested.is_set():
            raise StopRequested
        for child in app_children:
            if child.has_exited():
                raise StartupFailed(f"{child.name} exited with code {child.process.returncode} while starting.")
        if answers_http(port):
            return
        if time.monotonic() > deadline:
            raise StartupFailed(f"the web did not answer on port {port} within {SERVE_TIMEOUT} s.")
        time.sleep(0.2)


def answers_http(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.request("GET", "/")
        connection.getresponse()  # any status: a redirect to the login page is an answer too
        return True
    except OSError:
        return False
    finally:
        connection.close()


# Asked in a separate Python so that demo.world may use Django models or not, as it likes.
DEMO_ACCOUNTS_PROGRAM = """
import json, os, django
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xueji.settings")
django.setup()
from demo.world import ACCOUNTS, DEMO_PASSWORD, DEMO_TOTP_SECRET
try:
    from demo.world import demo_transfer_sample
    sample = demo_transfer_sample()
    transfer = sample and {"name": sample.name, "number": sample.student_number}
except Exception:  # the banner goes without it rather than not at all
    transfer = None
print(json.dumps({"accounts": [list(account) for account in ACCOUNTS], "password": DEMO_PASSWORD,
                  "totp_secret": DEMO_TOTP_SECRET, "transfer": transfer}))
"""


def demo_accounts(env: dict[str, str]) -> dict | None:
    """{"accounts": [[username, role], ...], "password": ...} from demo/world.py, or None."""
    result = subprocess.run(
        [str(VENV_BIN / "python"), "-c", DEMO_ACCOUNTS_PROGRAM],
        env=env,
        cwd=REPO_DIR,
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["?"])[-1]
        say(f"Demo accounts unknown: {last_line}")
        return None
    return json.loads(result.stdout.strip().splitlines()[-1])


def banner_transfer_line(transfer: dict) -> str:
    """The pupil to try a transfer with (demo.world.demo_transfer_sample), as load_demo names it."""
    return (f"试一试转学：用 registrar_b1 登录，在“转学”中发起转入，"
            f"学生 {transfer['name']}，学籍号 {transfer['number']}。")


def print_banner(port: int, demo: dict | None) -> None:
    lines = [f"学籍 is running: http://127.0.0.1:{port}/"]
    if demo:
        lines.append(f"Demo accounts, password {demo['password']}:")
        width = max((len(username) for username, _ in demo["accounts"]), default=0)
        lines += [f"  {username.ljust(width)}  {role}" for username, role in demo["accounts"]]
        if demo.get("totp_secret"):
            lines.append(f"Second factor: add the TOTP secret {demo['totp_secret']} to an authenticator app,")
            lines.append("or run `.venv/bin/python manage.py demo_otp` for the current code.")
        if demo.get("transfer"):
            # load_demo said it too, but far above: the closing lines are what people read.
            lines.append(banner_transfer_line(demo["transfer"]))
    lines.append("Ctrl-C stops all of it.")
    rule = "=" * 64
    say("\n".join(["", rule, *lines, rule, ""]))


if __name__ == "__main__":
    sys.exit(main())
