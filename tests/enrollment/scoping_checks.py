"""The enrolment pages and endpoints in the scoping matrix (tests/test_scoping_matrix.py).

The fixture (add_enrolment): at school A1 one new pupil (draft), one failed upload with an
error, and one submitted batch waiting for headmaster_a1. School people reach only their own
school's; bureau people have the bureau page and the batches of their area; everyone else is
refused."""

from datetime import date

from enrollment.admission.models import AdmissionEntry
from enrollment.intake.models import EnrolmentEntry, EnrolmentImport
from tests.scoping import api_client as _api
from tests.scoping import check_field_states, text_field_states, text_of
from tests.scoping import expected as _expect
from tests.scoping import page_status as _status
from tests.scoping import post_json as _post_json
from xueji.approvals.services import request_start

SCHOOL_PEOPLE = {"registrar_a1", "headmaster_a1", "registrar_a2", "headmaster_a2", "registrar_b1", "headmaster_b1"}
REGISTRARS = {"registrar_a1", "registrar_a2", "registrar_b1"}
A1_PEOPLE = {"registrar_a1", "headmaster_a1"}
BUREAU_PEOPLE = {"officer_a", "officer_b", "city_officer"}
SEES_BATCH = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}


def add_enrolment(world) -> None:
    school, registrar = world.units["a1"], world.user("registrar_a1")
    world.admission = AdmissionEntry.objects.create(
        school=school, intake_year=2026, name="录取甲", gender="1", birth_date=date(2020, 2, 2), id_type="1",
        id_number="", imported_by=world.user("officer_a"),
    )
    world.entry = EnrolmentEntry.objects.create(
        school=school, intake_year=2026, grade=1, data={"name": "新生甲"}, guardians=[], name="新生甲", gender="1",
        birth_date=date(2020, 3, 1), id_type="1", id_number="", created_by=registrar,
    )
    world.upload = EnrolmentImport.objects.create(
        school=school, intake_year=2026, file_name="a.xlsx", file_sha256="0" * 64, content=b"", status="failed",
        errors=[{"row": 0, "key": "__all__", "column": "", "value": "", "message": "有错误", "other_school": ""}],
        uploaded_by=registrar,
    )
    batch_entry = EnrolmentEntry.objects.create(
        school=school, intake_year=2026, grade=1, data={"name": "新生乙"}, guardians=[], name="新生乙", gender="2",
        birth_date=date(2020, 4, 1), id_type="1", id_number="", created_by=registrar, status="submitted",
    )
    from enrollment.intake.models import VisitingPupil

    world.visit = VisitingPupil.objects.create(
        home_pupil=world.pupils["b1"], host_school=school, school_class=world.classes["a1_3_1"],
        start_date=date(2026, 9, 1), planned_end=date(2027, 1, 20), reason="务工", created_by=registrar,
    )
    world.batch = request_start(kind="enrolment", actor=registrar, unit=school, pupil=None,
                                payload={"school": school.pk, "intake_year": 2026, "grade": 1,
                                         "entries": [batch_entry.pk], "subject": "2026年一年级新生 1 人"})


def check_enrolment_home(m):
    m.check("enrolment_home", "page", _expect(m, SCHOOL_PEOPLE), _status(m, "/enrolment/"))
    if m.user in SCHOOL_PEOPLE:
        text = m.client.get("/enrolment/").content.decode()
        m.check("enrolment_home", "lists A1's new pupil", m.user in A1_PEOPLE, "新生甲" in text)


def check_enrolment_template(m):
    m.check("enrolment_template", "download", _expect(m, SCHOOL_PEOPLE), _status(m, "/enrolment/template/"))


def check_enrolment_upload(m):
    m.check("enrolment_upload", "post without file", _expect(m, REGISTRARS, ok=302), _status(m, "/enrolment/upload/", "post"))


def _import_expect(m):
    # A1's people, and the bureaus above A1 (they read a school's upload errors).
    seers = A1_PEOPLE | {"officer_a", "city_officer"}
    return _expect(m, seers, elsewhere=404 if m.user in SCHOOL_PEOPLE | BUREAU_PEOPLE else 403)


