"""The pages and endpoints of 降级 in the scoping matrix (tests/test_scoping_matrix.py): merge
SPECIAL_EDUCATION_ENDPOINTS into ENDPOINTS.

The data: a special-education pupil of its own at A1 (降级甲, hearing disability, in A1-3(2), so the
world's pupils and their open requests are untouched) with one 降级 waiting for headmaster_a1, made
on first use. Its school's people and the bureaus above see it; no one else. Nothing here changes
state beyond that request: the API's starts checked here are refused before anything is written."""

from tests.scoping import api_client as _api
from tests.scoping import check_withdraw
from tests.scoping import page_status as _status
from xueji.approvals.services import request_start

SEES_GRADE_DOWN = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
OWN_REGISTRAR = {"a1": "registrar_a1", "a1_other": "registrar_a1", "a2": "registrar_a2", "b1": "registrar_b1"}
GRADE_DOWN_PUPIL = "降级甲"


def add_grade_down(world):
    """The matrix's 降级, made once per world (the rules are the services' tests' concern)."""
    if getattr(world, "grade_down", None) is None:
        from tests.factories import make_pupil

        pupil = make_pupil(world.units["a1"], world.classes["a1_3_2"], name=GRADE_DOWN_PUPIL,
                           disability="2", disability_placement="1")
        world.grade_down = request_start(
            kind="grade_down", actor=world.user("registrar_a1"), unit=world.units["a1"], pupil=pupil,
            payload={"from_grade": 3, "to_grade": 2, "to_class": None, "reason": "听力障碍",
                     "special_education": "登记了残疾类型"},
        )
    return world.grade_down


def check_grade_down_list(m):
    change = add_grade_down(m.world)
    if m.user is None:
        m.check("grade_down_list", "anonymous", "login", _status(m, "/grade-downs/"))
        return
    response = m.client.get("/grade-downs/")
    m.check("grade_down_list", "page", 200, response.status_code)
    m.check("grade_down_list", "lists A1's 降级", m.user in SEES_GRADE_DOWN, f"/requests/{change.pk}/" in response.content.decode())


def check_grade_down_pupil_start(m):
    change = add_grade_down(m.world)
    for key in ("a1", "a1_other", "a2", "a3", "b1"):
        expected = "login" if m.user is None else (200 if OWN_REGISTRAR.get(key) == m.user else 404)
        m.check("grade_down_pupil_start", key, expected, _status(m, f"/pupils/{m.pupil(key).pk}/grade-down/new/"))
    # Another school's registrar cannot post for A1's pupil either (404, nothing written).
    expected = "login" if m.user is None else (200 if m.user == "registrar_a1" else 404)
    m.check("grade_down_pupil_start", "post for A1's pupil without files", expected,
            _status(m, f"/pupils/{change.pupil_id}/grade-down/new/", "post", {"reason": "x"}))


def check_api_grade_down_list(m):
    change = add_grade_down(m.world)
    client = _api(m)
    response = client.get("/api/v1/grade-downs/")
    if m.user is None:
        m.check("api-grade-down-list", "anonymous", 401, response.status_code)
    else:
        ids = {row["id"] for row in response.json()["results"]}
        m.check("api-grade-down-list", "lists A1's 降级", m.user in SEES_GRADE_DOWN, change.pk in ids)
    # A start refused before any pupil is looked up: without files.
    response = client.post("/api/v1/grade-downs/", {"pupil": m.pupil("a1").pk, "target_class": 1, "reason": "x"})
    m.check("api-grade-down-list", "start without files", 401 if m.user is None else 400, response.status_code)


def check_api_grade_down_detail(m):
    change = add_grade_down(m.world)
    status = _api(m).get(f"/api/v1/grade-downs/{change.pk}/").status_code
    expected = 401 if m.user is None else (200 if m.user in SEES_GRADE_DOWN else 404)
    m.check("api-grade-down-detail", "A1's 降级", expected, status)


def check_grade_down_request_form(m):
    change = add_grade_down(m.world)
    expected = "login" if m.user is None else (200 if m.user in SEES_GRADE_DOWN else 404)
    m.check("grade_down_request_form", "A1's 降级", expected, _status(m, f"/grade-downs/requests/{change.pk}/form.pdf"))


def check_api_grade_down_form(m):
    change = add_grade_down(m.world)
    response = _api(m).get(f"/api/v1/grade-downs/{change.pk}/form.pdf")
    expected = 401 if m.user is None else (200 if m.user in SEES_GRADE_DOWN else 404)
    m.check("api-grade-down-form-pdf", "A1's 降级", expected, response.status_code)
    if response.status_code == 200:
        m.check("api-grade-down-form-pdf", "content type", "application/pdf", response["Content-Type"])


def check_api_grade_down_withdraw(m):
    change = add_grade_down(m.world)
    check_withdraw(m, "api-grade-down-withdraw", f"/api/v1/grade-downs/{change.pk}/withdraw/", SEES_GRADE_DOWN,
                   "registrar_a1")


SPECIAL_EDUCATION_ENDPOINTS = {
    "special_education:grade_down_list": check_grade_down_list,
    "special_education:grade_down_pupil_start": check_grade_down_pupil_start,
    "special_education:grade_down_request_form": check_grade_down_request_form,
    "special_education_api:api-grade-down-list": check_api_grade_down_list,
    "special_education_api:api-grade-down-detail": check_api_grade_down_detail,
    "special_education_api:api-grade-down-form-pdf": check_api_grade_down_form,
    "special_education_api:api-grade-down-withdraw": check_api_grade_down_withdraw,
}
