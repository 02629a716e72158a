"""A real gunicorn serving 学籍 for the tests of issue 12, started with the command `make run` uses
(scripts/run.py's web_command: gunicorn.conf.py, 127.0.0.1, workers and threads from the cores) against the test database,
its output (gunicorn's access and error logs, Django's logs) written to a file as `make run` shows
it: stdout and stderr together.

The test must commit what the server is to see (``transactional_db``)."""

import http.client
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.database import database_url

REPO_DIR = Path(__file__).resolve().parents[3]
START_TIMEOUT = 60  # seconds


def make_run_web_command(port: int) -> list[str]:
    """scripts/run.py's own command line for gunicorn (run.py imports its neighbours by name)."""
    scripts = str(REPO_DIR / "scripts")
    if scripts not in sys.path:
        sys.path.append(scripts)  # last: its test.py must not hide anything
    spec = importlib.util.spec_from_file_location("xueji_make_run", REPO_DIR / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.web_command(port)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    port: int
    log: Path
    process: subprocess.Popen

    def connection(self) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)

    def request(self, method: str, path: str, body=None, headers=None) -> tuple[int, dict, bytes]:
        connection = self.connection()
        try:
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            connection.close()

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_for_output(self, text: str, timeout: float = 10) -> str:
        deadline = time.monotonic() + timeout
        while text not in (output := self.output()) and time.monotonic() < deadline:
            time.sleep(0.1)
        return output


@pytest.fixture(scope="module")
def gunicorn(django_db_setup, django_db_blocker, tmp_path_factory):
    with serving(django_db_blocker, tmp_path_factory.mktemp("gunicorn")) as server:
        yield server


@contextmanager
def serving(django_db_blocker, folder: Path, **extra_env: str):
    """gunicorn as `make run` starts it, on a free port, against the test database; extra_env on
    top of the test's environment (XUEJI_WEB_THREADS=..., XUEJI_DB_POOL=on)."""
    port = free_port()
    with django_db_blocker.unblock():
        url = database_url()
    from django.conf import settings

    env = dict(
        os.environ, XUEJI_ENV="test", DATABASE_URL=url, DATABASE_CONN_MAX_AGE="0", XUEJI_DATA_DIR=str(folder / "data"),
        PYTHONUNBUFFERED="1",
        # The records the tests write are encrypted with the test process's keys (its data folder's
        # key file): the server must hold the same ones.
        XUEJI_ENCRYPTION_KEYS=settings.ENCRYPTION_KEYS, XUEJI_BLIND_INDEX_KEY=settings.BLIND_INDEX_KEY,
        **extra_env,
    )
    log = folder / "web.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(make_run_web_command(port), env=env, cwd=REPO_DIR, stdin=subprocess.DEVNULL,
                                   stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    server = Server(port, log, process)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited with {process.returncode}:\n{server.output()[-3000:]}")
            try:
                server.request("GET", "/login/")
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"gunicorn did not answer within {START_TIMEOUT} s:\n{server.output()[-3000:]}")
                time.sleep(0.2)
        yield server
    finally:
        # The process group of the gunicorn started above (its master and workers), and no other.
        try:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=20)
        except ProcessLookupError:
            pass
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
