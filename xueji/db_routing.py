"""Reads that tolerate a few seconds of lag go to the streaming replica; everything else, and every
write, goes to the primary (docs/scale.md, "The router's rules").

Which reads tolerate lag is decided here, in one place, by what is being done rather than by
each app's views:
- a request whose resolved URL name is in ``LAG_TOLERANT_VIEWS`` (statistics, monthly reports,
  the pupil search lists, the national readiness check and export), for a GET or HEAD, marked by
  ``ReplicaReadsMiddleware``;
- a Celery task named in ``LAG_TOLERANT_TASKS``, and any code inside ``with replica_reads():``
  (an export's file building).

Even there a read goes to the primary
- for a user who wrote in the last ``READ_YOUR_WRITES_SECONDS`` (a mark per user in the cache,
  set after any non-safe request of theirs and any write in any request of theirs), so that a
  registrar who just changed something sees it on the next page;
- once the request itself has written anything but bookkeeping (``BOOKKEEPING_APPS`` and
  ``BOOKKEEPING_MODELS``: sessions, users, memberships, tokens, second factors, the audit log, long
  jobs' owners and progress), and, in a task, inside a transaction that has written;
- for bookkeeping models themselves (who is logged in with which rights, which job is whose:
  never a lagging answer);
- for anonymous requests (an API token's user is only known once DRF has authenticated it; its
  token is read from the primary);
- when the replica cannot be reached, or its replay is more than ``REPLICA_MAX_LAG_SECONDS``
  behind (or it is no standby at all): the first such check sends reads to the primary at once
  and is remembered for ``REPLICA_RETRY_SECONDS`` in this process (a short connect_timeout in
  settings), so a stopped replica costs one timeout per process, not one per request.

Without a ``replica`` database (DATABASE_REPLICA_URL unset) every answer is the primary and the
middleware does nothing: one dictionary look-up per query.
"""

from __future__ import annotations

import contextvars
import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, Error as DatabaseError, connections

logger = logging.getLogger(__name__)

REPLICA = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# `namespace:name` of the pages and API endpoints whose reads may lag a few seconds. A page that
# shows one record to act on (a pupil's page, a request's page) is not here: it must show the
# change just made, by anyone.
LAG_TOLERANT_VIEWS = frozenset({
    # statistics: the page, its spreadsheet, the API
    "reports:statistics",
    "reports:statistics_xlsx",
    "reports_api:api-statistics",
    "reports_api:api-statistics-xlsx",
    # monthly reports (written once a month; their list, pages and files)
    "reports:monthly_report_list",
    "reports:monthly_report_detail",
    "reports:monthly_report_pdf",
    "reports:monthly_report_xlsx",
    "reports_api:api-monthly-report-list",
    "reports_api:api-monthly-report-detail",
    "reports_api:api-monthly-report-pdf",
    "reports_api:api-monthly-report-xlsx",
    # the pupil search lists, page and API
    "pupils:pupil_list",
    "pupils_api:api-pupil-list",
    # the national system: the readiness check and the export file
    "enrollment:national_readiness",
    "enrollment:national_export",
    "enrollment_api:api-national-readiness",
    "enrollment_api:api-national-export",
})

# Celery tasks (by name) whose reads may lag: they summarise, they do not act on what they read.
LAG_TOLERANT_TASKS = frozenset({
    "reports.tasks.generate_monthly_reports",
    "reports.tasks.run_monthly_reports",
})

# Read from the primary always, and a write of them is not "a write of the user's": who is logged
# in, with which token and second factor, what the audit log and the long jobs' owners say.
BOOKKEEPING_APPS = frozenset({
    "sessions", "knox", "otp_totp", "otp_static", "django_celery_beat", "contenttypes", "auth",
})
BOOKKEEPING_MODELS = frozenset({"xueji.user", "xueji.auditentry", "xueji.membership"})


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


