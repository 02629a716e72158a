"""The pages and API endpoints of dropouts/ in the scoping matrix (tests/test_scoping_matrix.py).

The data (add_dropout): at school A1 a pupil 辍学甲 (class A1-3(1)) confirmed as a dropout
(left for abroad without applying), with a home visit (one photo) and a written return notice
logged. A1's registrar and headmaster and the bureaus above A1 see the case and its photo; A1's
registrar closes it, its headmaster logs steps too. Absences are recorded by the pupil's head
teacher or the school's registrar; a dropout is confirmed by the school's registrar. A school's
suspected list is read by the people who see its cases. Outside one's scope: 404; in scope
without the role: 403 (the API: 401 when not signed in). The posts here are refused by
validation, so nothing changes state."""

from datetime import timedelta

from django.utils import timezone

from dropouts import services
from dropouts.models import CaseStep, DropoutCase, VisitPhoto
from dropouts.photos import check_photos
from tests.dropouts.helpers import photo_upload
from tests.factories import make_pupil
from tests.scoping import api_client as _api
from tests.scoping import expected as _expect
from tests.scoping import page_status as _status
from tests.scoping import post_json as _post
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

SCHOOL_PEOPLE = {"registrar_a1", "headmaster_a1", "registrar_a2", "headmaster_a2", "registrar_b1", "headmaster_b1"}
OVERSEERS = {"officer_a", "officer_b", "city_officer", "central_a3"}
SEES_CASE = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
LOGS_STEPS = {"registrar_a1", "headmaster_a1"}
CLOSES = {"registrar_a1"}
# Who records absences and who confirms, per pupil of the world.
RECORDS_ABSENCE = {"a1": {"registrar_a1", "teacher_a1"}, "a1_other": {"registrar_a1"}, "a2": {"registrar_a2"},
                   "a3": set(), "b1": {"registrar_b1"}}
CONFIRMS = {"a1": {"registrar_a1"}, "a1_other": {"registrar_a1"}, "a2": {"registrar_a2"}, "a3": set(),
            "b1": {"registrar_b1"}}


def add_dropout(world):
    """The matrix's dropout case, made once per world."""
    if getattr(world, "dropout_case", None) is None:
        today = timezone.localdate()
        pupil = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="辍学甲")
        case = services.confirm_dropout(actor=world.user("registrar_a1"), pupil=pupil, contacts_tried="电话多次未果",
                                        ground=DropoutCase.Ground.ABROAD, today=today)
        services.add_step(actor=world.user("headmaster_a1"), case=case, kind=CaseStep.Kind.HOME_VISIT, day=today,
                          visitors="校长", outcome="家中无人", photos=check_photos([photo_upload()]))
        services.add_step(actor=world.user("registrar_a1"), case=case, kind=CaseStep.Kind.NOTICE, day=today,
                          deadline=today + timedelta(days=10))
        world.dropout_case = case
    return world.dropout_case


def _case_expect(m, allowed: set, ok=200):
    """Allowed: ok; sees the case without the role: 403; does not see it: 404."""
    if m.user is None:
        return "login"
    if m.user in allowed:
        return ok
    return 403 if m.user in SEES_CASE else 404


def _pupil_expect(m, key: str, allowed: set):
    from tests.test_scoping_matrix import VISIBLE

    if m.user is None:
        return "login"
    if m.user in allowed:
        return 200
    return 403 if key in VISIBLE[m.user] else 404


def check_dropout_list(m):
    add_dropout(m.world)
    m.check("dropout_list", "page", _expect(m, SCHOOL_PEOPLE), _status(m, "/dropouts/"))
    if m.user in SCHOOL_PEOPLE:
        text = m.client.get("/dropouts/").content.decode()
        m.check("dropout_list", "lists A1's case", m.user in SEES_CASE, "辍学甲" in text)


def check_dropout_bureau(m):
    add_dropout(m.world)
    m.check("dropout_bureau", "page", _expect(m, OVERSEERS), _status(m, "/dropouts/bureau/"))
    if m.user in OVERSEERS:
        text = m.client.get("/dropouts/bureau/").content.decode()
        m.check("dropout_bureau", "lists A1's case", m.user in SEES_CASE, "辍学甲" in text)


def check_dropout_case(m):
    case = add_dropout(m.world)
    m.check("dropout_case", "A1's case", _case_expect(m, SEES_CASE), _status(m, f"/dropouts/cases/{case.pk}/"))


def check_dropout_notice_pdf(m):
    case = add_dropout(m.world)
    m.check("dropout_notice_pdf", "A1's notice", _case_expect(m, SEES_CASE),
            _status(m, f"/dropouts/cases/{case.pk}/notice.pdf"))


def check_dropout_step_add(m):
    case = add_dropout(m.world)
    before = case.steps.count()
    # An empty form: the page again with its errors for those who log steps; nothing written.
    m.check("dropout_step_add", "empty post", _case_expect(m, LOGS_STEPS),
            _status(m, f"/dropouts/cases/{case.pk}/steps/", "post"))
    m.check("dropout_step_add", "nothing logged", before, case.steps.count())


def check_dropout_return(m):
    case = add_dropout(m.world)
    m.check("dropout_return", "no class", _case_expect(m, CLOSES), _status(m, f"/dropouts/cases/{case.pk}/return/", "post"))
    m.check("dropout_return", "still dropped out", PupilStatus.DROPPED_OUT,
            Pupil.objects.get(pk=case.pupil_id).status)


