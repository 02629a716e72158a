"""What every scoping-matrix check uses (tests/test_scoping_matrix.py and the apps'
tests/*/scoping_checks.py): a page's status as the matrix's user sees it, an API client signed in
as that user, and the expected answer for a set of users allowed."""

import json
from urllib.parse import unquote_to_bytes

from django.test import Client

from tests.conftest import api_token


def page_status(matrix, url: str, method: str = "get", data=None) -> int | str:
    """The status code, or "login" when an anonymous user is sent to the login page."""
    response = getattr(matrix.client, method)(url, data or {})
    if response.status_code == 302 and response["Location"].startswith("/login/"):
        return "login"
    return response.status_code


def api_client(matrix) -> Client:
    """A client with the matrix user's token: one token per matrix (each costs a code, and a code
    is accepted once)."""
    client = Client()
    if matrix.user:
        if getattr(matrix, "api_token", None) is None:
            matrix.api_token = api_token(matrix.world.user(matrix.user).username)
        client.defaults["HTTP_AUTHORIZATION"] = f"Token {matrix.api_token}"
    return client


def post_json(matrix, url: str, data: dict):
    return api_client(matrix).post(url, json.dumps(data), content_type="application/json")


def expected(matrix, allowed: set, ok=200, elsewhere=403):
    """A page's answer: "login" for the anonymous, ``ok`` for the allowed, ``elsewhere`` for the rest."""
    return "login" if matrix.user is None else (ok if matrix.user in allowed else elsewhere)


def check_withdraw(m, name: str, url: str, sees: set, starter: str) -> None:
    """POST …/withdraw/ of a request: refused (400) for those who see it but did not start it, 404
    for the rest, 401 for the anonymous. Its starter is not asked: that would withdraw it."""
    if m.user == starter:
        return
    response = api_client(m).post(url)
    expected = 401 if m.user is None else (400 if m.user in sees else 404)
    m.check(name, "another's request", expected, response.status_code)


def check_withdraw_of_another_kind(m, name: str, url: str) -> None:
    """POST …/withdraw/ of a request of another kind on a kind's endpoint: there is no such one."""
    response = api_client(m).post(url)
    m.check(name, "another kind's request", 401 if m.user is None else 404, response.status_code)


# The field dimension: what each user sees of a pupil's record ---------------------------------
# The one masking policy (xueji/pupils/visibility.py), written out again: a change of the policy
# must be a change of this table too. Groups: the pupil's ID number (and a G number, which holds
# it), health, disability, household registration (the pupil's 户口 and 户籍地址, the guardians'
# 户口所在地), address, circumstances (留守儿童, 随迁子女, 独生子女, 孤儿), the guardians' ID numbers
# and phones.

FULL, MASKED, HIDDEN = "full", "masked", "hidden"
FIELD_GROUPS = ("id_number", "health", "disability", "hukou", "address", "circumstances", "guardian_id",
                "guardian_phone")
SEES_ALL = dict.fromkeys(FIELD_GROUPS, FULL)
# Head teachers call the parents: the guardians' phones, and the ID number masked; nothing else.
HEAD_TEACHER = {**dict.fromkeys(FIELD_GROUPS, HIDDEN), "id_number": MASKED, "guardian_phone": FULL}
# City and province officers, and whoever sees a pupil without a role at its school (a counterpart
# school on a transfer's page): the ID number masked, nothing else.
SEES_LEAST = {**dict.fromkeys(FIELD_GROUPS, HIDDEN), "id_number": MASKED}
# The matrix's users (tests/conftest.py): what they see of the pupils of each school.
FIELD_RULES = {
    "registrar_a1": {"a1": SEES_ALL},
    "headmaster_a1": {"a1": SEES_ALL},
    "teacher_a1": {"a1": HEAD_TEACHER},
    "registrar_a2": {"a2": SEES_ALL},
    "headmaster_a2": {"a2": SEES_ALL},
    "central_a3": {"a3": SEES_ALL},
    "officer_a": dict.fromkeys(("a1", "a2", "a3"), SEES_ALL),
    "officer_b": dict.fromkeys(("b1", "b2"), SEES_ALL),
    "registrar_b1": {"b1": SEES_ALL},
    "headmaster_b1": {"b1": SEES_ALL},
}


