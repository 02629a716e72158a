"""The pages and endpoints of the paper archive and of 学籍核查 in the scoping matrix
(tests/test_scoping_matrix.py: ARCHIVE_ENDPOINTS).

The data, made on first use: A1's class 3(1) roll-called in September 2026 by teacher_a1 and
submitted, with a child on no list (名单外乙, waiting for the registrar). Its window is over on the
day the matrix runs, so the writes checked here are refused before anything changes: a registrar
reopening or marking gets the rule's answer, everyone else the scope's (404) or the part's (403)."""

from datetime import date

from archives.rollcall import services as rollcall
from tests.scoping import api_client as _api
from tests.scoping import page_status as _status
from xueji.pupils.models import Semester

# Who keeps or oversees A1's paper archive and follows its audit (not its head teacher).
SEES_A1_ARCHIVE = {"registrar_a1", "headmaster_a1", "officer_a", "city_officer"}
# Who sees A1 3(1)'s roll-call: the above and the class's head teacher.
SEES_A1_ROLLCALL = SEES_A1_ARCHIVE | {"teacher_a1"}
# Whose paper files each user may open (the pupils they see, at schools whose archive they keep).
PAPER_PUPILS = {
    "registrar_a1": {"a1", "a1_other"}, "headmaster_a1": {"a1", "a1_other"}, "teacher_a1": set(),
    "registrar_a2": {"a2"}, "headmaster_a2": {"a2"}, "central_a3": {"a3"}, "officer_a": {"a1", "a1_other", "a2", "a3"},
    "officer_b": {"b1"}, "registrar_b1": {"b1"}, "headmaster_b1": {"b1"}, "city_officer": {"a1", "a1_other", "a2", "a3", "b1"},
    "admin": set(), None: set(),
}
SCHOOL_PEOPLE = {"registrar_a1", "headmaster_a1", "registrar_a2", "headmaster_a2", "registrar_b1", "headmaster_b1"}
UNLISTED = "名单外乙"
PUPILS = ["a1", "a1_other", "a2", "a3", "b1"]


def add_rollcall(world):
    """The matrix's roll-call, made once per world."""
    if getattr(world, "rollcall", None) is None:
        school_class = world.classes["a1_3_1"]
        semester = Semester.objects.get_or_create(
            school_year=school_class.school_year, term=Semester.Term.FIRST,
            defaults={"start_date": date(2026, 9, 1), "end_date": date(2027, 1, 22)},
        )[0]
        day, teacher = date(2026, 9, 10), world.user("teacher_a1")
        roll_call = rollcall.rollcall_open(actor=teacher, school_class=school_class, today=day)
        rollcall.rollcall_entries_mark(actor=teacher, roll_call=roll_call, today=day,
                                       marks=[rollcall.EntryMark(e.pk, True) for e in roll_call.entries.all()])
        entry = rollcall.rollcall_unlisted_add(actor=teacher, roll_call=roll_call, name=UNLISTED, today=day)
        world.rollcall = rollcall.rollcall_finish(actor=teacher, roll_call=roll_call, today=day)
        world.rollcall_entry, world.semester = entry, semester
    return world.rollcall


def _page(m, allowed: set, ok=200, elsewhere=404):
    return "login" if m.user is None else (ok if m.user in allowed else elsewhere)


def _api_expected(m, allowed: set, ok=200, elsewhere=404):
    return 401 if m.user is None else (ok if m.user in allowed else elsewhere)


# Paper archive -----------------------------------------------------------------------------

def check_paper_overview(m):
    if m.user is None:
        expected = "login"
    elif m.user in SCHOOL_PEOPLE or m.user == "central_a3":
        expected = 302  # their one school's page
    elif m.user in ("officer_a", "officer_b", "city_officer"):
        expected = 200
    else:
        expected = 403  # a head teacher keeps no paper files; the administrator sees no records
    m.check("paper_overview", "page", expected, _status(m, "/archives/paper/"))


