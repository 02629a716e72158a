"""Heavy documents through their job (xueji/documents/jobs.py), as a user gets them: the button
(POST), the job's page, the worker's run, the download.

In a test's transaction nothing is queued (the task is sent on commit), so ``run_queued`` runs
the queued jobs here with the worker's own service (``document_job_run``); tests that start a
real Celery worker exist beside (tests/xueji/documents/test_document_jobs.py)."""

import time

from xueji.documents.jobs import document_job_run
from xueji.documents.models import DocumentJob


def run_queued(*only: int) -> list[int]:
    """Run the queued jobs (those of ``only``, else every one) as the worker would, oldest first;
    the ids run."""
    queued = DocumentJob.objects.filter(status=DocumentJob.Status.QUEUED).order_by("id")
    ids = list((queued.filter(pk__in=only) if only else queued).values_list("pk", flat=True))
    for pk in ids:
        document_job_run(pk)
    return ids


def print_through_job(client, url: str):
    """POST the document's button, run its job, download from the job's page: the file's
    response (or the refusal's, when the button's answer is not the job's page)."""
    response = client.post(url)
    if response.status_code != 302 or "/documents/jobs/" not in response["Location"]:
        return response
    job_page = response["Location"]
    run_queued(int(job_page.rstrip("/").rsplit("/", 1)[1]))
    page = client.get(job_page)
    assert page.status_code == 200 and "下载" in page.content.decode(), page.content.decode()[:2000]
    return client.get(job_page + "file")


def api_print_through_job(api, url: str):
    """GET the API's heavy document: 202 and the job, the job run, then its file (or the file at
    once when a kept one was valid; any other answer is returned as it is)."""
    response = api.get(url)
    if response.status_code != 202:
        return response
    run_queued(response.data["id"])
    job = api.get(response.data["url"])
    assert job.status_code == 200 and job.data["status"] == "done", job.data
    return api.get(job.data["file_url"])


def wait_for_job(job_id: int, seconds: float = 90, progress_seen: set | None = None) -> DocumentJob:
    """The job once a real worker has finished it (its progress values noted in ``progress_seen``)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job = DocumentJob.objects.get(pk=job_id)
        if progress_seen is not None:
            progress_seen.add(job.progress)
        if job.finished:
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} did not finish: {DocumentJob.objects.get(pk=job_id).status}")