def field_rule(user: str | None, school_key: str) -> dict[str, str]:
    """How ``user`` sees each group of the fields of a pupil of the world's school ``school_key``."""
    return FIELD_RULES.get(user, {}).get(school_key, SEES_LEAST)


# The private details given to the matrix's pupils a1 (in teacher_a1's class) and a1_other (the
# suspension's): each one found nowhere else in the world, so that finding it is a leak.
PRIVATE_PUPILS = ("a1", "a1_other")
PRIVATE = {
    "address": "黄龙路甲壹号院",
    "hukou_address": "东风胡同贰拾号",
    "hukou_division_id": "220581",  # 吉林省通化市梅河口市
    "hukou_type": "2",  # 非农业户口
    "health": "30",  # 有慢性病
    "disability": "1",  # 视力残疾
    "disability_placement": "1",  # 随班就读
    "left_behind": "2",  # 双亲留守儿童
    "orphan": True,
}
PRIVATE_PHONE = "13712345678"  # the first guardian's
PRIVATE_GUARDIAN_DIVISION = "220523"  # 辉南县, both guardians'
# Text that is the private value itself, wherever it is printed (a page, a PDF, a workbook).
PRIVATE_TEXT = {
    "address": ("黄龙路甲壹号院",),
    "hukou": ("东风胡同贰拾号", "梅河口", "辉南"),
    "guardian_phone": (PRIVATE_PHONE,),
}
# A choice's label is on many pages (a form's drop-down, a statistics table): next to its field's
# label it is the pupil's value (on the page, in the field history "label old new", on the card
# "label：value"). Looked for only in what names a private pupil.
# The national form's wording (学生基本信息表: "12.健康状况★", "42.残疾人类型") is matched too.
PRIVATE_PATTERNS = {
    "health": (r"健康状况★?[：:]?(?:健康或良好)?有慢性病",),
    "disability": (r"残疾人?(?:类型)?[：:]?(?:无残疾)?视力残疾", r"就读方式[：:]?(?:不适用)?随班就读"),
    "hukou": (r"户口性质★?[：:]?(?:农业户口)?非农业户口",),
    "circumstances": (r"留守儿童★?[：:]?(?:非留守儿童)?双亲留守儿童", r"孤儿★?[：:]?(?:否|False)?(?:是|True)"),
}


def make_private(world, key: str):
    """Give the world's pupil ``key`` the private details above (through the service, as a school
    corrects a record: the field history holds the change)."""
    from tests.factories import guardian_data
    from xueji.codes import GuardianRelation
    from xueji.pupils.services import pupil_update

    guardians = [
        guardian_data(area="110101", phone=PRIVATE_PHONE, hukou_division_id=PRIVATE_GUARDIAN_DIVISION),
        guardian_data(area="110101", relation=GuardianRelation.MOTHER, hukou_division_id=PRIVATE_GUARDIAN_DIVISION),
    ]
    world.pupils[key] = pupil_update(actor=world.user("registrar_a1"), pupil=world.pupils[key], changes=dict(PRIVATE),
                                     guardians=guardians, reason="核对户口簿")
    return world.pupils[key]


def text_of(content: bytes, content_type: str) -> str | None:
    """What a response shows, as one string without spaces: a page's text, a JSON answer, a PDF's
    words (pdftotext), a workbook's cells (openpyxl); None for anything else (images, zips)."""
    import html
    import re
    from io import BytesIO

    content_type = (content_type or "").split(";")[0].strip()
    if content_type == "application/pdf":
        from tests.pdfs import pdf_words

        return pdf_words(content)
    if content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        from openpyxl import load_workbook

        workbook = load_workbook(BytesIO(content))
        text = " ".join(str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows()
                        for cell in row if cell.value is not None)
    elif content_type == "application/json":
        text = json.dumps(json.loads(content or b"null"), ensure_ascii=False)
    elif content_type.startswith("text/"):
        text = html.unescape(re.sub(r"<[^>]+>", "", content.decode("utf-8", "replace")))
    else:
        return None
    return "".join(text.split())


