"""Long jobs (xueji/jobs.py): one owner at a time (a compare-and-set on status and worker), a job
whose owner stopped beating is taken over (by a redelivered task, or queued again by the sweeper),
the old owner writes nothing more, and a job that loses its worker too often is failed. The Celery
settings that go with them: time limits, a visibility timeout longer than the longest job."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from xueji.celery import app
from xueji.documents.jobs import document_job_run
from xueji.documents.models import DocumentJob
from xueji.jobs import (
    JobLost,
    job_claim,
    job_finishing,
    job_heartbeat,
    jobs_sweep,
    registered_jobs,
    this_worker,
)


@pytest.fixture
def job(world):
    return DocumentJob.objects.create(kind="class_cards", params={"class": world.classes["a1_3_1"].pk},
                                      unit=world.units["a1"], requested_by=world.user("headmaster_a1"), fingerprint="x")


def owned_elsewhere(job, *, silent_for: timedelta = timedelta(0)):
    """The job as another worker left it: running, its last heartbeat ``silent_for`` ago."""
    DocumentJob.objects.filter(pk=job.pk).update(status="running", worker="elsewhere:4242",
                                             heartbeat_at=timezone.now() - silent_for)


def lost(job):
    owned_elsewhere(job, silent_for=timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT + 1))


def test_a_queued_job_is_taken_once(job):
    assert job_claim(DocumentJob, job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.worker, job.restarts) == ("running", this_worker(), 0) and job.heartbeat_at
    assert job_claim(DocumentJob, job.pk) is False  # not twice, not even by the same process


def test_a_job_whose_owner_beats_is_left_to_it(job):
    owned_elsewhere(job, silent_for=timedelta(seconds=settings.JOB_HEARTBEAT_TIMEOUT - 5))
    assert job_claim(DocumentJob, job.pk) is False
    assert document_job_run(job.pk) is False  # the redelivered task leaves it alone
    assert DocumentJob.objects.get(pk=job.pk).worker == "elsewhere:4242"


def test_a_job_whose_owner_is_gone_is_taken_over_by_the_redelivered_task(job):
    lost(job)
    assert document_job_run(job.pk) is True
    job.refresh_from_db()
    assert (job.status, job.restarts, job.worker, job.progress) == ("done", 1, "", 100)


def test_the_old_owner_stops_and_writes_nothing_once_taken_over(job):
    assert job_claim(DocumentJob, job.pk)
    lost(job)  # as if this process had been silent, and another worker took the job
    with pytest.raises(JobLost):
        job_heartbeat(DocumentJob, job.pk, progress=50)
    with pytest.raises(JobLost):
        job_finishing(DocumentJob, job.pk)
    assert DocumentJob.objects.get(pk=job.pk).progress == 0


def test_the_sweeper_queues_a_lost_job_again(job, django_capture_on_commit_callbacks):
    lost(job)
    with django_capture_on_commit_callbacks() as sent:
        assert jobs_sweep() == [("xueji.DocumentJob", job.pk)]
    assert len(sent) == 1  # the task is sent once the row says "queued"
    job.refresh_from_db()
    assert (job.status, job.worker, job.restarts) == ("queued", "", 1)
    # The job's next worker takes it from the queue.
    assert job_claim(DocumentJob, job.pk) and DocumentJob.objects.get(pk=job.pk).restarts == 1


def test_the_sweeper_leaves_live_and_finished_jobs(job, django_capture_on_commit_callbacks):
    owned_elsewhere(job)
    done = DocumentJob.objects.create(kind=job.kind, params=job.params, unit=job.unit, requested_by=job.requested_by,
                                      fingerprint="y", status="done",
                                  heartbeat_at=timezone.now() - timedelta(days=1))
    with django_capture_on_commit_callbacks() as sent:
        assert jobs_sweep() == []
    assert not sent
    assert DocumentJob.objects.get(pk=job.pk).status == "running" and DocumentJob.objects.get(pk=done.pk).status == "done"


def test_a_queued_job_whose_task_never_came_is_sent_again(job, django_capture_on_commit_callbacks):
    DocumentJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(hours=1))
    with django_capture_on_commit_callbacks() as sent:
        assert jobs_sweep() == [("xueji.DocumentJob", job.pk)]
        assert jobs_sweep() == []  # not again at the next sweep: it was just sent
    assert len(sent) == 1


def test_a_job_that_loses_its_worker_too_often_fails_with_a_message(job, django_capture_on_commit_callbacks):
    DocumentJob.objects.filter(pk=job.pk).update(restarts=settings.JOB_MAX_RESTARTS)
    lost(job)
    with django_capture_on_commit_callbacks() as sent:
        assert jobs_sweep() == []
    assert not sent
    job.refresh_from_db()
    assert job.status == "failed" and "多次因系统中断" in job.error and job.finished_at


def test_every_long_job_is_registered_with_a_task_that_has_time_limits():
    from enrollment.intake.models import EnrolmentImport
    from schoolyear.models import PromotionRun

    app.loader.import_default_modules()
    jobs = {spec.model: spec for spec in registered_jobs()}
    assert {EnrolmentImport, DocumentJob, PromotionRun} <= set(jobs)
    for spec in jobs.values():
        task = app.tasks[spec.task]
        assert task.soft_time_limit and task.time_limit > task.soft_time_limit, spec.task


def test_the_broker_gives_a_task_back_only_after_the_longest_job_could_have_ended():
    app.loader.import_default_modules()
    limits = [task.time_limit or app.conf.task_time_limit for name, task in app.tasks.items()
              if not name.startswith("celery.")]
    assert app.conf.task_time_limit and app.conf.task_soft_time_limit < app.conf.task_time_limit
    assert max(limits) < app.conf.broker_transport_options["visibility_timeout"]
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost


def test_the_sweeper_runs_every_minute():
    entry = settings.CELERY_BEAT_SCHEDULE["sweep-lost-jobs"]
    assert entry["task"] == "xueji.jobs.sweep" and entry["schedule"] <= 60
    app.loader.import_default_modules()
    assert "xueji.jobs.sweep" in app.tasks


def test_a_stale_database_connection_is_replaced_before_a_request_uses_it():
    from django.db import connection

    assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
