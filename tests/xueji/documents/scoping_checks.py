"""The 学籍卡 and the verification of printed documents in the scoping matrix
(tests/test_scoping_matrix.py): xueji/documents/views.py and xueji/documents/api.py.

- A pupil's card: whoever sees the pupil (404 elsewhere), numbers in full only for those who
  see the record in full.
- A class's cards (A1-3(1), teacher_a1's class): whoever sees the class.
- A school's page (A1): those who print for the whole school (its registrar and headmaster, the
  bureaus above) and teacher_a1 (the own class only); 404 elsewhere. The former button starting
  a grade's or the school's job leads the whole-school printers to the export request's form
  (404 elsewhere); the API's former job start answers them 403 export_request_required. The
  former job pages are gone (a school's cards leave through an export request).
- The verification page: every signed-in user; the pupils' names only to those who see them.
- A class's cards and roster PDF are jobs (xueji/documents/jobs.py): their button's page
  (GET) to whoever sees the class, the API's 202 likewise; a job's page and file (registrar_a1's
  job of A1-3(1)'s cards) to its requester only, 404 to everyone else, the API's likewise;
  我的打印任务 to every signed-in user, with their own jobs only.
"""

from tests.pdfs import pdf_stream_words, pdf_words
from tests.scoping import api_client as _api
from tests.scoping import check_field_states, text_field_states
from tests.scoping import page_status as _status
from xueji.documents.models import PrintedDocument

SEES_CLASS_A1_3_1 = {"registrar_a1", "headmaster_a1", "teacher_a1", "officer_a", "city_officer"}
PRINTS_SCHOOL_A1 = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
# Users with one school in their scope go straight to its page.
ONE_SCHOOL = {"registrar_a1", "headmaster_a1", "teacher_a1", "registrar_a2", "headmaster_a2", "central_a3",
              "registrar_b1", "headmaster_b1"}


def _matrix():
    from tests import test_scoping_matrix as matrix

    return matrix


def add_documents(world):
    """A printed card of a1 (its record, under a known code), and registrar_a1's job of A1-3(1)'s
    cards done with its file, made once per world."""
    if getattr(world, "printed_card", None) is not None:
        return
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from xueji.documents.models import DocumentJob

    pupil = world.pupils["a1"]
    world.printed_card = PrintedDocument.objects.create(
        code="7KQ4M2XD", kind="registration_card", title="学籍卡", printed_by=world.user("registrar_a1"),
        printed_by_name="registrar_a1", printed_at=timezone.now(), unit=world.units["a1"], unit_name="农安县实验小学",
        unit_path=world.units["a1"].path, pupil_ids=[pupil.pk],
        pupils=[{"id": pupil.pk, "name": pupil.name, "number": pupil.student_number}], pupil_count=1,
        page_count=1, sha256="0" * 64,
    )
    world.document_job = DocumentJob(
        kind="class_cards", params={"class": world.classes["a1_3_1"].pk}, title="农安县实验小学三年级（1）班学籍卡",
        requested_by=world.user("registrar_a1"), unit=world.units["a1"], status="done", progress=100,
        document=world.printed_card, filename="学籍卡.pdf",
    )
    from weasyprint import HTML

    world.document_job.file.save("cards.pdf", ContentFile(HTML(string="<p>学籍卡</p>").write_pdf()), save=True)


def _expect(m, allowed, ok=200):
    return "login" if m.user is None else (ok if m.user in allowed else 404)


def _api_expect(m, allowed, ok=200):
    return 401 if m.user is None else (ok if m.user in allowed else 404)


def check_pupil_card(m):
    visible = _matrix().VISIBLE[m.user]
    for key in _matrix().PUPILS:
        pupil = m.pupil(key)
        response = m.client.get(f"/pupils/{pupil.pk}/card.pdf")
        actual = "login" if response.status_code == 302 else response.status_code
        m.check("pupil_card", key, "login" if m.user is None else (200 if key in visible else 404), actual)
        if actual == 200 and key == "a1":
            words = pdf_words(response.content)
            m.check("pupil_card", "a1 ID number in full", m.user in _matrix().FULL_RECORD, pupil.id_number in words)
            # The card prints every group: as the user sees it, "***" where the user may not.
            check_field_states(m, "pupil_card", "a1", text_field_states(words, pupil))


def check_pupil_info_sheet(m):
    """A pupil's 学生基本信息表 from the pupil's page: scoped and masked like the card."""
    visible = _matrix().VISIBLE[m.user]
    for key in _matrix().PUPILS:
        pupil = m.pupil(key)
        response = m.client.get(f"/pupils/{pupil.pk}/info-sheet.pdf")
        actual = "login" if response.status_code == 302 else response.status_code
        m.check("pupil_info_sheet", key, "login" if m.user is None else (200 if key in visible else 404), actual)
        if actual == 200 and key == "a1":
            words = pdf_stream_words(response.content)  # a wrapped label reads as one
            m.check("pupil_info_sheet", "a1 ID number in full", m.user in _matrix().FULL_RECORD, pupil.id_number in words)
            check_field_states(m, "pupil_info_sheet", "a1", text_field_states(words, pupil))


def check_api_pupil_card(m):
    client = _api(m)
    visible = _matrix().VISIBLE[m.user]
    for key in ("a1", "b1"):
        response = client.get(f"/api/v1/pupils/{m.pupil(key).pk}/card.pdf")
        m.check("api-pupil-card", key, 401 if m.user is None else (200 if key in visible else 404), response.status_code)


