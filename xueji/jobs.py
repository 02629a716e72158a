"""Long jobs that finish: an owner process and a heartbeat on every long job's row, and a sweeper
that gives a job whose owner stopped beating (a worker killed, a machine restarted) back to the
queue.

A long job (an enrolment import, a school's cards, a promotion, …) is a row whose model inherits
``HeartbeatJob`` and is registered here (``register_job``) with the Celery task that runs it. The
task:

- takes the row with ``job_claim`` — a compare-and-set on status (and, for a running job, on a
  stale heartbeat), so that two workers never both run it; a job whose owner is gone is taken over;
- calls ``job_heartbeat`` as it progresses (its progress goes in the same UPDATE), which raises
  ``JobLost`` once another process has taken the job over: the old owner stops and writes nothing;
- writes its result inside ``job_finishing``, which locks the row and checks that it still owns
  it, so that the result is written once (the job's own transaction keeps it all-or-nothing).

``jobs_sweep`` (a Celery beat task, every minute) puts a running job whose heartbeat is older than
``settings.JOB_HEARTBEAT_TIMEOUT`` back to queued and queues its task again; a queued job whose task
never came (the broker was away) is sent again. After ``settings.JOB_MAX_RESTARTS`` takeovers a job
is failed with the Chinese message its model registered, rather than crash workers for ever.

Core module: it imports no app; the apps register their models (at the end of their models.py).
"""

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import models, transaction
from django.db.models import F, Q
from django.utils import timezone

logger = logging.getLogger(__name__)


class HeartbeatJob(models.Model):
    """The fields every long job carries: who runs it and when it last said it is alive."""

    worker = models.CharField("执行进程", max_length=120, blank=True, help_text="主机名:进程号")
    heartbeat_at = models.DateTimeField("最近心跳", null=True, blank=True)
    # How often the job was taken back from a lost worker and started again.
    restarts = models.PositiveSmallIntegerField("重新开始次数", default=0)

    class Meta:
        abstract = True

    @property
    def restarted(self) -> bool:
        return self.restarts > 0


class JobLost(Exception):
    """This process no longer owns the job (it was taken for dead and another took it over):
    stop at once, write nothing."""


@dataclass(frozen=True)
class SweepableJob:
    model: type[HeartbeatJob]
    task: str  # the Celery task's name; it takes the job's primary key
    claimable: tuple[str, ...]  # statuses a worker may take a job from
    queued: str | None  # the status the sweeper puts a lost job back to (None: it only fails it)
    running: str
    failed: str
    sent_field: str  # when a queued job was created (a queued job never taken is sent again)
    give_up: Callable[[], dict]  # the fields (a Chinese message) of a job that lost too many workers
    resend_queued: bool = True


_REGISTRY: dict[type, SweepableJob] = {}


def register_job(model, *, task: str, running: str = "running", queued: str | None = "queued",
                 claimable: tuple[str, ...] = ("queued",), failed: str = "failed", sent_field: str = "created_at",
                 give_up: Callable[[], dict] = dict, resend_queued: bool = True) -> None:
    _REGISTRY[model] = SweepableJob(model=model, task=task, claimable=claimable, queued=queued, running=running,
                                    failed=failed, sent_field=sent_field, give_up=give_up,
                                    resend_queued=resend_queued)


def registered_jobs() -> list[SweepableJob]:
    return list(_REGISTRY.values())


def _spec(model) -> SweepableJob:
    return _REGISTRY[model]


def this_worker() -> str:
    """The owner of what this process runs: ``hostname:pid``."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def heartbeat_timeout() -> timedelta:
    return timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT)


def _stale(now) -> Q:
    # A running row without a heartbeat was started before heartbeats existed: its owner is gone.
    return Q(heartbeat_at__lt=now - heartbeat_timeout()) | Q(heartbeat_at__isnull=True)


def job_claim(model, pk: int, **fields) -> bool:
    """Take the job for this process (``fields`` are written with it, e.g. progress=1): one that
    waits, or one running whose owner stopped beating — then it is a takeover, counted in
    ``restarts``. A compare-and-set in one UPDATE each: of two workers, one gets it."""
    spec, now = _spec(model), timezone.now()
    taken = dict(status=spec.running, worker=this_worker(), heartbeat_at=now, **fields)
    if model.objects.filter(pk=pk, status__in=spec.claimable).update(**taken):
        return True
    lost = model.objects.filter(_stale(now), pk=pk, status=spec.running)
    if lost.update(restarts=F("restarts") + 1, **taken):
        logger.warning("%s %s: its worker stopped answering, taken over", model._meta.label, pk)
        return True
    return False


def job_heartbeat(model, pk: int, **fields) -> None:
    """Say that this job is alive (with its progress, if given). Raises JobLost when it is no
    longer this process's."""
    spec = _spec(model)
    if not model.objects.filter(pk=pk, status=spec.running, worker=this_worker()).update(
        heartbeat_at=timezone.now(), **fields
    ):
        raise JobLost(f"{model._meta.label} {pk}")


