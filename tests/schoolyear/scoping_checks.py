"""The pages and endpoints of schoolyear/ in the scoping matrix (tests/test_scoping_matrix.py):
merge SCHOOLYEAR_ENDPOINTS into ENDPOINTS and SCHOOLYEAR_LAST at its end.

The data, made once per world, of pupils of its own in a sixth grade at A1 (the world's pupils
are untouched): 毕业甲, enrolled, with an open 休学 waiting for headmaster_a1 (so A1's graduation is
refused whoever asks, whatever the date); 毕业乙, graduated from A1 in 2025—2026 with a certificate
number, and a 学历证明书 for him waiting for headmaster_a1; county A's promotion of 2025, done, with
A1's row. Graduation, the plan and certificates of A1 are followed by its registrar and
headmaster and the bureaus above (a head teacher and the system administrator: 403; anyone else:
404); the run by the people of the schools county A supervises and the bureaus above."""

from datetime import date

from django.utils import timezone

from tests.scoping import api_client as _api
from tests.scoping import page_status as _status
from tests.scoping import post_json

A1_FOLLOWERS = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
B1_FOLLOWERS = {"registrar_b1", "headmaster_b1", "officer_b", "city_officer"}
# Users who follow some school's year (the pages' lists): everyone but these.
NOT_FOLLOWERS = {"teacher_a1", "admin"}
# In core scope of A1 but without a role that follows its year: 403, not 404.
SEES_A1_UNIT = {"teacher_a1", "admin"}
RUN_VIEWERS = {"registrar_a1", "headmaster_a1", "registrar_a2", "headmaster_a2", "central_a3", "officer_a", "city_officer"}
SEES_PROOF = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
BUREAU_OFFICERS = {"officer_a", "officer_b", "city_officer"}


def add_schoolyear(world):
    if getattr(world, "schoolyear", None) is not None:
        return world.schoolyear
    from schoolyear import services
    from schoolyear.dates import school_year_get
    from schoolyear.models import Certificate, CertificateBatch, Graduate, Graduation, PromotionRun, PromotionSchool
    from tests.factories import SchoolClassFactory, make_pupil
    from tests.schoolyear.conftest import pending_suspension
    from xueji.codes import PupilStatus
    from xueji.pupils.services import pupil_set_status

    a1, registrar = world.units["a1"], world.user("registrar_a1")
    sixth = SchoolClassFactory(school=a1, grade=6, number=1)
    waiting = make_pupil(a1, sixth, name="毕业甲")
    graduate = make_pupil(a1, sixth, name="毕业乙")
    pupil_set_status(actor=registrar, pupil=graduate, status=PupilStatus.GRADUATED, effective_date=date(2026, 7, 20),
                     reason="小学毕业")
    graduation = Graduation.objects.create(school=a1, school_year=school_year_get(2025), grade=6,
                                           graduated_on=date(2026, 7, 20), graduated_by=registrar, count=1)
    record = Graduate.objects.create(graduation=graduation, pupil=graduate, grade=6)
    batch = CertificateBatch.objects.create(bureau=world.units["county_a"], school=a1, school_year=graduation.school_year,
                                            prefix="M", width=5, first_sequence=1, last_sequence=1, count=1,
                                            issued_by=world.user("officer_a"))
    Certificate.objects.create(graduate=record, number="M00001", batch=batch)
    graduate.refresh_from_db()
    run = PromotionRun.objects.create(bureau=world.units["county_a"], year=2025, trigger="schedule", status="done",
                                      started_at=timezone.now(), finished_at=timezone.now(), schools_total=3,
                                      schools_done=3, promoted=1)
    PromotionSchool.objects.create(run=run, school=a1, year=2025, promoted=1, by_grade={"2": 1})
    world.schoolyear = {
        "request": pending_suspension(world, waiting),
        "proof": services.education_proof_start(actor=registrar, pupil=graduate),
        "graduate": graduate,
        "run": run,
    }
    return world.schoolyear


def _follower_page(m) -> int | str:
    return "login" if m.user is None else (403 if m.user in NOT_FOLLOWERS else 200)


def _a1_school(m, ok=200) -> int | str:
    """A page of A1's year: its followers ``ok``, a head teacher and the administrator 403, the rest 404."""
    if m.user is None:
        return "login"
    return ok if m.user in A1_FOLLOWERS else (403 if m.user in SEES_A1_UNIT else 404)


def _a1_registrar(m, ok) -> int | str:
    """What only A1's registrar does: ``ok`` for them, 403 for A1's other followers, 404 elsewhere."""
    if m.user is None:
        return "login"
    if m.user == "registrar_a1":
        return ok
    return 403 if m.user in A1_FOLLOWERS | SEES_A1_UNIT else 404


