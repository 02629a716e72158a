"""The pages and endpoints of suspensions/ in the scoping matrix (tests/test_scoping_matrix.py).

The data: one 休学 of a1_other at school A1, waiting for headmaster_a1, made on first use (a1 has
the matrix's open transfer r1). Its school's people and the bureaus above see it; no one else.
Nothing here changes state beyond that request. For the 在籍异常 list, a pupil of its own (休学甲,
A1) is suspended with a period that ended, and one reminder sent: the world's pupils are untouched."""

from datetime import date

from django.utils import timezone

from tests.scoping import api_client as _api
from tests.scoping import check_field_states, check_withdraw, check_withdraw_of_another_kind, text_field_states, text_of
from tests.scoping import page_status as _status
from xueji.approvals.services import request_start

SEES_SUSPENSION = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
OWN_REGISTRAR = {"a1": "registrar_a1", "a1_other": "registrar_a1", "a2": "registrar_a2", "b1": "registrar_b1"}


def add_suspension(world):
    """The matrix's suspension, made once per world (the rules are the services' tests' concern)."""
    if getattr(world, "suspension", None) is None:
        start = date(2026, 10, 12)
        world.suspension = request_start(
            kind="suspension", actor=world.user("registrar_a1"), unit=world.units["a1"], pupil=world.pupils["a1_other"],
            payload={"grounds": "illness", "grounds_note": "", "hospital": "农安县人民医院", "period_start": start.isoformat(),
                     "period_end": "2027-10-12", "renewal_of": None, "consecutive_years": 1, "grade": 3,
                     "graduating": False, "over_cap": False},
        )
    return world.suspension


SEES_LIMBO_PAGE = {"officer_a", "officer_b", "city_officer"}  # the bureaus (403 for everyone else)
SEES_LIMBO_PUPIL = {"officer_a", "city_officer"}  # the bureaus above A1
LIMBO_NAME = "休学甲"


def add_limbo(world):
    """A1's pupil in limbo: suspended, the period ended on 2026-03-01, one reminder sent (made once)."""
    if getattr(world, "limbo", None) is None:
        from suspensions.models import SuspensionReminder
        from tests.factories import make_pupil
        from xueji.approvals.models import ChangeRequest, RequestStatus
        from xueji.codes import PupilStatus

        pupil = make_pupil(world.units["a1"], world.classes["a1_3_2"], name=LIMBO_NAME)
        pupil.status = PupilStatus.SUSPENDED
        pupil.save(update_fields=["status"])
        request = ChangeRequest.objects.create(
            kind="suspension", pupil=pupil, status=RequestStatus.APPROVED, finished_at=timezone.now(),
            started_by=world.user("registrar_a1"), started_unit=world.units["a1"],
            payload={"grounds": "illness", "period_start": "2025-03-01", "period_end": "2026-03-01", "renewal_of": None},
        )
        SuspensionReminder.objects.create(pupil=pupil, request=request, kind="end_day", day=date(2026, 3, 1),
                                          period_end=date(2026, 3, 1), message="期满当天提醒")
        world.limbo = pupil
    return world.limbo


def check_suspension_list(m):
    suspension = add_suspension(m.world)
    if m.user is None:
        m.check("suspension_list", "anonymous", "login", _status(m, "/suspensions/"))
        return
    text = m.client.get("/suspensions/").content.decode()
    m.check("suspension_list", "lists A1's suspension", m.user in SEES_SUSPENSION, f"/requests/{suspension.pk}/" in text)


def check_suspension_pupil_start(m):
    for key in ("a1", "a1_other", "a2", "a3", "b1"):
        expected = "login" if m.user is None else (200 if OWN_REGISTRAR.get(key) == m.user else 404)
        m.check("suspension_pupil_start", key, expected,
                _status(m, f"/pupils/{m.pupil(key).pk}/suspensions/suspension/new/"))


def _check_api_list(m, name: str, path: str, lists_suspension: bool):
    suspension = add_suspension(m.world)
    response = _api(m).get(path)
    if m.user is None:
        m.check(name, "anonymous", 401, response.status_code)
        return
    ids = {row["id"] for row in response.json()["results"]}
    m.check(name, "lists A1's suspension", lists_suspension and m.user in SEES_SUSPENSION, suspension.pk in ids)


def _check_api_detail(m, name: str, path: str, own_kind: bool):
    suspension = add_suspension(m.world)
    status = _api(m).get(f"{path}{suspension.pk}/").status_code
    expected = 401 if m.user is None else (200 if own_kind and m.user in SEES_SUSPENSION else 404)
    m.check(name, "A1's suspension", expected, status)


def check_api_suspension_list(m):
    _check_api_list(m, "api-suspension-list", "/api/v1/suspensions/", True)
    # A start without proof is refused (400) before any pupil is looked up: nothing written.
    response = _api(m).post("/api/v1/suspensions/", {"pupil": m.pupil("a1").pk, "grounds": "illness"})
    m.check("api-suspension-list", "start without files", 401 if m.user is None else 400, response.status_code)


def check_api_suspension_detail(m):
    _check_api_detail(m, "api-suspension-detail", "/api/v1/suspensions/", True)


def check_api_resumption_list(m):
    _check_api_list(m, "api-resumption-list", "/api/v1/resumptions/", False)


def check_api_resumption_detail(m):
    _check_api_detail(m, "api-resumption-detail", "/api/v1/resumptions/", False)


def check_api_deferral_list(m):
    _check_api_list(m, "api-deferral-list", "/api/v1/deferrals/", False)