@dataclass
class ReadContext:
    """Where reads may go, for one request or one block of work."""

    request: object = None  # the HttpRequest, for a request's context
    lag_tolerant: bool = False
    # A request: any write sends the rest of it to the primary. A task: only inside the
    # transaction that wrote (its writes are its output, not what it reads).
    sticky: bool = True
    wrote: bool = False
    written_transaction: object = None
    checked_user: object = None
    user_wrote_recently: bool = False
    replica_ok: bool | None = None


_current: contextvars.ContextVar[ReadContext | None] = contextvars.ContextVar("xueji_read_context", default=None)


def current_context() -> ReadContext | None:
    return _current.get()


@contextmanager
def replica_reads():
    """Reads inside may go to the replica (a task's or a service's lag-tolerant work); also a
    decorator, ``@replica_reads()``. Entered inside a transaction, the caller vouches that what it
    reads does not depend on that transaction's writes so far; a write inside still sends the
    transaction's later reads to the primary."""
    if not replica_configured():
        yield None
        return
    context = ReadContext(lag_tolerant=True, sticky=False)
    token = _current.set(context)
    try:
        yield context
    finally:
        _current.reset(token)


# Read-your-writes: a mark per user in the cache ---------------------------------------------------


def _mark_key(user_id) -> str:
    return f"db_routing:wrote:{user_id}"


def mark_user_wrote(user_id) -> None:
    try:
        cache.set(_mark_key(user_id), 1, timeout=settings.READ_YOUR_WRITES_SECONDS)
    except Exception:  # noqa: BLE001 — Redis away: the check below then answers "wrote" too
        logger.warning("db_routing: the cache is unreachable; the user's reads stay on the primary")


def user_wrote_recently(user_id) -> bool:
    try:
        return cache.get(_mark_key(user_id)) is not None
    except Exception:  # noqa: BLE001 — without the mark we cannot know: the primary is always right
        return True


# The replica's health, remembered per process ----------------------------------------------------

_replica_down_until = 0.0


# How far behind the primary the standby's replay is, in seconds: 0 when it has replayed all it
# received (an idle primary sends nothing, and the last replayed commit may be old), else the age
# of the last replayed commit.
REPLAY_LAG_SQL = """
    SELECT CASE
        WHEN NOT pg_is_in_recovery() THEN NULL
        WHEN pg_last_wal_receive_lsn() IS NOT DISTINCT FROM pg_last_wal_replay_lsn() THEN 0
        ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)
    END
"""


def replica_available() -> bool:
    """Whether the replica answers and is at most REPLICA_MAX_LAG_SECONDS behind, checked once per
    context: a failed connection or a standby too far behind sends reads to the primary, and is
    remembered for REPLICA_RETRY_SECONDS."""
    global _replica_down_until
    if time.monotonic() < _replica_down_until:
        return False
    connection = connections[REPLICA]
    try:
        # A connection kept from an earlier request may be dead (the replica stopped since):
        # check it as conn_health_checks would at a request's start, then connect.
        connection.close_if_unusable_or_obsolete()
        connection.close_if_health_check_failed()
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute(REPLAY_LAG_SQL)
            lag = cursor.fetchone()[0]
    except DatabaseError as error:
        _replica_down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        logger.warning("db_routing: the replica cannot be reached (%s); reads go to the primary for %ss",
                       type(error).__name__, settings.REPLICA_RETRY_SECONDS)
        try:
            connection.close()
        except DatabaseError:
            pass
        return False
    if lag is None or lag > settings.REPLICA_MAX_LAG_SECONDS:
        # Not a standby (promoted, or a wrong address), or too far behind to be "a few seconds".
        _replica_down_until = time.monotonic() + settings.REPLICA_RETRY_SECONDS
        state = "not in recovery" if lag is None else f"{float(lag):.0f} s behind"
        logger.warning("db_routing: the replica is %s; reads go to the primary for %ss",
                       state, settings.REPLICA_RETRY_SECONDS)
        return False
    return True


def forget_replica_state() -> None:
    """For tests that start and stop a replica: the next context checks it afresh."""
    global _replica_down_until
    _replica_down_until = 0.0