def check_class_cards(m):
    school_class = m.world.classes["a1_3_1"]
    m.check("class_cards", "A1-3(1)", _expect(m, SEES_CLASS_A1_3_1), _status(m, f"/classes/{school_class.pk}/cards.pdf"))


def check_api_class_cards(m):
    school_class = m.world.classes["a1_3_1"]
    response = _api(m).get(f"/api/v1/classes/{school_class.pk}/cards.pdf")
    m.check("api-class-cards", "A1-3(1)", _api_expect(m, SEES_CLASS_A1_3_1, ok=202), response.status_code)


JOB_OWNER = {"registrar_a1"}


def check_document_job(m):
    add_documents(m.world)
    job = m.world.document_job
    m.check("document_job", "registrar_a1's job", _expect(m, JOB_OWNER), _status(m, f"/documents/jobs/{job.pk}/"))


def check_document_job_file(m):
    add_documents(m.world)
    job = m.world.document_job
    m.check("document_job_file", "registrar_a1's job", _expect(m, JOB_OWNER),
            _status(m, f"/documents/jobs/{job.pk}/file"))


def check_document_job_list(m):
    add_documents(m.world)
    m.check("document_job_list", "page", _expect(m, set(_matrix().USERS) - {None}), _status(m, "/documents/jobs/"))
    if m.user is not None:
        body = m.client.get("/documents/jobs/").content.decode()
        m.check("document_job_list", "own jobs only", m.user in JOB_OWNER,
                f"/documents/jobs/{m.world.document_job.pk}/" in body)


def check_api_document_job(m):
    add_documents(m.world)
    job = m.world.document_job
    response = _api(m).get(f"/api/v1/documents/jobs/{job.pk}/")
    m.check("api-document-job", "registrar_a1's job", _api_expect(m, JOB_OWNER), response.status_code)


def check_api_document_job_file(m):
    add_documents(m.world)
    job = m.world.document_job
    response = _api(m).get(f"/api/v1/documents/jobs/{job.pk}/file/")
    m.check("api-document-job-file", "registrar_a1's job", _api_expect(m, JOB_OWNER), response.status_code)


def check_cards_home(m):
    expected = "login" if m.user is None else (302 if m.user in ONE_SCHOOL else 200)
    m.check("cards_home", "page", expected, _status(m, "/cards/"))


def check_school_cards(m):
    school = m.world.units["a1"]
    m.check("school_cards", "A1", _expect(m, PRINTS_SCHOOL_A1 | {"teacher_a1"}), _status(m, f"/schools/{school.pk}/cards/"))
    if m.user == "teacher_a1":
        body = m.client.get(f"/schools/{school.pk}/cards/").content.decode()
        m.check("school_cards", "teacher: own class, no school job", (True, False),
                ("三年级（1）班" in body and "三年级（2）班" not in body, "生成学籍卡" in body))


def check_card_job_start(m):
    school = m.world.units["a1"]
    response = m.client.post(f"/schools/{school.pk}/cards/jobs/", {"grade": "3"}) if m.user else None
    m.check("card_job_start", "A1 grade 3", _expect(m, PRINTS_SCHOOL_A1, ok=302),
            _status(m, f"/schools/{school.pk}/cards/jobs/", "post", {"grade": "3"}))
    if m.user in PRINTS_SCHOOL_A1:
        m.check("card_job_start", "to the export request's form", f"/exports/new/?kind=school_cards&scope={school.pk}-3",
                response["Location"])


def check_api_card_job_start(m):
    school = m.world.units["a1"]
    response = _api(m).post(f"/api/v1/schools/{school.pk}/card-jobs/", {"grade": 4})
    m.check("api-card-job-start", "A1 grade 4", _api_expect(m, PRINTS_SCHOOL_A1, ok=403), response.status_code)


def check_document_verify(m):
    add_documents(m.world)
    response = m.client.get("/documents/verify/?code=7KQ4-M2XD")
    if m.user is None:
        m.check("document_verify", "anonymous", "login", _status(m, "/documents/verify/?code=7KQ4-M2XD"))
        return
    body = response.content.decode()
    m.check("document_verify", "known code", (200, True), (response.status_code, "7KQ4-M2XD" in body and "学籍卡" in body))
    sees = "a1" in _matrix().VISIBLE[m.user]
    m.check("document_verify", "pupil's name only in scope", sees, m.pupil("a1").name in body)


DOCUMENT_ENDPOINTS = {
    "documents:pupil_card": check_pupil_card,
    "documents:pupil_info_sheet": check_pupil_info_sheet,
    "documents_api:api-pupil-card": check_api_pupil_card,
    "documents:class_cards": check_class_cards,
    "documents_api:api-class-cards": check_api_class_cards,
    "documents:cards_home": check_cards_home,
    "documents:school_cards": check_school_cards,
    "documents:document_verify": check_document_verify,
    "documents:document_job": check_document_job,
    "documents:document_job_file": check_document_job_file,
    "documents:document_job_list": check_document_job_list,
    "documents_api:api-document-job": check_api_document_job,
    "documents_api:api-document-job-file": check_api_document_job_file,
}
# Formerly they started jobs; they now lead to the export request (nothing made).
DOCUMENT_LAST = {
    "documents:card_job_start": check_card_job_start,
    "documents_api:api-card-job-start": check_api_card_job_start,
}