def check_paper_school(m):
    url = f"/archives/paper/schools/{m.world.units['a1'].pk}/"
    m.check("paper_school", "A1", _page(m, SEES_A1_ARCHIVE), _status(m, url))


def check_paper_class(m):
    url = f"/archives/paper/classes/{m.world.classes['a1_3_1'].pk}/"
    m.check("paper_class", "A1 3(1)", _page(m, SEES_A1_ARCHIVE), _status(m, url))
    # A bulk mark without an action: the form again for the registrar, 403 for those who only read.
    expected = _page(m, SEES_A1_ARCHIVE, elsewhere=404)
    if expected == 200 and m.user != "registrar_a1":
        expected = 403
    m.check("paper_class", "bulk without an action", expected, _status(m, url, "post", {"scope": "class"}))


def check_paper_pupil(m):
    for key in PUPILS:
        url = f"/archives/paper/pupils/{m.pupil(key).pk}/"
        m.check("paper_pupil", key, _page(m, {m.user} if key in PAPER_PUPILS[m.user] else set()), _status(m, url))
    # Marking an item the file need not hold: refused (400) for A1's registrar, 403 for readers.
    allowed = {u for u, keys in PAPER_PUPILS.items() if "a1" in keys}
    expected = _page(m, allowed)
    if expected == 200:
        expected = 400 if m.user == "registrar_a1" else 403
    m.check("paper_pupil", "mark a1", expected,
            _status(m, f"/archives/paper/pupils/{m.pupil('a1').pk}/", "post", {"key": ["nope"], "state-0": "present"}))


def check_api_checklist_list(m):
    response = _api(m).get("/api/v1/archive-checklists/?page_size=500")
    if m.user is None:
        m.check("api-archive-checklist-list", "anonymous", 401, response.status_code)
        return
    ids = {row["pupil"] for row in response.json()["results"]}
    for key in PUPILS:
        m.check("api-archive-checklist-list", f"lists {key}", key in PAPER_PUPILS[m.user], m.pupil(key).pk in ids)


def check_api_checklist_detail(m):
    client = _api(m)
    for key in PUPILS:
        response = client.get(f"/api/v1/archive-checklists/{m.pupil(key).pk}/")
        m.check("api-archive-checklist-detail", key, _api_expected(m, {m.user} if key in PAPER_PUPILS[m.user] else set()),
                response.status_code)
    response = client.patch(f"/api/v1/archive-checklists/{m.pupil('a1').pk}/", '{"items": {"nope": true}}',
                            content_type="application/json")
    expected = _api_expected(m, {u for u, keys in PAPER_PUPILS.items() if "a1" in keys})
    if expected == 200:
        expected = 400 if m.user == "registrar_a1" else 403
    m.check("api-archive-checklist-detail", "mark a1", expected, response.status_code)


def check_api_checklist_bulk(m):
    response = _api(m).post("/api/v1/archive-checklists/bulk/", f'{{"pupils": [{m.pupil("a1").pk}], "bulk_action": "nope"}}',
                            content_type="application/json")
    expected = _api_expected(m, SEES_A1_ARCHIVE)
    if expected == 200:
        expected = 400 if m.user == "registrar_a1" else 403
    m.check("api-archive-checklist-bulk", "A1's pupil", expected, response.status_code)


def check_api_checklist_completeness(m):
    response = _api(m).get("/api/v1/archive-checklists/completeness/")
    if m.user is None:
        m.check("api-archive-checklist-completeness", "anonymous", 401, response.status_code)
        return
    labels = {row["label"] for row in response.json()}
    m.check("api-archive-checklist-completeness", "A1's row", m.user in SEES_A1_ARCHIVE, "农安县实验小学" in labels)
    response = _api(m).get(f"/api/v1/archive-checklists/completeness/?school={m.world.units['a1'].pk}")
    m.check("api-archive-checklist-completeness", "A1's classes", _api_expected(m, SEES_A1_ARCHIVE), response.status_code)


