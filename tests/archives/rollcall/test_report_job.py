"""The 学籍核查报告 is printed by a worker (archives/rollcall/jobs.py, RollCallReportJob): a real
Celery worker prints it from the school page's button; never kept (the lines change through the
window), so a second request prints it again; the old address shows the button and prints
nothing; another county's or school's people start nothing (404, audited); an officer who left
the county before the worker came to the job gets a failed job, not the report."""

from datetime import datetime

import time_machine
from celery.contrib.testing.worker import start_worker

from tests.archives.rollcall.helpers import AFTER, TZ, frozen, semester
from tests.archives.rollcall.test_rollcall import finished_with_every_outcome
from tests.conftest import login_with_code, transactional
from tests.document_jobs import run_queued, wait_for_job
from tests.pdfs import pdf_words
from xueji.accounts.models import AuditEntry, Membership
from xueji.celery import app
from xueji.documents.models import DocumentJob, PrintedDocument


def _url(world) -> str:
    return f"/archives/rollcalls/schools/{world.units['a1'].pk}/report.pdf?semester={semester(world).pk}"



@transactional
def test_a_worker_prints_the_report_from_the_schools_button(world, client):
    finished_with_every_outcome(world)
    school = world.units["a1"]
    officer = world.user("officer_a")
    with time_machine.travel(datetime(AFTER.year, AFTER.month, AFTER.day, 10, tzinfo=TZ), tick=True), start_worker(
            app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        login_with_code(client, officer)
        page = client.get(f"/archives/rollcalls/schools/{school.pk}/?semester={semester(world).pk}").content.decode()
        assert f'<form method="post" action="{_url(world)}"' in page and "打印核查报告（PDF）" in page
        response = client.post(_url(world))  # the request commits: the task is sent to the worker
        job = DocumentJob.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/documents/jobs/{job.pk}/"
        job = wait_for_job(job.pk)
        assert (job.kind, job.status, job.unit, job.fingerprint) == ("rollcall_report", "done", school, "")
        pdf = client.get(f"/documents/jobs/{job.pk}/file")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        text = pdf_words(pdf.content)
        for words in ("学籍核查报告", school.name, "2026—2027学年第一学期", "王小虎", "张小明", "校长签字"):
            assert words in text, words
        assert job.document.display_code in text and job.document.kind == "rollcall_report"

        # Never kept: asked again, printed again.
        again = client.post(_url(world))["Location"]
        assert again != f"/documents/jobs/{job.pk}/"
        wait_for_job(int(again.rstrip("/").rsplit("/", 1)[1]))
    assert PrintedDocument.objects.filter(kind="rollcall_report").count() == 2
    assert AuditEntry.objects.filter(action="document.print", user=officer, detail__contains="学籍核查报告").count() == 2


def test_the_old_address_shows_the_button_and_prints_nothing(world, login):
    finished_with_every_outcome(world)
    with frozen(AFTER):
        page = login(world.user("registrar_a1")).get(_url(world))
    body = page.content.decode()
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert 'method="post"' in body and "生成学籍核查报告" in body
    assert "学籍核查报告由后台生成" in body and "共 0 名学生" not in body  # a report of counts: no pupils' number
    assert not DocumentJob.objects.exists() and not PrintedDocument.objects.exists()


def test_another_county_or_school_starts_nothing(world, login, client):
    finished_with_every_outcome(world)
    with frozen(AFTER):
        for username in ("officer_b", "registrar_b1", "registrar_a2", "teacher_a1"):
            client.logout()
            assert login(world.user(username)).post(_url(world)).status_code == 404, username
        # An unknown semester: 404 too.
        client.logout()
        url = f"/archives/rollcalls/schools/{world.units['a1'].pk}/report.pdf?semester=999999"
        assert login(world.user("registrar_a1")).post(url).status_code == 404
    assert AuditEntry.objects.filter(action="lookup.denied", user=world.user("officer_b")).exists()
    assert not DocumentJob.objects.exists() and not PrintedDocument.objects.exists()


def test_an_officer_who_left_the_county_gets_a_failed_job_not_the_report(world, login):
    finished_with_every_outcome(world)
    officer = world.user("officer_a")
    with frozen(AFTER):
        login(officer).post(_url(world))
        Membership.objects.filter(user=officer).delete()
        run_queued()
    job = DocumentJob.objects.get()
    assert job.status == "failed" and "已无权" in job.error and not job.file and job.document is None
    assert not PrintedDocument.objects.exists()
    assert AuditEntry.objects.filter(action="document.job", result="denied", user=officer).exists()
