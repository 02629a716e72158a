"""The pages of heavy documents printed by a worker (xueji/documents/jobs.py): starting one, its
page with the progress, the download, and 我的打印任务.

A page's button for a heavy document posts to its own address, which calls ``job_start``: the
job is asked for (or the kept one found) and the user is sent to its page. A plain link (a
bookmark, an old page) reaches the same address with GET and gets a small page with the button,
so that nothing is printed by following a link. The job's page polls itself with htmx while the
worker prints (without scripts, a meta refresh), then offers 下载, or says in Chinese why it
failed. A job and its file are its requester's only: anyone else gets the 404 page."""

from urllib.parse import quote

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRedirect

from xueji.documents.jobs import CONTENT_TYPES, document_job_kind, document_job_request, job_file_content, job_for_user
from xueji.documents.models import DocumentJob
from xueji.documents.printing import content_disposition
from xueji.jobs import poll_seconds

RECENT_JOBS = 30


def job_start(request, kind: str, params: dict):
    """GET: the button (after the kind's scoping: 404 outside it); POST: the job, then its page."""
    job_kind = document_job_kind(kind)
    if request.method != "POST":
        target = job_kind.target(request.user, params)
        return render(request, "documents/job_start.html", {"title": target.title, "label": job_kind.label,
                                                            "pupil_count": target.pupil_count})
    job, _new = document_job_request(user=request.user, kind=kind, params=params)
    url = reverse("documents:document_job", args=[job.pk])
    if request.htmx:
        return HttpResponseClientRedirect(url)
    return redirect(url)


@login_required
@require_GET
def document_job(request, job_id: int):
    """The job's page: its progress while it is printed (the htmx poll asks for the state only),
    下载 once done, the reason once failed."""
    job = job_for_user(request.user, job_id)
    context = {"job": job, "poll": not job.finished, "poll_seconds": poll_seconds(job.created_at)}
    if request.htmx:
        return render(request, "documents/_job_state.html", context)
    return render(request, "documents/document_job.html", context)


@login_required
@require_GET
def document_job_file(request, job_id: int):
    """The file, to its requester only; audited as the download of the print it is."""
    job = job_for_user(request.user, job_id)
    return job_file_response(request.user, job)


def job_file_response(user, job: DocumentJob) -> HttpResponse:
    content = job_file_content(user, job)
    extension = job.document.file_format if job.document_id else "pdf"
    response = HttpResponse(content, content_type=CONTENT_TYPES.get(extension, "application/octet-stream"))
    code = job.document.code if job.document_id else str(job.pk)
    # A PDF opens in the browser as the former direct print did; a spreadsheet is saved.
    response["Content-Disposition"] = content_disposition(job.filename or f"document-{code}.{extension}",
                                                          inline=extension == "pdf",
                                                          fallback=f"document-{quote(code)}.{extension}")
    if job.document_id:
        response["X-Document-Code"] = job.document.display_code
    # Pupil data: not kept by shared caches or the browser's disk cache.
    response["Cache-Control"] = "private, no-store"
    if extension == "pdf":
        # As pdf_response (xueji/documents/printing.py): the browser's viewer needs its own styles.
        response._csp_config = {"frame-ancestors": ["'none'"]}
    return response


@login_required
@require_GET
def document_job_list(request):
    """我的打印任务: the user's recent jobs, newest first."""
    jobs = DocumentJob.objects.filter(requested_by=request.user).select_related("document")[:RECENT_JOBS]
    return render(request, "documents/document_job_list.html", {"jobs": jobs})