# 学籍核查 -------------------------------------------------------------------------------------

def check_rollcall_overview(m):
    add_rollcall(m.world)
    if m.user is None:
        expected = "login"
    elif m.user in SCHOOL_PEOPLE:
        expected = 302  # their school's progress
    elif m.user in ("teacher_a1", "central_a3", "officer_a", "officer_b", "city_officer"):
        expected = 200
    else:
        expected = 403
    m.check("rollcall_overview", "page", expected, _status(m, "/archives/rollcalls/"))


def check_rollcall_school(m):
    add_rollcall(m.world)
    url = f"/archives/rollcalls/schools/{m.world.units['a1'].pk}/?semester={m.world.semester.pk}"
    status = _status(m, url)
    m.check("rollcall_school", "A1", _page(m, SEES_A1_ARCHIVE), status)
    if status == 200:
        m.check("rollcall_school", "lists the child on no list", True, UNLISTED in m.client.get(url).content.decode())


def check_rollcall_report(m):
    add_rollcall(m.world)
    url = f"/archives/rollcalls/schools/{m.world.units['a1'].pk}/report.pdf?semester={m.world.semester.pk}"
    m.check("rollcall_report", "A1", _page(m, SEES_A1_ARCHIVE), _status(m, url))


def check_rollcall_class(m):
    add_rollcall(m.world)
    url = f"/archives/rollcalls/classes/{m.world.classes['a1_3_1'].pk}/"
    m.check("rollcall_class", "A1 3(1)", _page(m, SEES_A1_ROLLCALL), _status(m, url))
    # The page only reads: its actions post to their own URLs.
    m.check("rollcall_class", "POST is refused", 405 if m.user else "login",
            _status(m, url, "post", {"action": "save"}))


def _rollcall_action(m, name: str, url: str, data: dict | None = None, *, caller=400):
    """An action of the class's head teacher on the submitted roll-call: refused for the head
    teacher (``caller``: 400, it is submitted), 403 for those who only read it, 404 elsewhere; a
    GET is refused (405); nothing changes."""
    roll_call = add_rollcall(m.world)
    lines = roll_call.entries.count()
    expected = _page(m, SEES_A1_ROLLCALL)
    if expected == 200:
        expected = caller if m.user == "teacher_a1" else 403
    m.check(name, "A1 3(1), submitted", expected, _status(m, url, "post", data))
    m.check(name, "GET is refused", 405 if m.user else "login", _status(m, url))
    roll_call.refresh_from_db()
    m.check(name, "still submitted", ("done", lines), (roll_call.status, roll_call.entries.count()))


def check_rollcall_start(m):
    # Started already: its head teacher is sent back to the page as it is.
    url = f"/archives/rollcalls/classes/{m.world.classes['a1_3_1'].pk}/start/"
    _rollcall_action(m, "rollcall_start", url, caller=302)


def check_rollcall_refresh(m):
    _rollcall_action(m, "rollcall_refresh", f"/archives/rollcalls/{add_rollcall(m.world).pk}/refresh/")


def check_rollcall_save(m):
    _rollcall_action(m, "rollcall_save", f"/archives/rollcalls/{add_rollcall(m.world).pk}/save/")


def check_rollcall_rest_present(m):
    _rollcall_action(m, "rollcall_rest_present", f"/archives/rollcalls/{add_rollcall(m.world).pk}/rest-present/")


def check_rollcall_finish(m):
    _rollcall_action(m, "rollcall_finish", f"/archives/rollcalls/{add_rollcall(m.world).pk}/finish/")


def check_rollcall_unlisted_add(m):
    url = f"/archives/rollcalls/{add_rollcall(m.world).pk}/unlisted/"
    _rollcall_action(m, "rollcall_unlisted_add", url, {"name": "名单外丙"})


