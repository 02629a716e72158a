"""The 毕业生名册 is printed by a worker (schoolyear/jobs.py, GraduateListJob): a real Celery worker
prints it from the page's button, the file is kept while nothing it lists changed and printed again
after the graduation; the old address shows the button and prints nothing; another school's people
start nothing (404, audited) and a head teacher is refused; a registrar who lost the school before
the worker came to the job gets a failed job, not the file."""

from datetime import datetime

import time_machine
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from schoolyear import services
from tests.conftest import login_with_code, transactional
from tests.document_jobs import run_queued, wait_for_job
from tests.pdfs import pdf_words
from tests.schoolyear.conftest import SHANGHAI
from xueji.accounts.models import AuditEntry, Membership, User
from xueji.celery import app
from xueji.documents.models import DocumentJob, PrintedDocument

IN_JULY = datetime(2027, 7, 20, 10, tzinfo=SHANGHAI)


def _url(world, school="a1") -> str:
    return f"/schoolyear/graduation/{world.units[school].pk}/graduates.pdf"



@transactional
def test_a_worker_prints_the_list_keeps_it_and_prints_the_graduates_after_the_graduation(sixth_grade, client):
    world = sixth_grade
    registrar = world.user("registrar_a1")
    # The clock moves (the worker's timers need it to), from a July morning of the graduating year.
    with time_machine.travel(IN_JULY, tick=True), start_worker(app, pool="solo", perform_ping_check=False,
                                                               shutdown_timeout=20):
        # The accounts are made today: in July their passwords would be past the bureau's 90 days.
        User.objects.filter(pk=registrar.pk).update(password_changed_at=timezone.now())
        login_with_code(client, registrar)
        page = client.get(f"/schoolyear/graduation/{world.units['a1'].pk}/").content.decode()
        assert f'<form method="post" action="{_url(world)}">' in page and "打印毕业生名册（核对稿，供校长签字）" in page
        response = client.post(_url(world))  # the request commits: the task is sent to the worker
        job = DocumentJob.objects.get()
        assert response.status_code == 302 and response["Location"] == f"/documents/jobs/{job.pk}/"
        job = wait_for_job(job.pk)
        assert (job.kind, job.status, job.pupil_count, job.unit) == ("graduate_list", "done", 3, world.units["a1"])
        pdf = client.get(f"/documents/jobs/{job.pk}/file")
        assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
        assert "2026%E2%80%942027" in pdf["Content-Disposition"]  # 毕业生名册-<school>2026—2027学年.pdf
        text = pdf_words(pdf.content)
        assert "毕业生名册（核对稿）" in text and "请校长核对名单并签字" in text
        for name in ("毕业甲", "毕业乙", "毕业丙", "休学丁", "辍学戊", "出国己"):
            assert name in text, name
        assert job.document.display_code in text and job.document.kind == "graduate_list"

        # Asked again with nothing changed: the same job, nothing printed again.
        assert client.post(_url(world))["Location"] == f"/documents/jobs/{job.pk}/"
        assert DocumentJob.objects.count() == 1 and PrintedDocument.objects.count() == 1

        # The grade graduates: the list is printed again, now of the graduates.
        services.graduation_perform(actor=registrar, school=world.units["a1"])
        response = client.post(_url(world))
        again = DocumentJob.objects.exclude(pk=job.pk).get()
        assert response["Location"] == f"/documents/jobs/{again.pk}/"
        again = wait_for_job(again.pk)
        assert again.status == "done" and again.fingerprint != job.fingerprint
        after = pdf_words(client.get(f"/documents/jobs/{again.pk}/file").content)
        assert "核对稿" not in after and "毕业人数：3" in after

    assert AuditEntry.objects.filter(action="document.print", detail__contains="毕业生名册").count() == 2
    assert [("沿用" in e.detail) for e in AuditEntry.objects.filter(action="document.job").order_by("id")] == [
        False, True, False]


