"""How the web serves and how many database connections it holds: decided here from the machine's
cores and the environment, read by gunicorn.conf.py (workers, threads) and by the settings (the
connection pool), so that `make run`, the Dockerfile and docker-compose serve the same way.

Nothing of Django is imported: gunicorn reads this before the application is loaded.

Why gthread: a request of 学籍 spends much of its time waiting on PostgreSQL (the session, the
scoped queries, the audit entry) and Redis; a thread waiting releases the GIL, so a few threads per
process answer other requests meanwhile, with one process per core for the Python work itself.
benchmarks/README.md ("Serving setup") has the measurements behind the defaults.
"""

import os
from dataclasses import dataclass

# Defaults, measured on 2 cores (benchmarks/README.md, "Serving setup").
THREADS_PER_WORKER = 4
MIN_WORKERS = 2
# PostgreSQL's max_connections is 100 by default: the pool of every process together must stay
# well below it (web workers, Celery's processes, beat, the administrators' sessions).
POOL_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class WebConcurrency:
    workers: int
    threads: int

    @property
    def worker_class(self) -> str:
        # One thread: gunicorn's sync worker, one request per process at a time.
        return "gthread" if self.threads > 1 else "sync"


def _positive_int(environ, name: str, default: int) -> int:
    value = (environ.get(name) or "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {value!r}.")
    return int(value)


def web_concurrency(environ=os.environ, cpu_count: int | None = None) -> WebConcurrency:
    """Workers and threads of the web. XUEJI_WEB_WORKERS (default: one per core, at least two, so
    that a worker restarting or busy with Python work leaves another) and XUEJI_WEB_THREADS
    (default 4; 1 gives the sync worker)."""
    cores = cpu_count if cpu_count is not None else (os.cpu_count() or 1)
    workers = _positive_int(environ, "XUEJI_WEB_WORKERS", max(MIN_WORKERS, cores))
    threads = _positive_int(environ, "XUEJI_WEB_THREADS", THREADS_PER_WORKER)
    return WebConcurrency(workers=workers, threads=threads)


def database_pool(environ=os.environ) -> dict | None:
    """The options of Django's connection pool (psycopg_pool), or None for no pool.

    Each process has a pool of its own; a thread takes a connection from it for a request (or a
    task) and gives it back at the end, so a process never needs more connections than it has
    threads: the web's max_size is its threads (XUEJI_WEB_THREADS), a Celery process (one task at
    a time) uses one. XUEJI_DB_POOL=off turns it off (then DATABASE_CONN_MAX_AGE keeps
    connections, as before); XUEJI_DB_POOL_MIN, XUEJI_DB_POOL_MAX and XUEJI_DB_POOL_TIMEOUT size
    it. Default: on, except for the test suite, whose database is created and dropped under it
    (a test that wants the pool sets it itself).
    """
    default = "off" if environ.get("XUEJI_ENV", "production").strip().lower() == "test" else "on"
    switch = (environ.get("XUEJI_DB_POOL") or default).strip().lower()
    if switch in {"0", "off", "false", "no"}:
        return None
    if switch not in {"1", "on", "true", "yes"}:
        raise ValueError(f"XUEJI_DB_POOL must be on or off, not {switch!r}.")
    threads = web_concurrency(environ, cpu_count=1).threads
    max_size = _positive_int(environ, "XUEJI_DB_POOL_MAX", threads)
    min_size = _positive_int(environ, "XUEJI_DB_POOL_MIN", 1)
    if min_size > max_size:
        raise ValueError(f"XUEJI_DB_POOL_MIN ({min_size}) is more than XUEJI_DB_POOL_MAX ({max_size}).")
    timeout = float((environ.get("XUEJI_DB_POOL_TIMEOUT") or "").strip() or POOL_TIMEOUT_SECONDS)
    return {
        "min_size": min_size,
        "max_size": max_size,
        # A request waits this long for a free connection, then fails (the 500 page) instead of
        # hanging: with max_size = threads it never waits.
        "timeout": timeout,
        # Connections are replaced after an hour (psycopg_pool's default), and closed when idle for
        # ten minutes down to min_size.
        "max_idle": 600.0,
    }