def _api_status(expected):
    return 401 if expected == "login" else expected


def in_promotion_window() -> bool:
    today = timezone.localdate()
    return date(today.year, 8, 10) <= today <= date(today.year, 8, 31)


# Pages ---------------------------------------------------------------------------------------

def check_graduation_overview(m):
    data = add_schoolyear(m.world)
    m.check("graduation_overview", "page", _follower_page(m), _status(m, "/schoolyear/graduation/"))
    if m.user and m.user not in NOT_FOLLOWERS:
        text = m.client.get("/schoolyear/graduation/").content.decode()
        m.check("graduation_overview", "lists A1's open request", m.user in A1_FOLLOWERS,
                f"/requests/{data['request'].pk}/" in text)
        m.check("graduation_overview", "lists B1", m.user in B1_FOLLOWERS, m.world.units["b1"].name in text)


def check_graduation_school(m):
    add_schoolyear(m.world)
    m.check("graduation_school", "A1", _a1_school(m), _status(m, f"/schoolyear/graduation/{m.world.units['a1'].pk}/"))
    expected = "login" if m.user is None else (200 if m.user in B1_FOLLOWERS else (403 if m.user == "admin" else 404))
    m.check("graduation_school", "B1", expected, _status(m, f"/schoolyear/graduation/{m.world.units['b1'].pk}/"))


def check_graduation_list_pdf(m):
    add_schoolyear(m.world)
    m.check("graduation_list_pdf", "A1", _a1_school(m), _status(m, f"/schoolyear/graduation/{m.world.units['a1'].pk}/graduates.pdf"))
    expected = "login" if m.user is None else (200 if m.user in B1_FOLLOWERS else (403 if m.user == "admin" else 404))
    m.check("graduation_list_pdf", "B1", expected, _status(m, f"/schoolyear/graduation/{m.world.units['b1'].pk}/graduates.pdf"))


def check_graduation_confirm(m):
    add_schoolyear(m.world)
    url = f"/schoolyear/graduation/{m.world.units['a1'].pk}/confirm/"
    m.check("graduation_confirm", "page", _a1_registrar(m, 200), _status(m, url))
    # Refused (an open request of the grade): back to the school's page, nothing graduated.
    m.check("graduation_confirm", "post", _a1_registrar(m, 302), _status(m, url, "post", {"expected": 1, "checked": "on"}))


def check_promotion_overview(m):
    m.check("promotion_overview", "page", _follower_page(m), _status(m, "/schoolyear/promotion/"))


def check_promotion_plan(m):
    url = f"/schoolyear/promotion/{m.world.units['a1'].pk}/plan/"
    m.check("promotion_plan", "A1", _a1_school(m), _status(m, url))
    # An unknown action: refused with a message (302) for A1's registrar, nothing written.
    m.check("promotion_plan", "post", _a1_registrar(m, 302), _status(m, url, "post", {"action": "none"}))


def check_promotion_run_start(m):
    expected = "login" if m.user is None else (302 if m.user in BUREAU_OFFICERS else 403)
    m.check("promotion_run_start", "own bureau", expected, _status(m, "/schoolyear/promotion/run/", "post"))
    county_a = m.world.units["county_a"].pk
    expected = "login" if m.user is None else (302 if m.user == "officer_a" else (404 if m.user in BUREAU_OFFICERS else 403))
    m.check("promotion_run_start", "county A", expected, _status(m, "/schoolyear/promotion/run/", "post", {"bureau": county_a}))


def check_promotion_run_detail(m):
    data = add_schoolyear(m.world)
    url = f"/schoolyear/promotion/runs/{data['run'].pk}/"
    expected = "login" if m.user is None else (200 if m.user in RUN_VIEWERS else 404)
    m.check("promotion_run_detail", "county A's run", expected, _status(m, url))
    if expected == 200:
        text = m.client.get(url).content.decode()
        m.check("promotion_run_detail", "A1's row", m.user in A1_FOLLOWERS, m.world.units["a1"].name in text)


def check_certificate_overview(m):
    add_schoolyear(m.world)
    m.check("certificate_overview", "page", _follower_page(m), _status(m, "/schoolyear/certificates/"))
    if m.user and m.user not in NOT_FOLLOWERS:
        text = m.client.get("/schoolyear/certificates/").content.decode()
        m.check("certificate_overview", "lists A1's graduates", m.user in A1_FOLLOWERS,
                f"/schoolyear/certificates/{m.world.units['a1'].pk}/2025/" in text)