def job_finishing(model, pk: int):
    """Lock the job's row and check that this process still runs it; call inside the
    transaction that writes the result. Raises JobLost (rolling the result back) otherwise."""
    spec = _spec(model)
    if not model.objects.select_for_update().filter(pk=pk, status=spec.running, worker=this_worker()).exists():
        raise JobLost(f"{model._meta.label} {pk}")


def job_owned(model, pk: int):
    """The job's row if this process runs it (for a failure written outside job_finishing)."""
    return model.objects.filter(pk=pk, status=_spec(model).running, worker=this_worker())


# The sweeper ----------------------------------------------------------------------------------

def jobs_sweep() -> list[tuple[str, int]]:
    """Give back to the queue every long job whose owner stopped beating, send again the queued
    ones whose task never came. Returns the (model, pk) of the jobs queued again."""
    sent = []
    for spec in registered_jobs():
        for pk in spec.model.objects.filter(_stale(timezone.now()), status=spec.running).values_list("pk", flat=True):
            if _requeue_lost(spec, pk):
                sent.append((spec.model._meta.label, pk))
        if spec.resend_queued and spec.queued:
            sent += [(spec.model._meta.label, pk) for pk in _resend_waiting(spec)]
    return sent


def _requeue_lost(spec: SweepableJob, pk: int) -> bool:
    with transaction.atomic():
        now = timezone.now()
        # The row is re-read under a lock: its owner may have finished (or beaten) meanwhile; a
        # row another sweeper holds is left to it.
        job = (spec.model.objects.select_for_update(skip_locked=True)
               .filter(_stale(now), pk=pk, status=spec.running).first())
        if job is None:
            return False
        if job.restarts >= settings.JOB_MAX_RESTARTS or spec.queued is None:
            logger.warning("%s %s: its worker was lost %s times, failed", spec.model._meta.label, pk, job.restarts)
            spec.model.objects.filter(pk=pk).update(status=spec.failed, worker="", **spec.give_up())
            return False
        logger.warning("%s %s: its worker stopped answering, queued again", spec.model._meta.label, pk)
        # heartbeat_at now: when it was sent again (a queued job is sent again after a timeout).
        spec.model.objects.filter(pk=pk).update(status=spec.queued, worker="", heartbeat_at=now,
                                                restarts=F("restarts") + 1)
        _send_on_commit(spec.task, pk)
    return True


def _resend_waiting(spec: SweepableJob) -> list[int]:
    now = timezone.now()
    cutoff = now - heartbeat_timeout()
    waiting = spec.model.objects.filter(
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True, **{f"{spec.sent_field}__lt": cutoff}),
        status=spec.queued,
    )
    pks = []
    with transaction.atomic():
        for pk in waiting.select_for_update(skip_locked=True).values_list("pk", flat=True):
            spec.model.objects.filter(pk=pk).update(heartbeat_at=now)
            _send_on_commit(spec.task, pk)
            pks.append(pk)
    return pks


def _send_on_commit(task_name: str, pk: int) -> None:
    from xueji.celery import app

    def send():
        try:
            app.send_task(task_name, args=[pk])
        except Exception as error:  # noqa: BLE001 — the broker away: the next sweep sends it again
            logger.warning("task %s not queued (%s): the next sweep sends it again", task_name, type(error).__name__)

    transaction.on_commit(send)


@shared_task(name="xueji.jobs.sweep", acks_late=True)
def sweep() -> int:
    """Every minute (beat entry "sweep-lost-jobs")."""
    return len(jobs_sweep())


# How often a page waiting for a job asks again (a printed document's page, an import's progress
# bar): every second at first, when most jobs finish, then less often. On a September morning a
# hundred registrars' pages asking every second while the worker was behind were four fifths of the
# web's requests (benchmarks/peak_day.py: 20,000 of 24,745) and more than it could answer.
POLL_STEPS = ((timedelta(seconds=10), 1), (timedelta(minutes=1), 3))
POLL_LONGEST = 5


def poll_seconds(waiting_since, now=None) -> int:
    """Seconds until a page waiting since ``waiting_since`` (the job's request) asks again."""
    waited = (now or timezone.now()) - waiting_since
    for up_to, seconds in POLL_STEPS:
        if waited < up_to:
            return seconds
    return POLL_LONGEST