def check_enrolment_import(m):
    m.check("enrolment_import", "A1's upload", _import_expect(m), _status(m, f"/enrolment/imports/{m.world.upload.pk}/"))


def check_enrolment_import_status(m):
    m.check("enrolment_import_status", "A1's upload", _import_expect(m), _status(m, f"/enrolment/imports/{m.world.upload.pk}/status/"))


def check_enrolment_import_annotated(m):
    # The fixture's upload has no row errors to mark: A1's people get 404 too; others never more.
    expected = "login" if m.user is None else (404 if m.user in SCHOOL_PEOPLE | BUREAU_PEOPLE else 403)
    m.check("enrolment_import_annotated", "A1's upload", expected, _status(m, f"/enrolment/imports/{m.world.upload.pk}/errors.xlsx"))


def check_enrolment_entry_new(m):
    m.check("enrolment_entry_new", "form", _expect(m, REGISTRARS), _status(m, "/enrolment/entries/new/"))


def _entry_expect(m, ok=200):
    return _expect(m, {"registrar_a1"}, ok=ok, elsewhere=404 if m.user in REGISTRARS else 403)


def check_enrolment_entry_edit(m):
    m.check("enrolment_entry_edit", "A1's entry", _entry_expect(m), _status(m, f"/enrolment/entries/{m.world.entry.pk}/"))


def check_enrolment_late(m):
    m.check("enrolment_late", "form", _expect(m, REGISTRARS), _status(m, "/enrolment/late/"))


def check_enrolment_pull(m):
    m.check("enrolment_pull", "page", _expect(m, SCHOOL_PEOPLE), _status(m, "/enrolment/pull/"))
    if m.user in SCHOOL_PEOPLE:
        text = m.client.get("/enrolment/pull/").content.decode()
        m.check("enrolment_pull", "lists A1's admitted child", m.user in A1_PEOPLE, "录取甲" in text)


def check_enrolment_info_sheets(m):
    # A1's people get the PDF of A1's new pupil; other schools have none to print (sent back).
    expected = _expect(m, A1_PEOPLE, elsewhere=302 if m.user in SCHOOL_PEOPLE else 403)
    m.check("enrolment_info_sheets", "A1's new pupils", expected, _status(m, "/enrolment/print/info-sheets.pdf"))


def check_class_roster(m):
    from tests.test_scoping_matrix import visible

    sees = {"registrar_a1", "headmaster_a1", "teacher_a1", "officer_a", "city_officer"}
    url = f"/classes/{m.world.classes['a1_3_1'].pk}/roster"
    m.check("class_roster", "pdf", visible(m, sees), _status(m, f"{url}.pdf"))
    if m.user in sees:
        # The roster shows a1's numbers, household registration and first guardian's phone.
        from tests.document_jobs import print_through_job

        response = print_through_job(m.client, f"{url}.pdf")
        states = text_field_states(text_of(response.content, response["Content-Type"]), m.pupil("a1"))
        check_field_states(m, "class_roster pdf", "a1", states, shows={"id_number", "hukou", "guardian_phone"})
    # The spreadsheet leaves through an export request (xueji/exports): its link leads to the form.
    expected = "login" if m.user is None else (302 if m.user in sees else 404)
    m.check("class_roster", "xlsx to the export request", expected, _status(m, f"{url}.xlsx"))


def check_enrolment_visiting(m):
    m.check("enrolment_visiting", "page", _expect(m, SCHOOL_PEOPLE), _status(m, "/enrolment/visiting/"))
    if m.user in SCHOOL_PEOPLE:
        text = m.client.get("/enrolment/visiting/").content.decode()
        m.check("enrolment_visiting", "lists A1's visitor", m.user in A1_PEOPLE, m.pupil("b1").name in text)


def check_enrolment_visit_end(m):
    m.check("enrolment_visit_end", "A1's visit", _entry_expect(m, ok=302),
            _status(m, f"/enrolment/visiting/{m.world.visit.pk}/end/", "post"))


def check_enrolment_classes(m):
    m.check("enrolment_classes", "post", _expect(m, REGISTRARS, ok=302), _status(m, "/enrolment/classes/", "post", {"action": "?"}))


