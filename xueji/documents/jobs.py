"""Heavy documents out of the web request: a job a Celery worker prints, with its progress, and
the file kept while nothing it shows has changed.

A class's 45 学籍卡 take seconds of a CPU to lay out; printed inside a web worker they hold it, and
every other user's light page waits behind them. So a heavy document is a ``DocumentJob``
(xueji/documents/models.py): the page (or the API) asks for it and answers at once with the job's
page (202 and the job's address in the API); a worker prints it (xueji/documents/tasks.py,
``run_document_job``) and the requester downloads it from the job's page.

What a document is built from, and how, is its kind's (``DocumentJobKind``): the core's kinds are
in xueji/documents (a class's cards, its roster), the apps register theirs (statistics, monthly
reports …) from their AppConfig.ready() with ``register_document_job``, as change kinds register
with the approvals engine. A kind says

- ``target(user, params)``: the unit and the title, checking that the user may print it (the
  scoped ``get_*_for_user`` helpers: 404 outside the scope; ``NotAllowed`` for a missing right).
  Called when the job is asked for, and again in the worker: a user who lost the right meanwhile
  gets a failed job, never the file;
- ``fingerprint(user, params, target)``: a digest of everything the document prints (None: never
  kept). The same user asking again while it is unchanged gets the kept file at once;
- ``build(user, params, target, progress)``: the document, printed through
  xueji.documents.printing (recorded under its verification code and audited as the print or
  export it is), calling ``progress(done, total)`` as it goes.

Quick documents (one pupil's card or info sheet, one application form, one request's letter)
stay synchronous: one page renders in a fraction of a second, less than the round trip of a job's
page, and their callers expect the file in the answer.
"""

import logging
from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import DatabaseError, transaction
from django.http import Http404
from django.utils import timezone

from xueji.accounts.audit import audit_record
from xueji.accounts.models import Unit, User
from xueji.celery import enqueue_on_commit
from xueji.documents.models import DocumentJob
from xueji.documents.printing import PrintedPdf
from xueji.jobs import JobLost, job_claim, job_finishing, job_heartbeat, job_owned

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
JOB_ACTION = "document.job"
DOWNLOAD_ACTION = "document.download"
FAILED_SYSTEM = "生成文件时发生系统错误。请稍后重试；如仍出错请联系县教育局。"
FAILED_RIGHTS = "您已无权生成这份文件（所在单位、角色或查看范围已变更），未生成。如有疑问请联系学校或县教育局。"
FAILED_KIND = "系统已不再提供这类文件的生成，请从相应页面重新打印。"
# A job waiting this long was never delivered, one running this long lost its worker.
STALE_QUEUED = timedelta(minutes=10)
STALE_RUNNING = timedelta(minutes=30)


@dataclass(frozen=True)
class JobTarget:
    """What a job prints, as the user may see it: the unit it is about, the title shown on the
    job's page (names no pupil), the pupils' count (shown while it is printed)."""

    unit: Unit | None
    title: str
    pupil_count: int = 0


class DocumentJobKind:
    """One kind of heavy document (see the module's docstring)."""

    code: str = ""
    label: str = ""
    file_format: str = "pdf"

    def target(self, user: User, params: dict) -> JobTarget:
        raise NotImplementedError

    def fingerprint(self, user: User, params: dict, target: JobTarget) -> str | None:
        return None

    def build(self, user: User, params: dict, target: JobTarget, progress) -> PrintedPdf:
        raise NotImplementedError

    def filename(self, target: JobTarget, printed: PrintedPdf) -> str:
        return f"{target.title}.{self.file_format}"


_KINDS: dict[str, DocumentJobKind] = {}


def register_document_job(kind: DocumentJobKind) -> None:
    _KINDS[kind.code] = kind


def document_job_kind(code: str) -> DocumentJobKind:
    return _KINDS[code]


# Asking for a document -------------------------------------------------------------------------

