"""CI smoke test of `make run`, as on a fresh machine: on a new embedded database (no DATABASE_URL,
no REDIS_URL) it must serve the login page within 120 s, stop on Ctrl-C (SIGINT to its process
group, as a terminal sends it) and leave no process behind.

`smoke_run.py FOLDER` uses FOLDER (new or empty) as the data folder and keeps it afterwards, so
that CI can go on with `make backup` and `make restore-drill` on the demo database it leaves.

"No process behind" is checked three ways: a marker variable that every process started by `make
run` inherits (PostgreSQL and Redis included), the data folder in command lines, the port.
"""

import http.client
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil

from services import REPO_DIR, free_port

SERVE_TIMEOUT = 120
STOP_TIMEOUT = 60
READY_TIMEOUT = 60
# The lines the Celery worker and beat print once started, as run.py shows them (name | line).
CELERY_READY_LINES = {
    "worker": re.compile(r"^worker +\| .*celery@\S+ ready\."),
    "beat": re.compile(r"^beat +\| .*beat: Starting\.\.\."),
}
MARKER = "XUEJI_SMOKE_RUN"


def main(arguments: list[str]) -> int:
    port = free_port()
    marker_value = secrets.token_hex(12)
    keep_data = bool(arguments)
    data = Path(arguments[0]).resolve() if keep_data else Path(tempfile.mkdtemp(prefix="xueji-smoke-"))
    data.mkdir(parents=True, exist_ok=True)
    env = {name: value for name, value in os.environ.items() if name not in ("DATABASE_URL", "REDIS_URL")}
    env.update(PORT=str(port), XUEJI_DATA_DIR=str(data), **{MARKER: marker_value})

    print(f"smoke: make run on port {port}, data in {data}", flush=True)
    started = time.monotonic()
    make = subprocess.Popen(
        ["make", "run"],
        cwd=REPO_DIR,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # a process group of its own, like a terminal's foreground job
        text=True,
        errors="replace",
    )
    output: list[str] = []
    reader = threading.Thread(target=copy_output, args=(make, output), daemon=True)
    reader.start()

    failures = []
    try:
        status = wait_for_login_page(port, make)
        if status != 200:
            failures.append(f"/login/ did not answer 200 within {SERVE_TIMEOUT} s (last answer: {status})")
        else:
            print(f"smoke: /login/ answered 200 after {time.monotonic() - started:.1f} s", flush=True)
            # The web alone is not enough: a worker or beat that crashes at start (a missing
            # module, say) must fail the smoke test too.
            for name, ready_line in CELERY_READY_LINES.items():
                if not wait_for_line(ready_line, output, make):
                    failures.append(f"the Celery {name} did not report being ready within {READY_TIMEOUT} s")
            if make.poll() is not None:
                failures.append(f"make run exited on its own with code {make.returncode}")
    finally:
        stopping = time.monotonic()
        try:
            os.killpg(make.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            make.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            failures.append(f"make run did not stop within {STOP_TIMEOUT} s of SIGINT")
        reader.join(timeout=5)
        print(f"smoke: stopped {time.monotonic() - stopping:.1f} s after SIGINT", flush=True)

    if not any("学籍 stopped." in line for line in output):
        failures.append("make run did not report that it stopped (学籍 stopped.)")
    leftovers = processes_left(make.pid, marker_value, data)
    if leftovers:
        failures.append("processes left behind:\n" + "\n".join(f"  {line}" for line in leftovers))
        for process in suspects(make.pid, marker_value, data):
            process.kill()
    if not port_closed(port):
        failures.append(f"port {port} still accepts connections")

    if not keep_data:
        shutil.rmtree(data, ignore_errors=True)
    for failure in failures:
        print(f"smoke FAILED: {failure}", flush=True)
    if not failures:
        print("smoke: OK", flush=True)
    return 1 if failures else 0


def copy_output(process: subprocess.Popen, lines: list[str]) -> None:
    for line in process.stdout:
        lines.append(line)
        print(f"  | {line}", end="", flush=True)


def wait_for_login_page(port: int, make: subprocess.Popen) -> int | None:
    """Until /login/ answers 200; returns the last status seen (None: no answer at all)."""
    deadline = time.monotonic() + SERVE_TIMEOUT
    status = None
    while time.monotonic() < deadline and make.poll() is None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        try:
            connection.request("GET", "/login/")
            status = connection.getresponse().status
            if status == 200:
                return status
        except OSError:
            pass
        finally:
            connection.close()
        time.sleep(0.5)
    return status


def wait_for_line(pattern: re.Pattern, output: list[str], make: subprocess.Popen) -> bool:
    deadline = time.monotonic() + READY_TIMEOUT
    while time.monotonic() < deadline and make.poll() is None:
        if any(pattern.search(line) for line in output):
            return True
        time.sleep(0.2)
    return False


def suspects(make_pid: int, marker_value: str, data: Path) -> list[psutil.Process]:
    found = []
    for process in psutil.process_iter(["cmdline", "environ", "status"]):
        info = process.info  # None for what may not be read
        if process.pid == os.getpid() or info["status"] == psutil.STATUS_ZOMBIE:
            continue
        try:
            in_group = os.getpgid(process.pid) == make_pid
        except ProcessLookupError:
            continue  # gone meanwhile
        marked = (info["environ"] or {}).get(MARKER) == marker_value
        uses_data = str(data) in " ".join(info["cmdline"] or [])
        if in_group or marked or uses_data:
            found.append(process)
    return found


def processes_left(make_pid: int, marker_value: str, data: Path) -> list[str]:
    # Processes may take a moment to be gone from /proc after their parent saw them exit.
    deadline = time.monotonic() + 5
    while True:
        left = suspects(make_pid, marker_value, data)
        if not left or time.monotonic() > deadline:
            return [f"{process.pid} {' '.join(process.info['cmdline'] or [])}" for process in left]
        time.sleep(0.2)


def port_closed(port: int) -> bool:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
    try:
        connection.connect()
        return False
    except OSError:
        return True
    finally:
        connection.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