def check_enrolment_submit(m):
    # Refused with a message (outside the window, or nothing to submit): a redirect, nothing made.
    m.check("enrolment_submit", "post", _expect(m, REGISTRARS, ok=302), _status(m, "/enrolment/submit/", "post"))
    m.check("enrolment_submit", "confirmed", _expect(m, REGISTRARS, ok=302),
            _status(m, "/enrolment/submit/", "post", {"confirm": "1", "expected": "1"}))


def check_enrolment_batch(m):
    m.check("enrolment_batch", "A1's batch", _expect(m, SEES_BATCH, elsewhere=404), _status(m, f"/enrolment/batches/{m.world.batch.pk}/"))


def check_enrolment_bureau(m):
    m.check("enrolment_bureau", "page", _expect(m, BUREAU_PEOPLE), _status(m, "/enrolment/bureau/"))
    if m.user in BUREAU_PEOPLE:
        text = m.client.get("/enrolment/bureau/").content.decode()
        m.check("enrolment_bureau", "lists A1's batch", m.user in {"officer_a", "city_officer"}, "2026年一年级新生 1 人" in text)


def check_enrolment_identity_confirm(m):
    pupil = m.pupil("b1")
    number = pupil.student_number
    m.check("enrolment_identity_confirm", "post", _expect(m, BUREAU_PEOPLE, ok=302),
            _status(m, "/enrolment/bureau/confirm/", "post", {"pupil": [pupil.pk]}))
    pupil.refresh_from_db()
    m.check("enrolment_identity_confirm", "G number untouched", number, pupil.student_number)


def check_enrolment_entry_delete(m):
    m.check("enrolment_entry_delete", "A1's entry", _entry_expect(m, ok=302),
            _status(m, f"/enrolment/entries/{m.world.entry.pk}/delete/", "post"))


def _api_expect(m, allowed: set, ok=200, elsewhere=404):
    return 401 if m.user is None else (ok if m.user in allowed else elsewhere)


def check_api_template(m):
    m.check("api-enrolment-template", "download", _api_expect(m, SCHOOL_PEOPLE), _api(m).get("/api/v1/enrollment/template/").status_code)


def check_api_import_list(m):
    response = _api(m).get("/api/v1/enrollment/imports/")
    if m.user is None:
        m.check("api-enrolment-import-list", "anonymous", 401, response.status_code)
        return
    ids = {row["id"] for row in response.json()["results"]}
    m.check("api-enrolment-import-list", "lists A1's upload", m.user in A1_PEOPLE, m.world.upload.pk in ids)


def check_api_import_detail(m):
    m.check("api-enrolment-import-detail", "A1's upload", _api_expect(m, A1_PEOPLE),
            _api(m).get(f"/api/v1/enrollment/imports/{m.world.upload.pk}/").status_code)


def check_api_entry_list(m):
    response = _api(m).get("/api/v1/enrollment/entries/")
    if m.user is None:
        m.check("api-enrolment-entry-list", "anonymous", 401, response.status_code)
        return
    names = {row["name"] for row in response.json()["results"]}
    m.check("api-enrolment-entry-list", "lists A1's new pupil", m.user in A1_PEOPLE, "新生甲" in names)


def check_api_classes(m):
    # An assignment to a class of no school of the caller's: refused (400) for a registrar, and not
    # theirs to do (403) for everyone else; never applied.
    response = _post_json(m, "/api/v1/enrollment/classes/",
                          {"action": "assign", "school_class": 999999, "entries": [m.world.entry.pk]})
    expected = 401 if m.user is None else (400 if m.user in REGISTRARS else 403)
    m.check("api-enrolment-classes", "foreign class", expected, response.status_code)


def check_api_submit(m):
    response = _post_json(m, "/api/v1/enrollment/submit/", {})
    expected = 401 if m.user is None else (400 if m.user in REGISTRARS else 403)
    m.check("api-enrolment-submit", "nothing made", expected, response.status_code)