def document_job_request(*, user: User, kind: str, params: dict) -> tuple[DocumentJob, bool]:
    """The job printing this document for this user: the last one if it still runs or its file
    still shows what the records hold, else a new one queued for a worker (after the caller's
    transaction commits). Returns (job, whether it is new). Scoped by the kind (404 outside the
    user's scope) and audited either way."""
    job_kind = document_job_kind(kind)
    target = job_kind.target(user, params)
    fingerprint = job_kind.fingerprint(user, params, target) or ""
    job = _kept_job(user, kind, params, fingerprint) if fingerprint else None
    new = job is None
    if new:
        job = DocumentJob.objects.create(kind=kind, params=params, title=target.title[:200], requested_by=user,
                                         unit=target.unit, fingerprint=fingerprint, pupil_count=target.pupil_count)
        from xueji.documents.tasks import run_document_job

        # The broker away: the job stays queued; the sweeper (xueji/jobs.py) sends it again.
        enqueue_on_commit(run_document_job, job.pk)
    detail = (f"生成{job.title}（任务 #{job.pk}）" if new
              else f"{job.title}：沿用任务 #{job.pk}（{job.get_status_display()}，数据未变）")
    audit_record(action=JOB_ACTION, obj=target.unit, user=user, detail=detail)
    return job, new


def _kept_job(user: User, kind: str, params: dict, fingerprint: str) -> DocumentJob | None:
    previous = (
        DocumentJob.objects.filter(requested_by=user, kind=kind, params=params, fingerprint=fingerprint)
        .exclude(status=DocumentJob.Status.FAILED)
        .order_by("-created_at", "-id")
        .first()
    )
    if previous is None:
        return None
    if previous.status == DocumentJob.Status.DONE:
        return previous if job_file_exists(previous) else None
    if not _stale(previous):
        return previous
    # A worker lost with it, or a broker that never delivered it: say so, start again.
    DocumentJob.objects.filter(pk=previous.pk, status=previous.status).update(
        status=DocumentJob.Status.FAILED, progress=100, finished_at=timezone.now(), worker="",
        error="生成超时，已重新开始。",
    )
    return None


def _stale(job: DocumentJob) -> bool:
    now = timezone.now()
    if job.status == DocumentJob.Status.QUEUED:
        return (job.heartbeat_at or job.created_at) < now - STALE_QUEUED
    # A running job that lost its worker is queued again by the sweeper, which checks its
    # heartbeat; one that still runs after this long is given up here.
    return (job.started_at or job.created_at) < now - STALE_RUNNING


def job_file_exists(job: DocumentJob) -> bool:
    return bool(job.file) and job.file.storage.exists(job.file.name)


def job_for_user(user: User, job_id) -> DocumentJob:
    """The job if this user asked for it; 404 to anyone else (a job's file names its requester
    and shows the pupils as the requester sees them)."""
    from xueji.accounts.scoping import NotInScope, object_id

    job = DocumentJob.objects.filter(pk=object_id(job_id), requested_by=user).select_related("document").first()
    if job is None:
        raise NotInScope("没有找到这个打印任务，或它不是您的。", what="documentjob", object_id=job_id)
    return job


def job_file_content(user: User, job: DocumentJob) -> bytes:
    """The kept file's bytes for its requester, audited as the download of the print it is.
    Http404 when the job is not done or its file is gone (superseded by a newer one)."""
    if job.status != DocumentJob.Status.DONE or not job_file_exists(job):
        raise Http404("文件尚未生成，或已被更新的版本替代。")
    with job.file.open("rb") as handle:
        content = handle.read()
    code = job.document.display_code if job.document_id else ""
    audit_record(action=DOWNLOAD_ACTION, obj=job.document or job.unit, user=user,
                 detail=f"下载{job.title}（任务 #{job.pk}，核验码 {code}）")
    return content


# Printing it (the worker) ----------------------------------------------------------------------