def check_certificate_school(m):
    add_schoolyear(m.world)
    url = f"/schoolyear/certificates/{m.world.units['a1'].pk}/2025/"
    m.check("certificate_school", "A1", _a1_school(m), _status(m, url))
    if m.user in A1_FOLLOWERS:
        m.check("certificate_school", "shows the number", True, "M00001" in m.client.get(url).content.decode())
    # Numbering: the supervising bureau only (everyone is numbered: the form again with the reason).
    if m.user is None:
        expected = "login"
    elif m.user == "officer_a":
        expected = 200
    else:
        expected = 403 if m.user in A1_FOLLOWERS | SEES_A1_UNIT else 404
    m.check("certificate_school", "post", expected, _status(m, url, "post", {"prefix": "M", "first_sequence": 9, "width": 5}))


def check_certificate_export(m):
    add_schoolyear(m.world)
    url = f"/schoolyear/certificates/{m.world.units['a1'].pk}/2025.xlsx"
    # The spreadsheet leaves through an export request: its followers go to the request's form.
    m.check("certificate_export", "A1", _a1_school(m, ok=302), _status(m, url))
    if m.user in A1_FOLLOWERS:
        m.check("certificate_export", "to the export request's form",
                f"/exports/new/?kind=certificate_numbers&scope={m.world.units['a1'].pk}-2025", m.client.get(url)["Location"])


def check_education_proof_list(m):
    data = add_schoolyear(m.world)
    if m.user is None:
        m.check("education_proof_list", "anonymous", "login", _status(m, "/schoolyear/education-proofs/"))
        return
    text = m.client.get("/schoolyear/education-proofs/").content.decode()
    m.check("education_proof_list", "lists A1's proof", m.user in SEES_PROOF, f"/requests/{data['proof'].pk}/" in text)


def check_education_proof_pdf(m):
    data = add_schoolyear(m.world)
    expected = "login" if m.user is None else (200 if m.user in SEES_PROOF else 404)
    m.check("education_proof_pdf", "A1's proof", expected, _status(m, f"/schoolyear/education-proofs/{data['proof'].pk}/proof.pdf"))
    # Another kind's request (r1, a transfer seen by A1's people) is no proof.
    expected = "login" if m.user is None else 404
    m.check("education_proof_pdf", "r1", expected, _status(m, f"/schoolyear/education-proofs/{m.world.requests['r1'].pk}/proof.pdf"))


def check_education_proof_start(m):
    data = add_schoolyear(m.world)
    expected = "login" if m.user is None else (200 if m.user == "registrar_a1" else 404)
    m.check("education_proof_start", "A1's graduate", expected, _status(m, f"/pupils/{data['graduate'].pk}/education-proof/new/"))
    expected = "login" if m.user is None else (200 if m.user == "registrar_b1" else 404)
    m.check("education_proof_start", "b1 (enrolled)", expected, _status(m, f"/pupils/{m.pupil('b1').pk}/education-proof/new/"))


# API -----------------------------------------------------------------------------------------

def check_api_graduation_list(m):
    data = add_schoolyear(m.world)
    response = _api(m).get("/api/v1/graduation/")
    m.check("api-graduation-list", "status", _api_status(_follower_page(m)), response.status_code)
    if response.status_code == 200:
        pending = {p["id"] for row in response.json() for p in row["pending"]}
        m.check("api-graduation-list", "A1's open request", m.user in A1_FOLLOWERS, data["request"].pk in pending)


def check_api_graduation_detail(m):
    add_schoolyear(m.world)
    status = _api(m).get(f"/api/v1/graduation/{m.world.units['a1'].pk}/").status_code
    m.check("api-graduation-detail", "A1", _api_status(_a1_school(m)), status)


def check_api_graduation_graduate(m):
    add_schoolyear(m.world)
    response = post_json(m, f"/api/v1/graduation/{m.world.units['a1'].pk}/graduate/", {})
    m.check("api-graduation-graduate", "A1 (refused)", _api_status(_a1_registrar(m, 400)), response.status_code)


def check_api_promotion_plan_list(m):
    response = _api(m).get("/api/v1/promotion-plans/")
    m.check("api-promotion-plan-list", "status", _api_status(_follower_page(m)), response.status_code)
    if response.status_code == 200:
        ids = {row["id"] for row in response.json()}
        m.check("api-promotion-plan-list", "lists A1", m.user in A1_FOLLOWERS, m.world.units["a1"].pk in ids)


def check_api_promotion_plan_detail(m):
    status = _api(m).get(f"/api/v1/promotion-plans/{m.world.units['a1'].pk}/").status_code
    m.check("api-promotion-plan-detail", "A1", _api_status(_a1_school(m)), status)


def check_api_promotion_plan_mapping(m):
    response = post_json(m, f"/api/v1/promotion-plans/{m.world.units['a1'].pk}/mapping/", {"mappings": []})
    m.check("api-promotion-plan-mapping", "A1 (nothing to change)", _api_status(_a1_registrar(m, 200)), response.status_code)