def check_rollcall_unlisted_remove(m):
    add_rollcall(m.world)
    _rollcall_action(m, "rollcall_unlisted_remove", f"/archives/rollcalls/entries/{m.world.rollcall_entry.pk}/remove/")


def check_rollcall_reopen(m):
    roll_call = add_rollcall(m.world)
    expected = _page(m, SEES_A1_ROLLCALL)
    if expected == 200:
        expected = 302 if m.user == "registrar_a1" else 403  # the registrar is told the window is over
    m.check("rollcall_reopen", "A1 3(1)", expected, _status(m, f"/archives/rollcalls/{roll_call.pk}/reopen/", "post"))
    roll_call.refresh_from_db()
    m.check("rollcall_reopen", "still submitted", "done", roll_call.status)


def check_rollcall_entry_handle(m):
    add_rollcall(m.world)
    entry = m.world.rollcall_entry
    expected = _page(m, SEES_A1_ROLLCALL)
    if expected == 200:
        expected = 302 if m.user == "registrar_a1" else 403  # the registrar is asked for the note
    m.check("rollcall_entry_handle", "A1's child on no list", expected,
            _status(m, f"/archives/rollcalls/entries/{entry.pk}/handle/", "post", {"note": ""}))
    entry.refresh_from_db()
    m.check("rollcall_entry_handle", "not handled", None, entry.handled_at)


def check_api_rollcall_list(m):
    roll_call = add_rollcall(m.world)
    response = _api(m).get("/api/v1/rollcalls/")
    if m.user is None:
        m.check("api-rollcall-list", "anonymous", 401, response.status_code)
        return
    ids = {row["id"] for row in response.json()["results"]}
    m.check("api-rollcall-list", "lists A1 3(1)", m.user in SEES_A1_ROLLCALL, roll_call.pk in ids)
    # Opening another class's roll-call (a2's): not found outside the scope, 403 for readers.
    response = _api(m).post("/api/v1/rollcalls/", f'{{"school_class": {m.world.classes["a2_8_1"].pk}}}', content_type="application/json")
    # (A2's class has no head teacher: its registrar calls its roll, and is told the window is over.)
    expected = {"registrar_a2": 400, "headmaster_a2": 403, "officer_a": 403, "city_officer": 403}.get(m.user, 404)
    m.check("api-rollcall-list", "open A2's class", expected, response.status_code)


def check_api_rollcall_detail(m):
    roll_call = add_rollcall(m.world)
    m.check("api-rollcall-detail", "A1 3(1)", _api_expected(m, SEES_A1_ROLLCALL), _api(m).get(f"/api/v1/rollcalls/{roll_call.pk}/").status_code)


def check_api_rollcall_finish(m):
    roll_call = add_rollcall(m.world)
    expected = _api_expected(m, SEES_A1_ROLLCALL)
    if expected == 200:
        expected = 400 if m.user == "teacher_a1" else 403
    m.check("api-rollcall-finish", "A1 3(1)", expected, _api(m).post(f"/api/v1/rollcalls/{roll_call.pk}/finish/").status_code)


def check_api_rollcall_reopen(m):
    roll_call = add_rollcall(m.world)
    expected = _api_expected(m, SEES_A1_ROLLCALL)
    if expected == 200:
        expected = 400 if m.user == "registrar_a1" else 403  # the window is over
    m.check("api-rollcall-reopen", "A1 3(1)", expected, _api(m).post(f"/api/v1/rollcalls/{roll_call.pk}/reopen/").status_code)


def check_api_rollcall_progress(m):
    add_rollcall(m.world)
    response = _api(m).get(f"/api/v1/rollcalls/progress/?semester={m.world.semester.pk}")
    if m.user is None:
        m.check("api-rollcall-progress", "anonymous", 401, response.status_code)
        return
    rows = {row["school_name"]: row for row in response.json()}
    m.check("api-rollcall-progress", "A1's row", m.user in SEES_A1_ARCHIVE, "农安县实验小学" in rows)