def _masked_phone(phone: str) -> str:
    return phone[:3] + "*" * (len(phone) - 7) + phone[-4:]


def text_field_states(text: str, pupil) -> dict[str, str]:
    """How a text (text_of) shows each group of a private pupil: FULL, MASKED or HIDDEN (not
    found, or "***")."""
    import re

    from xueji.identity import mask_id_number

    guardian_ids = [g.id_number for g in pupil.guardians.all()]
    states = dict.fromkeys(FIELD_GROUPS, HIDDEN)
    if pupil.id_number in text:
        states["id_number"] = FULL
    elif mask_id_number(pupil.id_number) in text:
        states["id_number"] = MASKED
    if any(number in text for number in guardian_ids):
        states["guardian_id"] = FULL
    elif any(mask_id_number(number) in text for number in guardian_ids):
        states["guardian_id"] = MASKED
    if PRIVATE_PHONE in text:
        states["guardian_phone"] = FULL
    elif _masked_phone(PRIVATE_PHONE) in text:
        states["guardian_phone"] = MASKED
    for group in ("health", "disability", "hukou", "address", "circumstances"):
        if any(value in text for value in PRIVATE_TEXT.get(group, ())) or any(
            re.search(pattern, text) for pattern in PRIVATE_PATTERNS.get(group, ())
        ):
            states[group] = FULL
    return states


# An API answer carries codes ("health": "30"): its groups are read from its keys.
API_PUPIL_KEYS = {
    "health": ("health",),
    "disability": ("disability", "disability_placement"),
    "hukou": ("hukou_division", "hukou_type", "hukou_address"),
    "address": ("address",),
    "circumstances": ("left_behind", "migrant_child", "only_child", "orphan"),
}


def api_field_states(data: dict, pupil) -> dict[str, str]:
    """How a pupil's API answer shows each group: a key left out is HIDDEN, the record's value
    FULL, anything else (a masked value, "***") MASKED."""
    from xueji.identity import mask_id_number

    def state(present: list[tuple]) -> str:
        if not present:
            return HIDDEN
        return FULL if any(value == raw for value, raw in present) else MASKED

    guardians = {g.position: g for g in pupil.guardians.all()}
    states = {}
    number = data.get("id_number")
    states["id_number"] = (HIDDEN if number is None else FULL if number == pupil.id_number
                           else MASKED if number == mask_id_number(pupil.id_number) else "changed")
    for group, keys in API_PUPIL_KEYS.items():
        present = []
        for key in keys:
            for name in (key, f"{key}_label"):
                if name in data:
                    raw = getattr(pupil, f"{key}_id" if key == "hukou_division" else key)
                    present.append((data[name], raw))
        states[group] = state(present)
    rows = data.get("guardians") or []
    for group, key in (("guardian_id", "id_number"), ("guardian_phone", "phone")):
        states[group] = state([(row[key], getattr(guardians[row["position"]], key)) for row in rows if key in row])
    division = [(row["hukou_division"], guardians[row["position"]].hukou_division_id) for row in rows
                if "hukou_division" in row]
    if division and states["hukou"] != FULL:
        states["hukou"] = state(division)
    return states


def check_field_states(m, endpoint: str, pupil_key: str, states: dict[str, str], shows=FIELD_GROUPS) -> None:
    """Each group the document ``shows`` of the world's pupil is shown as the policy says for the
    matrix's user (in full, masked or not at all); the others are never shown in full unless the
    user may."""
    rule = field_rule(m.user, school_key_of(m.world, m.pupil(pupil_key)))
    for group in FIELD_GROUPS:
        if group in shows:
            m.check(endpoint, f"{pupil_key} {group}", rule[group], states[group])
        elif rule[group] != FULL:
            m.check(endpoint, f"{pupil_key} {group} not in full", False, states[group] == FULL)