def check_dropout_aged_out(m):
    case = add_dropout(m.world)
    # The pupil is far from 16: refused with a message (a redirect), the case stays open.
    m.check("dropout_aged_out", "under 16", _case_expect(m, CLOSES, ok=302),
            _status(m, f"/dropouts/cases/{case.pk}/aged-out/", "post"))
    m.check("dropout_aged_out", "still open", DropoutCase.Status.OPEN, DropoutCase.objects.get(pk=case.pk).status)


def check_dropout_absence_add(m):
    for key, allowed in RECORDS_ABSENCE.items():
        m.check("dropout_absence_add", key, _pupil_expect(m, key, allowed),
                _status(m, f"/pupils/{m.pupil(key).pk}/absences/"))


def check_dropout_confirm(m):
    for key, allowed in CONFIRMS.items():
        m.check("dropout_confirm", key, _pupil_expect(m, key, allowed), _status(m, f"/pupils/{m.pupil(key).pk}/dropout/"))


def check_dropout_photo(m):
    case = add_dropout(m.world)
    photo = VisitPhoto.objects.get(step__case=case)
    expected = "login" if m.user is None else (200 if m.user in SEES_CASE else 404)
    m.check("dropout_photo", "A1's home-visit photo", expected, _status(m, f"/dropouts/photos/{photo.pk}/"))


def _api_expect(m, allowed: set, ok: int, sees: set = SEES_CASE):
    """The API's answer: 401 signed out, ``ok`` allowed, 403 seeing without the role, else 404."""
    if m.user is None:
        return 401
    if m.user in allowed:
        return ok
    return 403 if m.user in sees else 404


def check_api_dropout_list(m):
    from tests.test_scoping_matrix import VISIBLE

    case = add_dropout(m.world)
    response = _api(m).get("/api/v1/dropouts/")
    if m.user is None:
        m.check("api-dropout-list", "anonymous", 401, response.status_code)
    else:
        ids = {row["id"] for row in response.json()["results"]}
        m.check("api-dropout-list", "lists A1's case", m.user in SEES_CASE, case.pk in ids)
    # Confirming without ten days of absence: refused by the rule (400) for the pupil's
    # registrar, 403 for others who see the pupil, 404 for the rest; nothing is written.
    for key, allowed in CONFIRMS.items():
        data = {"pupil": m.pupil(key).pk, "ground": "absence", "contacts_tried": "电话"}
        response = _post(m, "/api/v1/dropouts/", data)
        sees = {user for user, keys in VISIBLE.items() if key in keys}
        m.check("api-dropout-list", f"confirm {key}", _api_expect(m, allowed, 400, sees), response.status_code)
    m.check("api-dropout-list", "nothing confirmed", 1, DropoutCase.objects.count())


def check_api_dropout_detail(m):
    from tests.test_scoping_matrix import FULL_RECORD

    case = add_dropout(m.world)
    response = _api(m).get(f"/api/v1/dropouts/{case.pk}/")
    m.check("api-dropout-detail", "A1's case", 401 if m.user is None else (200 if m.user in SEES_CASE else 404),
            response.status_code)
    if response.status_code == 200:
        m.check("api-dropout-detail", "学籍号 only with the full record", m.user in FULL_RECORD,
                response.json()["pupil"]["student_number"] == case.pupil.student_number)


def check_api_dropout_steps(m):
    case = add_dropout(m.world)
    before = case.steps.count()
    response = _post(m, f"/api/v1/dropouts/{case.pk}/steps/", {})
    m.check("api-dropout-steps", "empty post", _api_expect(m, LOGS_STEPS, 400), response.status_code)
    m.check("api-dropout-steps", "nothing logged", before, case.steps.count())


def check_api_dropout_return(m):
    case = add_dropout(m.world)
    response = _post(m, f"/api/v1/dropouts/{case.pk}/return/", {})
    m.check("api-dropout-return", "no class", _api_expect(m, CLOSES, 400), response.status_code)
    m.check("api-dropout-return", "still dropped out", PupilStatus.DROPPED_OUT,
            Pupil.objects.get(pk=case.pupil_id).status)


# Who reads each school's suspected list: its registrar and headmaster, the units above it.
READS_SUSPECTS = {
    "a1": {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"},
    "a3": {"central_a3", "officer_a", "city_officer"},
    "b1": {"registrar_b1", "headmaster_b1", "officer_b", "city_officer"},
}


def check_api_dropout_suspected(m):
    add_dropout(m.world)
    for key, allowed in READS_SUSPECTS.items():
        response = _api(m).get(f"/api/v1/dropouts/suspected/?school={m.world.units[key].pk}")
        expected = 401 if m.user is None else (200 if m.user in allowed else 404)
        m.check("api-dropout-suspected", key, expected, response.status_code)


DROPOUT_ENDPOINTS = {
    "dropouts:dropout_list": check_dropout_list,
    "dropouts:dropout_bureau": check_dropout_bureau,
    "dropouts:dropout_case": check_dropout_case,
    "dropouts:dropout_notice_pdf": check_dropout_notice_pdf,
    "dropouts:dropout_step_add": check_dropout_step_add,
    "dropouts:dropout_return": check_dropout_return,
    "dropouts:dropout_aged_out": check_dropout_aged_out,
    "dropouts:dropout_absence_add": check_dropout_absence_add,
    "dropouts:dropout_confirm": check_dropout_confirm,
    "dropouts:dropout_photo": check_dropout_photo,
    "dropouts_api:api-dropout-list": check_api_dropout_list,
    "dropouts_api:api-dropout-detail": check_api_dropout_detail,
    "dropouts_api:api-dropout-steps": check_api_dropout_steps,
    "dropouts_api:api-dropout-return": check_api_dropout_return,
    "dropouts_api:api-dropout-suspected": check_api_dropout_suspected,
}
