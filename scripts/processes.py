"""Child processes started in their own process group and stopped as a whole group.

Each child gets a new session (and so a new process group): a Ctrl-C on the terminal then reaches
only the script that started it, which stops the children itself, in order (the web and Celery
before Redis and PostgreSQL), and waits until every process of each group has gone, including
gunicorn's workers and Celery's pool processes.
"""

import os
import signal
import subprocess
import threading
import time

import psutil


def say(text: str, end: str = "\n") -> None:
    """print, but never failing: after a SIGHUP the terminal may be gone, and stopping the
    children must go on all the same (and their output must still be drained)."""
    try:
        print(text, end=end, flush=True)
    except OSError:
        pass


class Child:
    """A long-running command whose output is printed line by line, prefixed with its name."""

    def __init__(self, name: str, command: list[str], *, env: dict[str, str], cwd: str | os.PathLike):
        self.name = name
        self.process = subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            text=True,
            errors="replace",
        )
        # The process group id is the child's pid (it leads its new session).
        self.pgid = self.process.pid
        self._output = threading.Thread(target=self._print_output, name=f"output of {name}", daemon=True)
        self._output.start()

    def _print_output(self) -> None:
        for line in self.process.stdout:
            say(f"{self.name:<6} | {line}", end="")

    def has_exited(self) -> bool:
        return self.process.poll() is not None

    def signal_group(self, signum: int) -> None:
        try:
            os.killpg(self.pgid, signum)
        except ProcessLookupError:
            pass

    def group_is_empty(self) -> bool:
        return not living_group_members(self.pgid)

    def finish_output(self) -> None:
        self._output.join(timeout=2)


def living_group_members(pgid: int) -> list[psutil.Process]:
    """The processes of a process group that are still running (zombies do not count: they have
    exited and only wait for their parent, possibly init, to collect their status)."""
    members = []
    for process in psutil.process_iter(["status"]):
        try:
            if os.getpgid(process.pid) == pgid and process.info["status"] != psutil.STATUS_ZOMBIE:
                members.append(process)
        except (ProcessLookupError, psutil.Error):
            continue
    return members


def stop_children(children: list[Child], *, timeout: float = 15.0) -> None:
    """SIGTERM to every child's whole group at once (gunicorn and Celery shut down gracefully on
    it), then wait; whatever is still running after `timeout` seconds gets SIGKILL."""
    for child in children:
        child.signal_group(signal.SIGTERM)

    deadline = time.monotonic() + timeout
    for child in children:
        while time.monotonic() < deadline and not (child.has_exited() and child.group_is_empty()):
            time.sleep(0.1)

    for child in children:
        if not (child.has_exited() and child.group_is_empty()):
            say(f"{child.name} did not stop within {timeout:.0f} s: killing it.")
            child.signal_group(signal.SIGKILL)
        child.process.wait()
        kill_deadline = time.monotonic() + 5
        while not child.group_is_empty() and time.monotonic() < kill_deadline:
            time.sleep(0.1)
        child.finish_output()