def test_the_old_address_shows_the_button_and_prints_nothing(sixth_grade, login):
    world = sixth_grade
    with time_machine.travel(IN_JULY, tick=False):
        page = login(world.user("registrar_a1")).get(_url(world))
    body = page.content.decode()
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert 'method="post"' in body and "生成毕业生名册" in body and "共 3 名学生" in body
    assert not DocumentJob.objects.exists() and not PrintedDocument.objects.exists()
    assert not AuditEntry.objects.filter(action="document.print").exists()


def test_another_schools_people_start_nothing_and_a_head_teacher_is_refused(sixth_grade, login, client):
    world = sixth_grade
    with time_machine.travel(IN_JULY, tick=False):
        for username in ("registrar_b1", "officer_b"):
            client.logout()
            other = login(world.user(username))
            assert other.post(_url(world)).status_code == 404, username
            assert other.get(_url(world)).status_code == 404, username
        assert AuditEntry.objects.filter(action="lookup.denied", user=world.user("registrar_b1")).exists()
        client.logout()
        teacher = login(world.user("teacher_a1"))
        assert teacher.post(_url(world)).status_code == 403
        assert AuditEntry.objects.filter(action="permission.denied", user=world.user("teacher_a1")).exists()
    assert not DocumentJob.objects.exists() and not PrintedDocument.objects.exists()


def test_a_registrar_who_left_the_school_gets_a_failed_job_not_the_list(sixth_grade, login):
    world = sixth_grade
    registrar = world.user("registrar_a1")
    with time_machine.travel(IN_JULY, tick=False):
        job_page = login(registrar).post(_url(world))["Location"]
        # Before the worker comes to it, the registrar is no longer at the school.
        Membership.objects.filter(user=registrar).delete()
        run_queued()
    job = DocumentJob.objects.get()
    assert job_page == f"/documents/jobs/{job.pk}/"
    assert job.status == "failed" and "已无权" in job.error and not job.file and job.document is None
    assert not PrintedDocument.objects.exists()
    assert AuditEntry.objects.filter(action="document.job", result="denied", user=registrar).exists()


def test_the_city_gets_its_own_masked_list_not_the_schools(sixth_grade, login, client):
    """Kept per user and view: the school's full list is never handed to the city."""
    from tests.document_jobs import print_through_job

    world = sixth_grade
    number = world.grade6["毕业甲"].student_number
    with time_machine.travel(IN_JULY, tick=False):
        full = pdf_words(print_through_job(login(world.user("registrar_a1")), _url(world)).content)
        client.logout()
        masked = pdf_words(print_through_job(login(world.user("city_officer")), _url(world)).content)
    assert number in full and number not in masked and "毕业甲" in masked
    assert DocumentJob.objects.count() == 2


def test_the_kept_list_is_printed_again_once_a_number_or_a_name_changes(sixth_grade, login):
    """What the graduates' list prints after the graduation: the certificate numbers given since,
    and a graduate's corrected name, each make the next request print it again."""
    from tests.document_jobs import print_through_job
    from xueji.pupils.models import Pupil

    world = sixth_grade
    with time_machine.travel(IN_JULY, tick=False):
        services.graduation_perform(actor=world.user("registrar_a1"), school=world.units["a1"])
        client = login(world.user("registrar_a1"))
        first = pdf_words(print_through_job(client, _url(world)).content)
        assert "M00001" not in first
        kept = client.post(_url(world))["Location"]
        assert DocumentJob.objects.count() == 1 and kept == f"/documents/jobs/{DocumentJob.objects.get().pk}/"

        services.certificates_assign(actor=world.user("officer_a"), school=world.units["a1"], start_year=2026,
                                     plan=services.NumberPlan("M", 1, 5))
        numbered = pdf_words(print_through_job(client, _url(world)).content)
        assert "M00001" in numbered and "M00003" in numbered and DocumentJob.objects.count() == 2

        # A bulk correction no save() sees: the history trigger still tells.
        Pupil.objects.filter(pk=world.grade6["毕业甲"].pk).update(name="毕业庚")
        renamed = pdf_words(print_through_job(client, _url(world)).content)
        assert "毕业庚" in renamed and "毕业甲" not in renamed and DocumentJob.objects.count() == 3