def check_api_promotion_plan_prepare(m):
    # Creates A1's classes of next year for its registrar: it comes last.
    response = post_json(m, f"/api/v1/promotion-plans/{m.world.units['a1'].pk}/prepare/", {})
    m.check("api-promotion-plan-prepare", "A1", _api_status(_a1_registrar(m, 200)), response.status_code)


def check_api_promotion_run_list(m):
    data = add_schoolyear(m.world)
    client = _api(m)
    response = client.get("/api/v1/promotion-runs/")
    if m.user is None:
        m.check("api-promotion-run-list", "anonymous", 401, response.status_code)
    else:
        ids = {row["id"] for row in response.json()}
        m.check("api-promotion-run-list", "lists county A's run", m.user in RUN_VIEWERS, data["run"].pk in ids)
    # Starting one: the bureaus' officers (refused before the promotion date), nobody else.
    if m.user is None:
        expected = 401
    elif m.user in {"officer_a", "officer_b"}:
        expected = 202 if in_promotion_window() else 400
    elif m.user == "city_officer":
        expected = 400  # the city runs no school itself: its counties promote theirs
    else:
        expected = 403
    m.check("api-promotion-run-list", "start", expected, post_json(m, "/api/v1/promotion-runs/", {}).status_code)


def check_api_promotion_run_detail(m):
    data = add_schoolyear(m.world)
    expected = 401 if m.user is None else (200 if m.user in RUN_VIEWERS else 404)
    m.check("api-promotion-run-detail", "county A's run", expected,
            _api(m).get(f"/api/v1/promotion-runs/{data['run'].pk}/").status_code)


def check_api_certificate_list(m):
    add_schoolyear(m.world)
    response = _api(m).get(f"/api/v1/certificates/?school={m.world.units['a1'].pk}&year=2025")
    m.check("api-certificate-list", "A1", _api_status(_a1_school(m)), response.status_code)
    if response.status_code == 200:
        m.check("api-certificate-list", "the number", ["M00001"], [row["certificate_number"] for row in response.json()])


def check_api_certificate_assign(m):
    add_schoolyear(m.world)
    body = {"school": m.world.units["a1"].pk, "year": 2025, "prefix": "M", "first_sequence": 9, "width": 5}
    if m.user is None:
        expected = 401
    elif m.user == "officer_a":
        expected = 400  # everyone has a number already
    else:
        expected = 403 if m.user in A1_FOLLOWERS | SEES_A1_UNIT else 404
    m.check("api-certificate-assign", "A1", expected, post_json(m, "/api/v1/certificates/assign/", body).status_code)


SCHOOLYEAR_ENDPOINTS = {
    "schoolyear:graduation_overview": check_graduation_overview,
    "schoolyear:graduation_school": check_graduation_school,
    "schoolyear:graduation_list_pdf": check_graduation_list_pdf,
    "schoolyear:graduation_confirm": check_graduation_confirm,
    "schoolyear:promotion_overview": check_promotion_overview,
    "schoolyear:promotion_plan": check_promotion_plan,
    "schoolyear:promotion_run_detail": check_promotion_run_detail,
    "schoolyear:certificate_overview": check_certificate_overview,
    "schoolyear:certificate_school": check_certificate_school,
    "schoolyear:certificate_export": check_certificate_export,
    "schoolyear:education_proof_list": check_education_proof_list,
    "schoolyear:education_proof_pdf": check_education_proof_pdf,
    "schoolyear:education_proof_start": check_education_proof_start,
    "schoolyear_api:api-graduation-list": check_api_graduation_list,
    "schoolyear_api:api-graduation-detail": check_api_graduation_detail,
    "schoolyear_api:api-graduation-graduate": check_api_graduation_graduate,
    "schoolyear_api:api-promotion-plan-list": check_api_promotion_plan_list,
    "schoolyear_api:api-promotion-plan-detail": check_api_promotion_plan_detail,
    "schoolyear_api:api-promotion-plan-mapping": check_api_promotion_plan_mapping,
    "schoolyear_api:api-promotion-run-detail": check_api_promotion_run_detail,
    "schoolyear_api:api-certificate-list": check_api_certificate_list,
    "schoolyear_api:api-certificate-assign": check_api_certificate_assign,
}
# These may write (A1's classes of next year; a run in the promotion window): they come last.
SCHOOLYEAR_LAST = {
    "schoolyear:promotion_run_start": check_promotion_run_start,
    "schoolyear_api:api-promotion-run-list": check_api_promotion_run_list,
    "schoolyear_api:api-promotion-plan-prepare": check_api_promotion_plan_prepare,
}