def check_api_deferral_detail(m):
    _check_api_detail(m, "api-deferral-detail", "/api/v1/deferrals/", False)


def check_suspension_limbo(m):
    add_limbo(m.world)
    expected = "login" if m.user is None else (200 if m.user in SEES_LIMBO_PAGE else 403)
    m.check("suspension_limbo", "page", expected, _status(m, "/suspensions/limbo/"))
    if m.user in SEES_LIMBO_PAGE:
        text = m.client.get("/suspensions/limbo/").content.decode()
        m.check("suspension_limbo", "lists A1's pupil in limbo", m.user in SEES_LIMBO_PUPIL, LIMBO_NAME in text)
        m.check("suspension_limbo", "shows the reminder sent", m.user in SEES_LIMBO_PUPIL, "期满当天提醒" in text)


def check_suspension_pupil_reminders(m):
    from tests.test_scoping_matrix import VISIBLE

    for key in ("a1", "a1_other", "a2", "a3", "b1"):
        expected = "login" if m.user is None else (200 if key in VISIBLE[m.user] else 404)
        m.check("suspension_pupil_reminders", key, expected, _status(m, f"/pupils/{m.pupil(key).pk}/suspensions/reminders/"))
    limbo = add_limbo(m.world)
    expected = "login" if m.user is None else (200 if m.user in {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"} else 404)
    m.check("suspension_pupil_reminders", "A1's pupil in limbo", expected, _status(m, f"/pupils/{limbo.pk}/suspensions/reminders/"))


def check_suspension_request_form(m):
    suspension = add_suspension(m.world)
    expected = "login" if m.user is None else (200 if m.user in SEES_SUSPENSION else 404)
    m.check("suspension_request_form", "A1's suspension", expected,
            _status(m, f"/suspensions/requests/{suspension.pk}/form.pdf"))
    if m.user in SEES_SUSPENSION:
        # The 申请表 shows a1_other's numbers, address and guardians' phones as the user sees them.
        response = m.client.get(f"/suspensions/requests/{suspension.pk}/form.pdf")
        states = text_field_states(text_of(response.content, response["Content-Type"]), m.pupil("a1_other"))
        check_field_states(m, "suspension_request_form", "a1_other", states,
                           shows={"id_number", "address", "guardian_phone"})
    # Another kind's request (the matrix's transfer r1, seen by A1's people) is not a suspension's form.
    expected = "login" if m.user is None else 404
    m.check("suspension_request_form", "r1 (a transfer)", expected,
            _status(m, f"/suspensions/requests/{m.world.requests['r1'].pk}/form.pdf"))


def _check_api_form(m, name: str, path: str, own_kind: bool):
    suspension = add_suspension(m.world)
    response = _api(m).get(f"{path}{suspension.pk}/form.pdf")
    expected = 401 if m.user is None else (200 if own_kind and m.user in SEES_SUSPENSION else 404)
    m.check(name, "A1's suspension", expected, response.status_code)
    if response.status_code == 200:
        m.check(name, "content type", "application/pdf", response["Content-Type"])


def check_api_suspension_form(m):
    _check_api_form(m, "api-suspension-form-pdf", "/api/v1/suspensions/", True)


def check_api_resumption_form(m):
    _check_api_form(m, "api-resumption-form-pdf", "/api/v1/resumptions/", False)


def check_api_deferral_form(m):
    _check_api_form(m, "api-deferral-form-pdf", "/api/v1/deferrals/", False)


def check_api_suspension_withdraw(m):
    suspension = add_suspension(m.world)
    check_withdraw(m, "api-suspension-withdraw", f"/api/v1/suspensions/{suspension.pk}/withdraw/", SEES_SUSPENSION,
                   "registrar_a1")


def check_api_resumption_withdraw(m):
    check_withdraw_of_another_kind(m, "api-resumption-withdraw", f"/api/v1/resumptions/{add_suspension(m.world).pk}/withdraw/")


def check_api_deferral_withdraw(m):
    check_withdraw_of_another_kind(m, "api-deferral-withdraw", f"/api/v1/deferrals/{add_suspension(m.world).pk}/withdraw/")

SUSPENSION_ENDPOINTS = {
    "suspensions_api:api-suspension-withdraw": check_api_suspension_withdraw,
    "suspensions_api:api-resumption-withdraw": check_api_resumption_withdraw,
    "suspensions_api:api-deferral-withdraw": check_api_deferral_withdraw,
    "suspensions:suspension_limbo": check_suspension_limbo,
    "suspensions:suspension_pupil_reminders": check_suspension_pupil_reminders,
    "suspensions:suspension_list": check_suspension_list,
    "suspensions:suspension_pupil_start": check_suspension_pupil_start,
    "suspensions_api:api-suspension-list": check_api_suspension_list,
    "suspensions_api:api-suspension-detail": check_api_suspension_detail,
    "suspensions_api:api-resumption-list": check_api_resumption_list,
    "suspensions_api:api-resumption-detail": check_api_resumption_detail,
    "suspensions_api:api-deferral-list": check_api_deferral_list,
    "suspensions_api:api-deferral-detail": check_api_deferral_detail,
    "suspensions:suspension_request_form": check_suspension_request_form,
    "suspensions_api:api-suspension-form-pdf": check_api_suspension_form,
    "suspensions_api:api-resumption-form-pdf": check_api_resumption_form,
    "suspensions_api:api-deferral-form-pdf": check_api_deferral_form,
}
