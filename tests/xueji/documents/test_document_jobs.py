"""Heavy documents printed by a worker (xueji/documents/jobs.py): a real Celery worker prints a
class's cards, the file kept while nothing changed and printed again when something did; the job
and its file are its requester's only; a user who lost the right gets a failed job; the job's
page refreshes itself without scripts; the API answers 202 and then the file."""


import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from tests.conftest import transactional
from tests.document_jobs import run_queued, wait_for_job
from tests.factories import make_pupil
from tests.pdfs import page_count, pdf_words
from xueji.accounts.models import AuditEntry, Membership
from xueji.celery import app
from xueji.documents.jobs import document_job_request, document_job_run
from xueji.documents.models import DocumentJob, PrintedDocument
from xueji.pupils.models import Guardian



@transactional
def test_a_worker_prints_a_class_keeps_it_and_prints_it_again_after_a_change(world, settings, tmp_path, client):
    from tests.conftest import login_with_code

    settings.MEDIA_ROOT = tmp_path
    school_class = world.classes["a1_3_2"]
    for number in range(12):
        make_pupil(world.units["a1"], school_class, name=f"李同学{'甲乙丙丁戊己庚辛壬癸子丑'[number]}")
    registrar = world.user("registrar_a1")
    expected = 13  # a1_other and twelve more
    login_with_code(client, registrar)
    url = f"/classes/{school_class.pk}/cards.pdf"
    seen: set = set()

    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        response = client.post(url)  # the request commits: the task is sent to the worker
        assert response.status_code == 302
        job = DocumentJob.objects.get()
        assert response["Location"] == f"/documents/jobs/{job.pk}/"
        job = wait_for_job(job.pk, progress_seen=seen)
        assert (job.status, job.progress, job.pupil_count) == ("done", 100, expected)
        page = client.get(f"/documents/jobs/{job.pk}/").content.decode()
        assert "下载" in page and job.document.display_code in page and 'http-equiv="refresh"' not in page
        pdf = client.get(f"/documents/jobs/{job.pk}/file")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert page_count(pdf.content) == expected and pdf["X-Document-Code"] in pdf_words(pdf.content)
        # Kept in private storage as ciphertext, like every private file.
        assert b"%PDF" not in (tmp_path / job.file.name).read_bytes()[:64]

        # Asked again with nothing changed: the same job, its file at once (nothing printed again).
        assert client.post(url)["Location"] == f"/documents/jobs/{job.pk}/"
        assert DocumentJob.objects.count() == 1 and PrintedDocument.objects.count() == 1

        # A guardian's phone changes (a bulk update, which no save() sees): printed again.
        Guardian.objects.filter(pupil=world.pupils["a1_other"]).update(phone="13700000000")
        response = client.post(url)
        again = DocumentJob.objects.exclude(pk=job.pk).get()
        assert response["Location"] == f"/documents/jobs/{again.pk}/"
        again = wait_for_job(again.pk, progress_seen=seen)
        assert again.status == "done" and again.fingerprint != job.fingerprint
        assert again.document.code != job.document.code
        # The out-of-date file is dropped (its record stays); its page says so.
        job.refresh_from_db()
        assert not job.file and PrintedDocument.objects.filter(pk=job.document_id).exists()
        assert "已被更新的版本替代" in client.get(f"/documents/jobs/{job.pk}/").content.decode()

    assert seen - {0, 1, 3, 100}  # it moved through the chunks
    jobs = AuditEntry.objects.filter(action="document.job").order_by("id")
    assert [("沿用" in e.detail) for e in jobs] == [False, True, False]
    assert AuditEntry.objects.filter(action="document.print", detail__contains="学籍卡").count() == 2
    assert AuditEntry.objects.filter(action="document.download", user=registrar).count() == 1
    # A job delivered twice (acks_late after a lost worker) is printed once.
    assert document_job_run(job.pk) is False


def test_a_plain_link_shows_the_button_and_prints_nothing(world, login):
    client = login(world.user("registrar_a1"))
    school_class = world.classes["a1_3_1"]
    page = client.get(f"/classes/{school_class.pk}/cards.pdf")
    body = page.content.decode()
    assert page.status_code == 200 and 'method="post"' in body and "生成班级学籍卡" in body
    assert "csrfmiddlewaretoken" in body
    roster = client.get(f"/classes/{school_class.pk}/roster.pdf").content.decode()
    assert "生成花名册" in roster
    assert not DocumentJob.objects.exists() and not PrintedDocument.objects.exists()