def check_api_rollcall_entry_list(m):
    add_rollcall(m.world)
    response = _api(m).get("/api/v1/rollcall-entries/")
    if m.user is None:
        m.check("api-rollcall-entry-list", "anonymous", 401, response.status_code)
        return
    names = {row["name"] for row in response.json()["results"]}
    m.check("api-rollcall-entry-list", "lists A1's child on no list", m.user in SEES_A1_ROLLCALL, UNLISTED in names)


def check_api_rollcall_entry_detail(m):
    add_rollcall(m.world)
    entry = m.world.rollcall_entry
    client = _api(m)
    m.check("api-rollcall-entry-detail", "A1's child on no list", _api_expected(m, SEES_A1_ROLLCALL),
            client.get(f"/api/v1/rollcall-entries/{entry.pk}/").status_code)
    expected = _api_expected(m, SEES_A1_ROLLCALL)
    if expected == 200:
        expected = 400 if m.user == "teacher_a1" else 403
    m.check("api-rollcall-entry-detail", "mark", expected,
            client.patch(f"/api/v1/rollcall-entries/{entry.pk}/", '{"present": true}', content_type="application/json").status_code)


def check_api_rollcall_entry_handle(m):
    add_rollcall(m.world)
    entry = m.world.rollcall_entry
    expected = _api_expected(m, SEES_A1_ROLLCALL)
    if expected == 200:
        expected = 400 if m.user == "registrar_a1" else 403  # a note is needed
    response = _api(m).post(f"/api/v1/rollcall-entries/{entry.pk}/handle/", '{"note": ""}', content_type="application/json")
    m.check("api-rollcall-entry-handle", "A1's child on no list", expected, response.status_code)


PAPER_ENDPOINTS = {
    "archives:paper_overview": check_paper_overview,
    "archives:paper_school": check_paper_school,
    "archives:paper_class": check_paper_class,
    "archives:paper_pupil": check_paper_pupil,
    "archives_api:api-archive-checklist-list": check_api_checklist_list,
    "archives_api:api-archive-checklist-detail": check_api_checklist_detail,
    "archives_api:api-archive-checklist-bulk": check_api_checklist_bulk,
    "archives_api:api-archive-checklist-completeness": check_api_checklist_completeness,
}
ROLLCALL_ENDPOINTS = {
    "archives:rollcall_overview": check_rollcall_overview,
    "archives:rollcall_school": check_rollcall_school,
    "archives:rollcall_report": check_rollcall_report,
    "archives:rollcall_class": check_rollcall_class,
    "archives:rollcall_start": check_rollcall_start,
    "archives:rollcall_refresh": check_rollcall_refresh,
    "archives:rollcall_save": check_rollcall_save,
    "archives:rollcall_rest_present": check_rollcall_rest_present,
    "archives:rollcall_finish": check_rollcall_finish,
    "archives:rollcall_unlisted_add": check_rollcall_unlisted_add,
    "archives:rollcall_unlisted_remove": check_rollcall_unlisted_remove,
    "archives:rollcall_reopen": check_rollcall_reopen,
    "archives:rollcall_entry_handle": check_rollcall_entry_handle,
    "archives_api:api-rollcall-list": check_api_rollcall_list,
    "archives_api:api-rollcall-detail": check_api_rollcall_detail,
    "archives_api:api-rollcall-finish": check_api_rollcall_finish,
    "archives_api:api-rollcall-reopen": check_api_rollcall_reopen,
    "archives_api:api-rollcall-progress": check_api_rollcall_progress,
    "archives_api:api-rollcall-entry-list": check_api_rollcall_entry_list,
    "archives_api:api-rollcall-entry-detail": check_api_rollcall_entry_detail,
    "archives_api:api-rollcall-entry-handle": check_api_rollcall_entry_handle,
}


ARCHIVE_ENDPOINTS = {**PAPER_ENDPOINTS, **ROLLCALL_ENDPOINTS}