def school_key_of(world, pupil) -> str | None:
    return next((key for key, unit in world.units.items() if unit.pk == pupil.school_id), None)


class ResponseLog:
    """Every response a test's clients (pages and API) received, for reading them all afterwards,
    with what the request sent (its query string and body: a number the user typed or a file name
    in an uploaded zip, echoed back, is not a leak)."""

    def __init__(self):
        self.responses: list[tuple[str, str, bytes, bytes]] = []  # (path, content type, content, sent)

    def install(self, monkeypatch) -> "ResponseLog":
        from django.test.client import Client as DjangoClient

        original = DjangoClient.request
        log = self

        def request(self, **request):
            payload = request.get("wsgi.input")
            sent = request.get("QUERY_STRING", "").encode() + b" " + (
                payload._FakePayload__content.getvalue() if payload is not None else b"")
            response = original(self, **request)
            if not getattr(response, "streaming", False):
                log.responses.append((request.get("PATH_INFO", ""), response.get("Content-Type", ""), response.content,
                                      unquote_to_bytes(sent)))
            return response

        monkeypatch.setattr(DjangoClient, "request", request)
        return self


def forbidden_texts(world, user: str | None) -> dict[str, str]:
    """What may never reach ``user`` in full, whatever the page: the ID numbers of the pupils (and
    of enrolment and admission entries) of the schools where the user sees them masked, their
    guardians' ID numbers where the user does not see those, and the private pupils' address,
    household registration and first guardian's phone where the user does not see those. Text →
    what it is."""
    from enrollment.admission.models import AdmissionEntry
    from enrollment.intake.models import EnrolmentEntry
    from xueji.pupils.models import Guardian, Pupil

    keys = {unit.pk: key for key, unit in world.units.items()}
    allowed, forbidden = set(), {}

    def sort(number: str, school_id: int, group: str, what: str) -> None:
        if not number:
            return
        if field_rule(user, keys.get(school_id))[group] == FULL:
            allowed.add(number)
        else:
            forbidden[number] = what

    for pupil in Pupil.objects.all():
        sort(pupil.id_number, pupil.school_id, "id_number", f"{pupil.name}的身份证件号")
    for guardian in Guardian.objects.select_related("pupil"):
        sort(guardian.id_number, guardian.pupil.school_id, "guardian_id", f"{guardian.pupil.name}的监护人身份证件号")
    for model in (EnrolmentEntry, AdmissionEntry):
        for entry in model.objects.all():
            sort(entry.id_number, entry.school_id, "id_number", f"{entry.name}（{model.__name__}）的身份证件号")
    found = {number: what for number, what in forbidden.items() if number not in allowed}
    rule = field_rule(user, "a1")  # the private pupils' school
    for group, texts in PRIVATE_TEXT.items():
        if rule[group] != FULL:
            found.update({text: f"私密信息（{group}）" for text in texts})
    return found


def check_fields_everywhere(m, log: ResponseLog) -> None:
    """Nothing the matrix's user received (every page, API answer, PDF and workbook of every check)
    shows in full what the user may not see: forbidden_texts, and, in what names a private pupil,
    the private choices next to their labels."""
    import re

    forbidden = forbidden_texts(m.world, m.user)
    rule = field_rule(m.user, "a1")
    names = [m.pupil(key).name for key in PRIVATE_PUPILS]
    patterns = [(group, pattern) for group, group_patterns in PRIVATE_PATTERNS.items() if rule[group] != FULL
                for pattern in group_patterns]
    seen = set()
    for path, content_type, content, sent in log.responses:
        if (content_type, content, sent) in seen:
            continue
        seen.add((content_type, content, sent))
        text = text_of(content, content_type)
        if not text:
            continue
        for value, what in forbidden.items():
            if value.encode() not in sent:  # not what the user sent
                m.check("fields", f"{path}: {what}", False, value in text)
        if any(name in text for name in names):
            for group, pattern in patterns:
                m.check("fields", f"{path}: {group} ({pattern})", False, bool(re.search(pattern, text)))