def check_api_identity(m):
    pupil = m.pupil("b1")
    number = pupil.student_number
    response = _post_json(m, "/api/v1/enrollment/identity/", {"pupils": [pupil.pk]})
    expected = 401 if m.user is None else (200 if m.user in BUREAU_PEOPLE else 403)
    m.check("api-enrolment-identity", "post", expected, response.status_code)
    pupil.refresh_from_db()
    m.check("api-enrolment-identity", "G number untouched", number, pupil.student_number)


def check_admission_upload(m):
    m.check("admission_upload", "page", _expect(m, BUREAU_PEOPLE), _status(m, "/admissions/import/"))


def check_admission_template(m):
    m.check("admission_template", "download", _expect(m, BUREAU_PEOPLE), _status(m, "/admissions/template/"))


def check_admission_consistency(m):
    m.check("admission_consistency", "page", _expect(m, BUREAU_PEOPLE), _status(m, "/admissions/consistency/?year=2026"))
    if m.user in BUREAU_PEOPLE:
        text = m.client.get("/admissions/consistency/?year=2026").content.decode()
        m.check("admission_consistency", "lists A1", m.user in {"officer_a", "city_officer"}, m.world.units["a1"].name in text)


def check_admission_behind(m):
    url = f"/admissions/consistency/{m.world.units['a1'].pk}/?year=2026"
    expected = _expect(m, {"officer_a", "city_officer"}, elsewhere=404 if m.user in BUREAU_PEOPLE else 403)
    m.check("admission_behind", "A1", expected, _status(m, url))


def check_admission_school(m):
    m.check("admission_school", "page", _expect(m, REGISTRARS), _status(m, "/admissions/school/?year=2026"))
    if m.user in REGISTRARS:
        text = m.client.get("/admissions/school/?year=2026").content.decode()
        m.check("admission_school", "lists A1's admitted child", m.user == "registrar_a1", "录取甲" in text)


def check_api_admission_list(m):
    response = _api(m).get("/api/v1/enrollment/admissions/?year=2026")
    if m.user is None:
        m.check("api-admission-list", "anonymous", 401, response.status_code)
        return
    rows = response.json()
    rows = rows.get("results", rows) if isinstance(rows, dict) else rows
    names = {row["name"] for row in rows}
    sees = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
    m.check("api-admission-list", "lists A1's admitted child", m.user in sees, "录取甲" in names)


def check_api_admission_import(m):
    from django.core.files.uploadedfile import SimpleUploadedFile

    before = AdmissionEntry.objects.count()
    response = _api(m).post("/api/v1/enrollment/admissions/import/",
                            {"intake_year": 2026, "file": SimpleUploadedFile("a.xlsx", b"not a workbook")})
    expected = 401 if m.user is None else (400 if m.user in BUREAU_PEOPLE else 403)
    m.check("api-admission-import", "refused", expected, response.status_code)
    m.check("api-admission-import", "nothing written", before, AdmissionEntry.objects.count())


def check_api_admission_consistency(m):
    response = _api(m).get("/api/v1/enrollment/consistency/?year=2026")
    m.check("api-admission-consistency", "status", 401 if m.user is None else 200, response.status_code)
    if response.status_code == 200:
        rows = response.json()
        rows = rows.get("results", rows) if isinstance(rows, dict) else rows
        schools = {row.get("school_id", row.get("school")) for row in rows}
        sees = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
        m.check("api-admission-consistency", "A1's line", m.user in sees,
                m.world.units["a1"].pk in schools or m.world.units["a1"].name in schools)


READINESS = SCHOOL_PEOPLE | BUREAU_PEOPLE
EXPORTS = READINESS - {"city_officer"}  # the file carries ID numbers a city officer sees masked
NUMBER_IMPORTERS = REGISTRARS | {"officer_a", "officer_b"}
COUNTY_B_SEERS = {"registrar_b1", "headmaster_b1", "officer_b", "city_officer"}


def check_national_readiness(m):
    m.check("national_readiness", "page", _expect(m, READINESS), _status(m, "/national/readiness/"))
    b1 = m.world.units["b1"].pk
    expected = _expect(m, READINESS & COUNTY_B_SEERS, elsewhere=404 if m.user in READINESS else 403)
    m.check("national_readiness", "?school=B1", expected, _status(m, f"/national/readiness/?school={b1}"))


