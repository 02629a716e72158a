"""Drills (``-m drill``): long jobs finish although their worker is killed, and PostgreSQL restarting
under a running web and worker leaves no half-applied import and the next request works.

Real processes: Celery workers started as `make run` starts them (tests/drills.py), killed with
SIGKILL in the middle of a job; the sweeper (the beat task ``xueji.jobs.sweep``) run by the new
worker, which sees heartbeats older than 2 seconds as lost (XUEJI_JOB_HEARTBEAT_TIMEOUT)."""

import http.cookiejar
import time
import urllib.parse
import urllib.request
from datetime import date, timedelta

import psycopg
import pytest
import time_machine

from enrollment.intake import services
from enrollment.intake.models import EnrolmentEntry, EnrolmentImport
from tests.conftest import transactional
from tests.database import database_url
from tests.drills import (
    REPO_DIR,
    broker_forget_everything,
    dedicated_postgres,
    free_port,
    process_env,
    wait_for,
    worker,
)
from tests.enrollment.conftest import COLLECTING, admit, filled_template, new_pupil_row
from tests.factories import PASSWORD, SchoolClassFactory, make_pupil
from tests.pdfs import page_count
from xueji.celery import app
from xueji.documents.jobs import document_job_request
from xueji.documents.models import DocumentJob

pytestmark = [pytest.mark.drill, transactional]

HEARTBEAT_TIMEOUT = "2"  # seconds: the workers of the drills take a silent job for lost this soon
ROWS = 5000


@pytest.fixture
def broker():
    broker_forget_everything()
    yield
    broker_forget_everything()


def big_upload(world):
    """5,000 new pupils in a file, uploaded in the collecting window and queued for a worker."""
    rows = [new_pupil_row(i + 2, birth=date(2019, 9, 1) + timedelta(days=i % 360)) for i in range(ROWS)]
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    with time_machine.travel(COLLECTING):
        return services.import_start(actor=world.user("registrar_a1"), school=world.units["a1"], intake_year=2026,
                                     grade=1, file_name="全年级新生.xlsx", content=filled_template(rows))


def sweep_soon(seconds: float = 2.5) -> None:
    """The beat's sweep, once the killed worker's heartbeat is older than the drills' timeout."""
    time.sleep(seconds)
    app.send_task("xueji.jobs.sweep")


def test_an_import_whose_worker_is_killed_finishes_once_after_a_restart(world, broker, tmp_path, login, client):
    env = process_env(database_url(), XUEJI_JOB_HEARTBEAT_TIMEOUT=HEARTBEAT_TIMEOUT)
    upload = big_upload(world)
    with worker(env, tmp_path / "first.log") as first:
        wait_for(lambda: EnrolmentImport.objects.filter(pk=upload.pk, status="running", progress__gte=20).exists(),
                 timeout=60, message="the import never got under way")
        first.kill()
    upload.refresh_from_db()
    assert (upload.status, upload.restarts) == ("running", 0) and upload.worker
    assert EnrolmentEntry.objects.count() == 0  # nothing of a lost run is written

    # Its page tells the truth meanwhile: being processed, how far.
    login(world.user("registrar_a1"))
    page = client.get(f"/enrolment/imports/{upload.pk}/").content.decode()
    assert f"正在处理 <span class=\"progress-text\">{upload.progress}%</span>" in page

    with worker(env, tmp_path / "second.log"):
        sweep_soon()
        wait_for(lambda: EnrolmentImport.objects.get(pk=upload.pk).status == "done", timeout=60,
                 message="the import was not finished after the restart")
    upload.refresh_from_db()
    assert (upload.created_count, upload.progress, upload.restarts, upload.worker) == (ROWS, 100, 1, "")
    assert EnrolmentEntry.objects.filter(source=upload).count() == ROWS
    assert EnrolmentEntry.objects.values("id_number_index").distinct().count() == ROWS  # 0 duplicates
    # The first delivery, redelivered one day, changes nothing.
    assert services.import_run(upload.pk) is False
    assert EnrolmentEntry.objects.count() == ROWS

    page = client.get(f"/enrolment/imports/{upload.pk}/").content.decode()
    assert f"导入成功：{ROWS} 名新生已登记" in page and "已重新开始" in page


CHINESE_DIGITS = str.maketrans("0123456789", "零一二三四五六七八九")