def _is_bookkeeping(model) -> bool:
    from xueji.jobs import HeartbeatJob

    meta = model._meta
    return (meta.app_label in BOOKKEEPING_APPS or meta.label_lower in BOOKKEEPING_MODELS
            or issubclass(model, HeartbeatJob))


def _outermost_transaction():
    connection = connections[DEFAULT_DB_ALIAS]
    return connection.atomic_blocks[0] if connection.in_atomic_block and connection.atomic_blocks else None


class ReplicaRouter:
    """settings.DATABASE_ROUTERS. Writes and migrations: the primary. Reads: see the module."""

    def db_for_read(self, model, **hints):
        context = _current.get()
        if context is None or not context.lag_tolerant or not replica_configured():
            return DEFAULT_DB_ALIAS
        if _is_bookkeeping(model):
            return DEFAULT_DB_ALIAS
        if context.wrote:
            if context.sticky:
                return DEFAULT_DB_ALIAS
            written = context.written_transaction
            if written is not None and written is _outermost_transaction():
                return DEFAULT_DB_ALIAS
        if context.request is not None and not self._user_may_lag(context):
            return DEFAULT_DB_ALIAS
        if context.replica_ok is None:
            context.replica_ok = replica_available()
        return REPLICA if context.replica_ok else DEFAULT_DB_ALIAS

    @staticmethod
    def _user_may_lag(context: ReadContext) -> bool:
        # Read from the request each time: DRF sets the token's user on it after authenticating.
        user = getattr(context.request, "user", None)
        if user is None or not user.is_authenticated:
            return False
        if context.checked_user != user.pk:
            context.checked_user = user.pk
            context.user_wrote_recently = user_wrote_recently(user.pk)
        return not context.user_wrote_recently

    def db_for_write(self, model, **hints):
        context = _current.get()
        if context is not None and not _is_bookkeeping(model):
            context.wrote = True
            if context.written_transaction is None or context.written_transaction is not _outermost_transaction():
                context.written_transaction = _outermost_transaction()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # The replica is a copy of the primary: an object read from one may point at the other's.
        if {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """Marks a request's reads as lag-tolerant by its URL's name, and the user as having written
    after a non-safe request or a write. Placed after authentication (the user is known)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not replica_configured():
            return self.get_response(request)
        context = ReadContext(request=request)
        token = _current.set(context)
        try:
            return self.get_response(request)
        finally:
            _current.reset(token)
            if context.wrote or request.method not in SAFE_METHODS:
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated:
                    mark_user_wrote(user.pk)

    def process_view(self, request, view_func, view_args, view_kwargs):
        context = _current.get()
        if context is None or request.method not in SAFE_METHODS:
            return None
        match = request.resolver_match
        if match is not None and match.view_name in LAG_TOLERANT_VIEWS:
            # The user known now (the session's), so the mark is checked when the request starts;
            # an API token's user is checked at the first read, once DRF has authenticated it.
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                context.checked_user = user.pk
                context.user_wrote_recently = user_wrote_recently(user.pk)
            context.lag_tolerant = True
        return None


# Celery: the lag-tolerant tasks run inside replica_reads() ----------------------------------------

_task_tokens: dict[str, contextvars.Token] = {}


def _task_started(sender=None, task_id=None, task=None, **kwargs):
    if task is not None and task.name in LAG_TOLERANT_TASKS and replica_configured():
        _task_tokens[task_id] = _current.set(ReadContext(lag_tolerant=True, sticky=False))


def _task_ended(sender=None, task_id=None, **kwargs):
    token = _task_tokens.pop(task_id, None)
    if token is not None:
        _current.reset(token)


def connect_task_signals() -> None:
    from celery.signals import task_postrun, task_prerun

    task_prerun.connect(_task_started, weak=False, dispatch_uid="xueji.db_routing.started")
    task_postrun.connect(_task_ended, weak=False, dispatch_uid="xueji.db_routing.ended")