def test_the_job_page_refreshes_itself_without_scripts_and_polls_with_htmx(world, login):
    client = login(world.user("registrar_a1"))
    response = client.post(f"/classes/{world.classes['a1_3_1'].pk}/cards.pdf")
    job_page = response["Location"]
    page = client.get(job_page).content.decode()
    assert '<noscript><meta http-equiv="refresh" content="3"></noscript>' in page
    assert "排队中" in page and f'hx-get="{job_page}"' in page and 'hx-trigger="every 1s"' in page
    state = client.get(job_page, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in state and 'id="job-state"' in state and "排队中" in state
    run_queued()
    done = client.get(job_page, HTTP_HX_REQUEST="true").content.decode()
    assert "下载" in done and "hx-trigger" not in done  # finished: the polling stops
    assert "http-equiv" not in client.get(job_page).content.decode()


@pytest.mark.parametrize("username", ["registrar_b1", "officer_b", "headmaster_a1", "teacher_a1", "city_officer"])
def test_a_job_and_its_file_are_the_requesters_only(world, login, api_as, username):
    requester = login(world.user("registrar_a1"))
    job_page = requester.post(f"/classes/{world.classes['a1_3_1'].pk}/cards.pdf")["Location"]
    run_queued()
    job = DocumentJob.objects.get()
    assert requester.get(job_page + "file").status_code == 200

    other = login(world.user(username))
    assert other.get(job_page).status_code == 404 and other.get(job_page + "file").status_code == 404
    assert job.title not in other.get("/documents/jobs/").content.decode()
    api = api_as(username)
    assert api.get(f"/api/v1/documents/jobs/{job.pk}/").status_code == 404
    assert api.get(f"/api/v1/documents/jobs/{job.pk}/file/").status_code == 404
    assert AuditEntry.objects.filter(action="document.download").count() == 1  # the requester's only
    assert AuditEntry.objects.filter(action="lookup.denied", object_type="documentjob").exists()


def test_a_user_who_lost_the_right_gets_a_failed_job_not_the_file(world, login):
    teacher = world.user("teacher_a1")
    client = login(teacher)
    job_page = client.post(f"/classes/{world.classes['a1_3_1'].pk}/cards.pdf")["Location"]
    # Before the worker comes to it, the teacher is no longer the class's head teacher.
    Membership.objects.filter(user=teacher).delete()
    world.classes["a1_3_1"].__class__.objects.filter(head_teacher=teacher).update(head_teacher=None)
    run_queued()
    job = DocumentJob.objects.get()
    assert job.status == "failed" and "已无权" in job.error and not job.file and job.document is None
    assert not PrintedDocument.objects.exists()
    assert AuditEntry.objects.filter(action="document.job", result="denied").exists()


def test_someone_outside_the_class_starts_nothing(world, login, api_as):
    school_class = world.classes["a1_3_1"]
    assert login(world.user("registrar_b1")).post(f"/classes/{school_class.pk}/cards.pdf").status_code == 404
    assert login(world.user("teacher_a1")).post(f"/classes/{world.classes['a1_3_2'].pk}/roster.pdf").status_code == 404
    assert api_as("officer_b").get(f"/api/v1/classes/{school_class.pk}/cards.pdf").status_code == 404
    assert not DocumentJob.objects.exists()


def test_the_api_answers_202_then_the_file_and_the_kept_file_at_once(world, api_as):
    api = api_as("registrar_a1")
    url = f"/api/v1/classes/{world.classes['a1_3_1'].pk}/cards.pdf"
    response = api.get(url)
    assert response.status_code == 202
    job = response.json()
    assert job["status"] == "queued" and job["file_url"] is None and response["Location"] == job["url"]
    assert job["url"] == f"/api/v1/documents/jobs/{job['id']}/"
    early = api.get(f"/api/v1/documents/jobs/{job['id']}/file/")
    assert early.status_code == 409 and "尚未生成" in early.json()["detail"]

    run_queued()
    state = api.get(job["url"]).json()
    assert state["status"] == "done" and state["progress"] == 100 and state["code"]
    assert state["file_url"] == f"/api/v1/documents/jobs/{job['id']}/file/"
    pdf = api.get(state["file_url"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and page_count(pdf.content) == 1

    # Nothing changed: the kept file at once, no new job, nothing printed again.
    again = api.get(url)
    assert again.status_code == 200 and again["X-Document-Code"] == state["code"]
    assert DocumentJob.objects.count() == 1 and PrintedDocument.objects.count() == 1


def test_a_failed_job_says_so_and_a_new_request_starts_again(world, monkeypatch):
    from xueji.documents import cards

    params = {"class": world.classes["a1_3_1"].pk}
    with transaction.atomic():
        job, new = document_job_request(user=world.user("registrar_a1"), kind="class_cards", params=params)
    assert new and job.status == "queued"
    monkeypatch.setattr(cards, "cards_pdf", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("boom")))
    assert document_job_run(job.pk) is True
    job.refresh_from_db()
    assert job.status == "failed" and job.progress == 100 and "系统错误" in job.error
    again, new = document_job_request(user=world.user("registrar_a1"), kind="class_cards", params=params)
    assert new and again.pk != job.pk


def test_the_schema_documents_the_202_and_the_jobs():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    cards = schema["paths"]["/api/v1/classes/{id}/cards.pdf"]["get"]["responses"]
    assert "202" in cards and "application/pdf" in cards["200"]["content"]
    assert "/api/v1/documents/jobs/{id}/" in schema["paths"]
    assert "409" in schema["paths"]["/api/v1/documents/jobs/{id}/file/"]["get"]["responses"]


def test_a_waiting_job_page_asks_less_often_as_it_waits(world, login):
    # A hundred pages asking every second while the worker is behind were most of the web's
    # requests at peak: the state asks again after 1 s at first, then 3 s, then 5 s.
    from datetime import timedelta

    from django.utils import timezone

    from xueji.documents.models import DocumentJob
    from xueji.jobs import poll_seconds

    client = login(world.user("registrar_a1"))
    job_page = client.post(f"/classes/{world.classes['a1_3_1'].pk}/cards.pdf")["Location"]
    job = DocumentJob.objects.get()
    for waited, seconds in [(timedelta(seconds=2), 1), (timedelta(seconds=30), 3), (timedelta(minutes=5), 5)]:
        DocumentJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - waited)
        state = client.get(job_page, HTTP_HX_REQUEST="true").content.decode()
        assert f'hx-trigger="every {seconds}s"' in state
        assert f'content="{seconds + 2}"' in client.get(job_page).content.decode()  # without scripts
    now = timezone.now()
    assert [poll_seconds(now - timedelta(seconds=s), now) for s in (0, 9, 10, 59, 60, 3600)] == [1, 1, 3, 3, 5, 5]