def test_a_card_job_whose_worker_is_killed_finishes_once_after_a_restart(world, broker, tmp_path):
    # A class's cards (xueji/documents/jobs.py), a full class (45, the cap) laid out ten at a
    # time, so that the kill lands mid-job; read through the job's row and file.
    env = process_env(database_url(), XUEJI_JOB_HEARTBEAT_TIMEOUT=HEARTBEAT_TIMEOUT)
    big_class = SchoolClassFactory(school=world.units["a1"], grade=4, number=9)
    for i in range(45):
        make_pupil(world.units["a1"], big_class, name="学生" + f"{i:03d}".translate(CHINESE_DIGITS))
    headmaster = world.user("headmaster_a1")
    job, new = document_job_request(user=headmaster, kind="class_cards", params={"class": big_class.pk})
    assert new
    with worker(env, tmp_path / "first.log") as first:
        wait_for(lambda: DocumentJob.objects.filter(pk=job.pk, status="running", progress__gte=6).exists(),
                 timeout=60, message="the card job never got under way", every=0.05)
        first.kill()
    job.refresh_from_db()
    assert job.status == "running" and not job.file and job.document is None and job.progress >= 6

    with worker(env, tmp_path / "second.log"):
        sweep_soon()
        wait_for(lambda: DocumentJob.objects.get(pk=job.pk).status == "done", timeout=60,
                 message="the card job was not finished after the restart")
    job.refresh_from_db()
    assert (job.progress, job.restarts, job.worker, job.pupil_count) == (100, 1, "", 45)
    assert job.file and job.file.storage.exists(job.file.name)
    assert DocumentJob.objects.count() == 1
    with job.file.open("rb") as handle:
        assert page_count(handle.read()) == 45  # printed once, whole: a page a pupil


def web_command(port: int) -> list[str]:
    import sys

    sys.path.insert(0, str(REPO_DIR / "scripts"))
    from run import web_command as make_run_web_command

    return make_run_web_command(port)


# One gunicorn worker with one thread: its kept connection is the one that goes stale.
ONE_WEB_THREAD = {"XUEJI_WEB_WORKERS": "1", "XUEJI_WEB_THREADS": "1"}


class Browser:
    """A user's browser against the running web: cookies, the CSRF token of the form."""

    def __init__(self, port: int):
        self.base = f"http://127.0.0.1:{port}"
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))

    def wrong_password(self) -> tuple[int, str]:
        """The login form with a wrong password: reads the user from the database, answers 200."""
        self.opener.open(self.base + "/login/", timeout=20).read()
        token = next(c.value for c in self.cookies if c.name == "csrftoken")
        body = urllib.parse.urlencode({"username": "registrar_a1", "password": PASSWORD + "x",
                                       "csrfmiddlewaretoken": token}).encode()
        request = urllib.request.Request(self.base + "/login/", data=body, headers={"Referer": self.base + "/login/"})
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def test_postgres_restarting_under_a_web_and_a_worker_leaves_no_half_import_and_the_next_request_works(
    world, broker, tmp_path
):
    upload = big_upload(world)  # queued; its task is dropped below and sent to the drill's worker
    broker_forget_everything()
    with dedicated_postgres() as postgres:
        env = process_env(postgres.url, XUEJI_JOB_HEARTBEAT_TIMEOUT=HEARTBEAT_TIMEOUT)
        port = free_port()
        import subprocess

        with (tmp_path / "web.log").open("wb") as out:
            web = subprocess.Popen(web_command(port), env={**env, **ONE_WEB_THREAD}, cwd=REPO_DIR, stdout=out,
                                   stderr=subprocess.STDOUT,
                                   start_new_session=True)
        try:
            browser = Browser(port)

            def answers():
                try:
                    return browser.wrong_password()[0] == 200
                except OSError:
                    return False

            wait_for(answers, timeout=40, message="the web did not start", every=0.3)

            def state() -> tuple[str, int, int]:
                with psycopg.connect(postgres.url.replace("postgres://", "postgresql://")) as db:
                    status, progress = db.execute("SELECT status, progress FROM enrollment_enrolmentimport WHERE id = %s",
                                                  [upload.pk]).fetchone()
                    entries = db.execute("SELECT count(*) FROM enrollment_enrolmententry").fetchone()[0]
                return status, progress, entries

            with worker(env, tmp_path / "worker.log"):
                app.send_task("enrollment.tasks.run_import", args=[upload.pk])
                wait_for(lambda: state()[0] == "running" and state()[1] >= 20, timeout=60,
                         message="the import never got under way")
                postgres.restart()
                # All or nothing: the import's rows were not written, it waits for its takeover.
                status, _progress, entries = state()
                assert (status, entries) in (("running", 0), ("done", ROWS))

                # The next request works: the web's kept connection is found dead and replaced.
                code, page = browser.wrong_password()
                assert code == 200 and "密码" in page

                sweep_soon()
                wait_for(lambda: state()[0] == "done", timeout=60, message="the import did not finish after the restart")
                assert state() == ("done", 100, ROWS)
        finally:
            web.terminate()
            web.wait(20)