def check_national_export(m):
    # No file any more: the export request's form, prefilled (issue 13, xueji/exports).
    m.check("national_export", "to the export request", _expect(m, EXPORTS, ok=302), _status(m, "/national/export/"))


def check_national_numbers_import(m):
    m.check("national_numbers_import", "page", _expect(m, NUMBER_IMPORTERS), _status(m, "/national/numbers/"))


def check_api_national_readiness(m):
    expected = 401 if m.user is None else (200 if m.user in READINESS else 403)
    m.check("api-national-readiness", "get", expected, _api(m).get("/api/v1/enrollment/readiness/").status_code)


def check_api_national_export(m):
    response = _api(m).get("/api/v1/enrollment/national-export/")
    m.check("api-national-export", "get", 401 if m.user is None else 403, response.status_code)
    m.check("api-national-export", "export request required", m.user in EXPORTS,
            response.status_code == 403 and response.json().get("export_request_required") is True)


def check_api_national_numbers(m):
    expected = 401 if m.user is None else (400 if m.user in NUMBER_IMPORTERS else 403)
    m.check("api-national-numbers", "no file", expected, _api(m).post("/api/v1/enrollment/national-numbers/").status_code)


ENROLMENT_ENDPOINTS = {
    "enrollment:national_readiness": check_national_readiness,
    "enrollment:national_export": check_national_export,
    "enrollment:national_numbers_import": check_national_numbers_import,
    "enrollment_api:api-national-readiness": check_api_national_readiness,
    "enrollment_api:api-national-export": check_api_national_export,
    "enrollment_api:api-national-numbers": check_api_national_numbers,
    "enrollment:admission_upload": check_admission_upload,
    "enrollment:admission_template": check_admission_template,
    "enrollment:admission_consistency": check_admission_consistency,
    "enrollment:admission_behind": check_admission_behind,
    "enrollment:admission_school": check_admission_school,
    "enrollment_api:api-admission-list": check_api_admission_list,
    "enrollment_api:api-admission-import": check_api_admission_import,
    "enrollment_api:api-admission-consistency": check_api_admission_consistency,
    "enrollment_api:api-enrolment-template": check_api_template,
    "enrollment_api:api-enrolment-import-list": check_api_import_list,
    "enrollment_api:api-enrolment-import-detail": check_api_import_detail,
    "enrollment_api:api-enrolment-entry-list": check_api_entry_list,
    "enrollment_api:api-enrolment-classes": check_api_classes,
    "enrollment_api:api-enrolment-submit": check_api_submit,
    "enrollment_api:api-enrolment-identity": check_api_identity,
    "enrollment:enrolment_home": check_enrolment_home,
    "enrollment:enrolment_template": check_enrolment_template,
    "enrollment:enrolment_upload": check_enrolment_upload,
    "enrollment:enrolment_import": check_enrolment_import,
    "enrollment:enrolment_import_status": check_enrolment_import_status,
    "enrollment:enrolment_import_annotated": check_enrolment_import_annotated,
    "enrollment:enrolment_entry_new": check_enrolment_entry_new,
    "enrollment:enrolment_entry_edit": check_enrolment_entry_edit,
    "enrollment:enrolment_classes": check_enrolment_classes,
    "enrollment:enrolment_late": check_enrolment_late,
    "enrollment:enrolment_visiting": check_enrolment_visiting,
    "enrollment:enrolment_info_sheets": check_enrolment_info_sheets,
    "documents:class_roster": check_class_roster,
    "enrollment:enrolment_pull": check_enrolment_pull,
    "enrollment:enrolment_submit": check_enrolment_submit,
    "enrollment:enrolment_batch": check_enrolment_batch,
    "enrollment:enrolment_bureau": check_enrolment_bureau,
    "enrollment:enrolment_identity_confirm": check_enrolment_identity_confirm,
}
# Changes state: runs after every other check.
ENROLMENT_LAST = {"enrollment:enrolment_entry_delete": check_enrolment_entry_delete,
                  "enrollment:enrolment_visit_end": check_enrolment_visit_end}
