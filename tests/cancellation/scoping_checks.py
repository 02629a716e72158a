"""The pages and endpoints of 注销学籍 in the scoping matrix (tests/test_scoping_matrix.py):
merge CANCELLATION_ENDPOINTS into ENDPOINTS.

The data: a pupil of its own at A1 (注销甲, in A1-3(2), so the world's pupils and their open requests
are untouched) with one cancellation waiting for headmaster_a1, made on first use. Its school's
people and the bureaus above see it; no one else. Nothing here changes state beyond that request:
the API's starts checked here are refused before anything is written."""

from tests.scoping import api_client as _api
from tests.scoping import check_withdraw
from tests.scoping import page_status as _status
from xueji.approvals.services import request_start

SEES_CANCELLATION = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
OWN_REGISTRAR = {"a1": "registrar_a1", "a1_other": "registrar_a1", "a2": "registrar_a2", "b1": "registrar_b1"}
CANCELLATION_PUPIL = "注销甲"


def add_cancellation(world):
    """The matrix's cancellation, made once per world (the rules are the services' tests' concern)."""
    if getattr(world, "cancellation", None) is None:
        from tests.factories import make_pupil

        pupil = make_pupil(world.units["a1"], world.classes["a1_3_2"], name=CANCELLATION_PUPIL)
        world.cancellation = request_start(
            kind="cancellation", actor=world.user("registrar_a1"), unit=world.units["a1"], pupil=pupil,
            payload={"grounds": "death", "note": "", "reported_on": "2026-10-09", "date_of_death": "2026-09-28",
                     "report_due": "2026-10-16", "late": False, "late_working_days": 0},
        )
    return world.cancellation


def check_cancellation_list(m):
    cancellation = add_cancellation(m.world)
    if m.user is None:
        m.check("cancellation_list", "anonymous", "login", _status(m, "/cancellations/"))
        return
    response = m.client.get("/cancellations/")
    m.check("cancellation_list", "page", 200, response.status_code)
    m.check("cancellation_list", "lists A1's cancellation", m.user in SEES_CANCELLATION,
            f"/requests/{cancellation.pk}/" in response.content.decode())


def check_cancellation_pupil_start(m):
    cancellation = add_cancellation(m.world)
    for key in ("a1", "a1_other", "a2", "a3", "b1"):
        expected = "login" if m.user is None else (200 if OWN_REGISTRAR.get(key) == m.user else 404)
        m.check("cancellation_pupil_start", key, expected, _status(m, f"/pupils/{m.pupil(key).pk}/cancellation/new/"))
    # Another school's registrar cannot post for A1's pupil either (404, nothing written).
    expected = "login" if m.user is None else (200 if m.user == "registrar_a1" else 404)
    m.check("cancellation_pupil_start", "post for A1's pupil without files", expected,
            _status(m, f"/pupils/{cancellation.pupil_id}/cancellation/new/", "post", {"grounds": "death"}))


def check_api_cancellation_list(m):
    cancellation = add_cancellation(m.world)
    client = _api(m)
    response = client.get("/api/v1/cancellations/")
    if m.user is None:
        m.check("api-cancellation-list", "anonymous", 401, response.status_code)
    else:
        ids = {row["id"] for row in response.json()["results"]}
        m.check("api-cancellation-list", "lists A1's cancellation", m.user in SEES_CANCELLATION, cancellation.pk in ids)
    # Starts refused before any pupil is looked up: without files, and on a ground that cannot be chosen.
    response = client.post("/api/v1/cancellations/", {"pupil": m.pupil("a1").pk, "grounds": "death"})
    m.check("api-cancellation-list", "start without files", 401 if m.user is None else 400, response.status_code)
    response = client.post("/api/v1/cancellations/", {"pupil": m.pupil("a1").pk, "grounds": "expulsion"})
    m.check("api-cancellation-list", "start for expulsion", 401 if m.user is None else 400, response.status_code)


def check_api_cancellation_detail(m):
    cancellation = add_cancellation(m.world)
    status = _api(m).get(f"/api/v1/cancellations/{cancellation.pk}/").status_code
    expected = 401 if m.user is None else (200 if m.user in SEES_CANCELLATION else 404)
    m.check("api-cancellation-detail", "A1's cancellation", expected, status)


def check_cancellation_request_form(m):
    cancellation = add_cancellation(m.world)
    expected = "login" if m.user is None else (200 if m.user in SEES_CANCELLATION else 404)
    m.check("cancellation_request_form", "A1's cancellation", expected,
            _status(m, f"/cancellations/requests/{cancellation.pk}/form.pdf"))


def check_api_cancellation_form(m):
    cancellation = add_cancellation(m.world)
    response = _api(m).get(f"/api/v1/cancellations/{cancellation.pk}/form.pdf")
    expected = 401 if m.user is None else (200 if m.user in SEES_CANCELLATION else 404)
    m.check("api-cancellation-form-pdf", "A1's cancellation", expected, response.status_code)
    if response.status_code == 200:
        m.check("api-cancellation-form-pdf", "content type", "application/pdf", response["Content-Type"])


def check_api_cancellation_withdraw(m):
    cancellation = add_cancellation(m.world)
    check_withdraw(m, "api-cancellation-withdraw", f"/api/v1/cancellations/{cancellation.pk}/withdraw/", SEES_CANCELLATION,
                   "registrar_a1")

CANCELLATION_ENDPOINTS = {
    "cancellation_api:api-cancellation-withdraw": check_api_cancellation_withdraw,
    "cancellation:cancellation_list": check_cancellation_list,
    "cancellation:cancellation_pupil_start": check_cancellation_pupil_start,
    "cancellation_api:api-cancellation-list": check_api_cancellation_list,
    "cancellation_api:api-cancellation-detail": check_api_cancellation_detail,
    "cancellation:cancellation_request_form": check_cancellation_request_form,
    "cancellation_api:api-cancellation-form-pdf": check_api_cancellation_form,
}
