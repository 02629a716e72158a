"""The pages and API endpoints of dropouts/ in the scoping matrix (tests/test_scoping_matrix.py).

The data (add_dropout): at school A1 a pupil 辍学甲 (class A1-3(1)) confirmed as a dropout
(left for abroad without applying), with a home visit (one photo) and a written return notice
logged. A1's registrar and headmaster and the bureaus above A1 see the case and its photo; A1's
registrar closes it, its headmaster logs steps too. Absences are recorded by the pupil's head
teacher or the school's registrar; a dropout is confirmed by the school's registrar. A school's
suspected list is read by the people who see its cases. Outside one's scope: 404; in scope
without the role: 403 (the API: 401 when not signed in). The posts here are refused by
validation, so nothing changes state."""

from datetime import date, timedelta

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


# The ledgers (dropouts/ledgers.py, ledger_views.py): read by a school's registrar and headmaster
# (their school) and central schools and bureaus (their schools); A1's 适龄未入学 row and A1's
# monthly report are seen by SEES_CASE. Attempts are logged by LOGS_STEPS, rows closed by CLOSES.
LEDGER_READERS = SCHOOL_PEOPLE | OVERSEERS
MAKES_REPORT = {"registrar_a1", "registrar_a2", "registrar_b1"}


def add_ledger(world):
    """A1's 适龄未入学 row and A1's monthly report, made once per world."""
    if getattr(world, "ledger_entry", None) is None:
        from dropouts import reports
        from dropouts.models import LedgerEntry, LedgerKind

        from enrollment.admission.models import AdmissionEntry
        from tests.factories import id_number

        today = timezone.localdate()
        born = date(today.year - 8, 5, 5)
        admitted = AdmissionEntry.objects.create(
            school=world.units["a1"], intake_year=today.year - 1, name="未入学甲", gender="2", birth_date=born,
            id_type="1", id_number=id_number("220122", born, "2"), imported_by=world.user("officer_a"),
        )
        # Making the report brings A1's ledgers up to date: the admitted child is on 适龄未入学.
        world.dropout_report = reports.report_make(actor=world.user("registrar_a1"), school=world.units["a1"],
                                                   month=today.replace(day=1))
        world.ledger_entry = LedgerEntry.objects.get(admission_id=admitted.pk, kind=LedgerKind.NOT_ENROLLED)
    return world.ledger_entry


def check_ledger_list(m):
    add_dropout(m.world)
    add_ledger(m.world)
    m.check("ledger_list", "page", _expect(m, LEDGER_READERS), _status(m, "/dropouts/ledgers/?kind=not_enrolled"))
    if m.user in LEDGER_READERS:
        text = m.client.get("/dropouts/ledgers/?kind=not_enrolled").content.decode()
        m.check("ledger_list", "lists A1's row", m.user in SEES_CASE, "未入学甲" in text)


def check_ledger_refresh(m):
    m.check("ledger_refresh", "post", _expect(m, LEDGER_READERS, ok=302), _status(m, "/dropouts/ledgers/refresh/", "post"))


def check_ledger_entry(m):
    entry = add_ledger(m.world)
    expected = "login" if m.user is None else (200 if m.user in SEES_CASE else 404)
    m.check("ledger_entry", "A1's row", expected, _status(m, f"/dropouts/ledgers/{entry.pk}/"))


def check_ledger_attempt_add(m):
    entry = add_ledger(m.world)
    before = entry.attempts.count()
    m.check("ledger_attempt_add", "empty post", _case_expect(m, LOGS_STEPS),
            _status(m, f"/dropouts/ledgers/{entry.pk}/attempts/", "post"))
    m.check("ledger_attempt_add", "nothing logged", before, entry.attempts.count())


def check_ledger_close(m):
    entry = add_ledger(m.world)
    m.check("ledger_close", "empty post", _case_expect(m, CLOSES), _status(m, f"/dropouts/ledgers/{entry.pk}/close/", "post"))
    entry.refresh_from_db()
    m.check("ledger_close", "still open", True, entry.is_open)


def check_report_list(m):
    add_ledger(m.world)
    m.check("report_list", "page", _expect(m, LEDGER_READERS), _status(m, "/dropouts/monthly/"))


def check_report_make(m):
    m.check("report_make", "empty post", _expect(m, MAKES_REPORT), _status(m, "/dropouts/monthly/make/", "post"))


def check_report_detail(m):
    add_ledger(m.world)
    report = m.world.dropout_report
    expected = "login" if m.user is None else (200 if m.user in SEES_CASE else 404)
    m.check("report_detail", "A1's report", expected, _status(m, f"/dropouts/monthly/{report.pk}/"))


def check_report_sign(m):
    add_ledger(m.world)
    report = m.world.dropout_report
    m.check("report_sign", "A1's report", _case_expect(m, {"headmaster_a1"}, ok=302),
            _status(m, f"/dropouts/monthly/{report.pk}/sign/", "post"))
    report.refresh_from_db()
    m.check("report_sign", "signed by the headmaster only", m.user == "headmaster_a1" or report.signed_by is None
            or report.signed_by.username == "headmaster_a1", True)


def check_report_pdf(m):
    add_ledger(m.world)
    report = m.world.dropout_report
    expected = "login" if m.user is None else (200 if m.user in SEES_CASE else 404)
    m.check("report_pdf", "A1's report", expected, _status(m, f"/dropouts/monthly/{report.pk}/print.pdf"))


def check_review(m):
    add_ledger(m.world)
    m.check("review", "page", _expect(m, OVERSEERS), _status(m, "/dropouts/review/"))
    if m.user in OVERSEERS:
        text = m.client.get("/dropouts/review/").content.decode()
        m.check("review", "A1's monthly report listed", m.user in SEES_CASE, "农安县实验小学" in text)


def check_review_pdf(m):
    m.check("review_pdf", "print", _expect(m, OVERSEERS), _status(m, "/dropouts/review/print.pdf"))


def check_api_dropout_ledgers(m):
    add_dropout(m.world)
    add_ledger(m.world)
    for kind in ("not_enrolled", "suspected", "dropout"):
        response = _api(m).get(f"/api/v1/dropouts/ledgers/?kind={kind}")
        expected = 401 if m.user is None else (200 if m.user in LEDGER_READERS else 403)
        m.check("api-dropout-ledgers", kind, expected, response.status_code)
        if response.status_code == 200 and kind != "suspected":
            names = {row["name"] for row in response.json()["results"]}
            m.check("api-dropout-ledgers", f"{kind}: A1's row", m.user in SEES_CASE, bool(names & {"未入学甲", "辍学甲"}))


DROPOUT_ENDPOINTS = {
    "dropouts:ledger_list": check_ledger_list,
    "dropouts:ledger_refresh": check_ledger_refresh,
    "dropouts:ledger_entry": check_ledger_entry,
    "dropouts:ledger_attempt_add": check_ledger_attempt_add,
    "dropouts:ledger_close": check_ledger_close,
    "dropouts:report_list": check_report_list,
    "dropouts:report_make": check_report_make,
    "dropouts:report_detail": check_report_detail,
    "dropouts:report_sign": check_report_sign,
    "dropouts:report_pdf": check_report_pdf,
    "dropouts:review": check_review,
    "dropouts:review_pdf": check_review_pdf,
    "dropouts_api:api-dropout-ledgers": check_api_dropout_ledgers,
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
