"""The pages and endpoints of information changes in the scoping matrix
(tests/test_scoping_matrix.py): merge CHANGE_ENDPOINTS into ENDPOINTS.

The data: one name change of a pupil of its own at A1 (变更甲, in A1-3(2)) waiting for
headmaster_a1, made on first use. Its school's people and the bureaus
above see it. The posts checked here are refused before anything is written."""

from tests.scoping import api_client as _api
from tests.scoping import check_withdraw, post_json
from tests.scoping import page_status as _status
from xueji.approvals.services import request_start

SEES_CHANGE = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
OWN_REGISTRAR = {"a1": "registrar_a1", "a1_other": "registrar_a1", "a2": "registrar_a2", "b1": "registrar_b1"}
OWN_SCHOOL = {"a1": {"registrar_a1", "headmaster_a1"}, "a1_other": {"registrar_a1", "headmaster_a1"},
              "a2": {"registrar_a2", "headmaster_a2"}, "b1": {"registrar_b1", "headmaster_b1"}, "a3": set()}


def add_change(world):
    if getattr(world, "info_change", None) is None:
        from tests.factories import make_pupil

        pupil = make_pupil(world.units["a1"], world.classes["a1_3_2"], name="变更甲")
        world.info_change = request_start(
            kind="info_change", actor=world.user("registrar_a1"), unit=world.units["a1"], pupil=pupil,
            payload={"changes": {"name": "变更乙", "former_name": pupil.name}, "before": {"name": pupil.name, "former_name": ""},
                     "reason": "户口簿更名"},
        )
    return world.info_change


def check_info_change_list(m):
    change = add_change(m.world)
    if m.user is None:
        m.check("info_change_list", "anonymous", "login", _status(m, "/changes/"))
        return
    response = m.client.get("/changes/")
    m.check("info_change_list", "page", 200, response.status_code)
    m.check("info_change_list", "lists A1's change", m.user in SEES_CHANGE, f"/requests/{change.pk}/" in response.content.decode())


def check_info_change_start(m):
    add_change(m.world)
    for key in ("a1", "a2", "a3", "b1"):
        expected = "login" if m.user is None else (200 if OWN_REGISTRAR.get(key) == m.user else 404)
        m.check("info_change_start", key, expected, _status(m, f"/pupils/{m.pupil(key).pk}/changes/new/"))


def check_pupil_correct(m):
    for key in ("a1", "a2", "a3", "b1"):
        expected = "login" if m.user is None else (200 if m.user in OWN_SCHOOL[key] else 404)
        m.check("pupil_correct", key, expected, _status(m, f"/pupils/{m.pupil(key).pk}/correct/"))
    # A post without a note is the form again for the own school, 404 for everyone else.
    expected = "login" if m.user is None else (200 if m.user in OWN_SCHOOL["b1"] else 404)
    m.check("pupil_correct", "post for b1", expected, _status(m, f"/pupils/{m.pupil('b1').pk}/correct/", "post", {}))


def check_api_info_change_list(m):
    change = add_change(m.world)
    client = _api(m)
    response = client.get("/api/v1/changes/")
    if m.user is None:
        m.check("api-info-change-list", "anonymous", 401, response.status_code)
    else:
        ids = {row["id"] for row in response.json()["results"]}
        m.check("api-info-change-list", "lists A1's change", m.user in SEES_CHANGE, change.pk in ids)
    # Without files: refused before any pupil is looked up.
    response = client.post("/api/v1/changes/", {"pupil": m.pupil("a1").pk, "reason": "x", "name": "王新名"})
    m.check("api-info-change-list", "start without files", 401 if m.user is None else 400, response.status_code)


def check_api_info_change_detail(m):
    change = add_change(m.world)
    status = _api(m).get(f"/api/v1/changes/{change.pk}/").status_code
    expected = 401 if m.user is None else (200 if m.user in SEES_CHANGE else 404)
    m.check("api-info-change-detail", "A1's change", expected, status)


# Who may see each pupil, and who corrects its record (the school's registrar and headmaster).
SEES_PUPIL = {"a1": {"registrar_a1", "headmaster_a1", "teacher_a1", "officer_a", "city_officer"},
              "b1": {"registrar_b1", "headmaster_b1", "officer_b", "city_officer"}}
CORRECTORS = {"a1": {"registrar_a1", "headmaster_a1"}, "b1": {"registrar_b1", "headmaster_b1"}}


def check_api_correction(m):
    for key in ("a1", "b1"):
        # No note: the serializer refuses before any pupil is looked up.
        response = post_json(m, "/api/v1/corrections/", {"pupil": m.pupil(key).pk, "note": "", "address": "某地"})
        m.check("api-correction", f"{key} without a note", 401 if m.user is None else 400, response.status_code)
        # Nothing to correct (identity fields are not correctable here): refused (400) for the
        # school's registrar and headmaster; refused as not theirs to correct (403) for the others
        # who see the pupil; the pupil does not exist for the rest.
        response = post_json(m, "/api/v1/corrections/", {"pupil": m.pupil(key).pk, "note": "核对", "name": "王新名"})
        corrects = m.user in CORRECTORS[key]
        expected = 401 if m.user is None else (400 if corrects else 403 if m.user in SEES_PUPIL[key] else 404)
        m.check("api-correction", f"{key} identity field", expected, response.status_code)


def check_api_info_change_withdraw(m):
    change = add_change(m.world)
    check_withdraw(m, "api-info-change-withdraw", f"/api/v1/changes/{change.pk}/withdraw/", SEES_CHANGE, "registrar_a1")

def check_info_change_request_form(m):
    change = add_change(m.world)
    expected = "login" if m.user is None else (200 if m.user in SEES_CHANGE else 404)
    m.check("info_change_request_form", "A1's change", expected, _status(m, f"/changes/requests/{change.pk}/form.pdf"))


def check_api_info_change_form(m):
    change = add_change(m.world)
    response = _api(m).get(f"/api/v1/changes/{change.pk}/form.pdf")
    expected = 401 if m.user is None else (200 if m.user in SEES_CHANGE else 404)
    m.check("api-info-change-form-pdf", "A1's change", expected, response.status_code)
    if response.status_code == 200:
        m.check("api-info-change-form-pdf", "content type", "application/pdf", response["Content-Type"])


CHANGE_ENDPOINTS = {
    "changes_api:api-info-change-withdraw": check_api_info_change_withdraw,
    "changes:info_change_list": check_info_change_list,
    "changes:info_change_start": check_info_change_start,
    "changes:pupil_correct": check_pupil_correct,
    "changes_api:api-info-change-list": check_api_info_change_list,
    "changes_api:api-info-change-detail": check_api_info_change_detail,
    "changes_api:api-correction": check_api_correction,
    "changes:info_change_request_form": check_info_change_request_form,
    "changes_api:api-info-change-form-pdf": check_api_info_change_form,
}