def document_job_run(job_id: int) -> bool:
    """Print a queued job (the Celery task calls this). Idempotent: a job finished, or being run
    by a live worker, is left alone; one whose worker was lost is taken over and printed again
    from the start. Returns whether this call ran it.

    The user's rights are checked again here: a user who lost them since asking gets a failed
    job with a Chinese message, not the file. The fingerprint stored is taken before the build
    reads the records, so a change committed meanwhile makes the next request's differ (printed
    again) rather than a stale file being kept as current."""
    if not job_claim(DocumentJob, job_id, progress=1, started_at=timezone.now()):
        return False
    job = DocumentJob.objects.select_related("requested_by").get(pk=job_id)
    user = job.requested_by
    try:
        job_kind = _KINDS.get(job.kind)
        if job_kind is None:
            return _fail(job_id, FAILED_KIND)
        try:
            if not user.is_active:
                raise PermissionDenied
            target = job_kind.target(user, job.params)
        except (Http404, PermissionDenied):
            audit_record(action=JOB_ACTION, obj=job.unit, user=user, result="denied",
                         detail=f"{job.title}：任务 #{job.pk} 未生成，申请人已无权限")
            return _fail(job_id, FAILED_RIGHTS)
        fingerprint = job_kind.fingerprint(user, job.params, target) or ""
        job_heartbeat(DocumentJob, job_id, progress=3, fingerprint=fingerprint, pupil_count=target.pupil_count)

        def progress(done: int, total: int) -> None:
            # Laying the document out is most of the work; writing it the rest. Also the
            # heartbeat: raises JobLost once another worker took this job over.
            job_heartbeat(DocumentJob, job_id, progress=min(5 + done * 85 // max(total, 1), 90))

        printed = job_kind.build(user, job.params, target, progress)
        job_heartbeat(DocumentJob, job_id, progress=95)
        filename = job_kind.filename(target, printed)[:200]
        job.file.save(f"{job.kind}-{job.pk}.{printed.record.file_format}", ContentFile(printed.content), save=False)
        # Done and the older files out of date in one step: whoever sees this job done sees them gone.
        with transaction.atomic():
            job_finishing(DocumentJob, job_id)  # still ours: a job taken over is finished once, by its new owner
            DocumentJob.objects.filter(pk=job_id).update(
                status=DocumentJob.Status.DONE, progress=100, file=job.file.name, document=printed.record,
                filename=filename, finished_at=timezone.now(), worker="",
            )
            _drop_superseded_files(job)
    except JobLost:
        logger.warning("document job %s was taken over by another worker: this run stops", job_id)
        return False
    except DatabaseError:
        # The database went away: the job stays "running" without heartbeat; the sweeper queues it again.
        logger.exception("document job %s interrupted by the database", job_id)
        raise
    except Exception:  # noqa: BLE001 — logged (the time limit too); the job must not stay "running"
        logger.exception("document job %s failed", job_id)
        _fail(job_id, FAILED_SYSTEM)
    return True


def _fail(job_id: int, message: str) -> bool:
    job_owned(DocumentJob, job_id).update(status=DocumentJob.Status.FAILED, progress=100,
                                          finished_at=timezone.now(), worker="", error=message)
    return True


def _drop_superseded_files(job: DocumentJob) -> None:
    """The files of the user's earlier jobs of the same document are out of date once a newer one
    is printed: they go (a school's cards weigh tens of megabytes); their rows and print records
    stay."""
    older = list(DocumentJob.objects.filter(requested_by_id=job.requested_by_id, kind=job.kind, params=job.params,
                                            created_at__lt=job.created_at).exclude(file=""))
    DocumentJob.objects.filter(pk__in=[old.pk for old in older]).update(file="")
    # The files go once the rows no longer name them (never a row naming a deleted file).
    names = [old.file.name for old in older]
    storage = job.file.storage
    transaction.on_commit(lambda: [storage.delete(name) for name in names])
