"""学籍卡 (the registration card): one A4 page per pupil with the photo, the identity, the numbers
(current and former), the guardians, the school, the history of changes and the boxes for the
registrar's and the headmaster's signatures and the school's stamp.

- One pupil at once, or a class as one PDF (one HTML with a page break between cards):
  ``class_pupils`` (or a pupil's own queryset) chooses them, ``pupils_for_cards`` loads
  them, ``cards_pdf`` prints them (xueji/documents/views.py).
- A grade or a whole school leaves only through an export request (xueji/documents/exports.py,
  kind "school_cards"): ``cards_pdf`` with the export's masking (``visibility_of``) and its
  watermark in every page's footer, in the worker's follow-up.
- A class's cards are a background job (``ClassCardsJob``, xueji/documents/jobs.py: a Celery
  worker prints them with a progress bar, the PDF kept while nothing it shows has changed:
  ``cards_fingerprint``); one pupil's card prints at once.

Pupils are loaded in a constant number of queries whatever their number (``pupils_for_cards``).
Numbers, the household, address, health and circumstances and the guardians' ID numbers and
phones are printed as the printing user sees them on the pupil's page (xueji.pupils.visibility):
the ID number masked, a box the user may not see printed "***".
The caller scopes: it loads the pupils, the class or the school through the ``*_for_user``
helpers (404 outside the user's scope).
"""

import hashlib
import logging
from dataclasses import dataclass, field
from datetime import date

from django.contrib.postgres.aggregates import ArrayAgg, StringAgg
from django.db.models import Count, Max, Prefetch, Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone

from xueji.accounts.models import BUREAU_ROLES, Role, Unit, User
from xueji.accounts.scoping import memberships_of
from xueji.approvals.models import ChangeRequest, RequestStatus
from xueji.codes import NumberKind, PupilStatus
from xueji.documents.jobs import DocumentJobKind, JobTarget
from xueji.documents.printing import PrintedPdf, print_pdf, printed_pupil
from xueji.pupils.models import Guardian, Pupil, SchoolClass, StatusChange, StudentNumber
from xueji.pupils.models.pupils import GuardianEvent, PupilEvent
from xueji.pupils.national_record import family_members, pupil_groups
from xueji.pupils.scoping import get_class_for_user, pupils_visible_to
from xueji.pupils.visibility import MASK, Visibility, visibility_for

logger = logging.getLogger(__name__)

CARD_TEMPLATE = "documents/registration_card.html"
MASKED = MASK
# On the card's page in school: what the roster prints (xueji.web.views.class_roster).
IN_SCHOOL = [PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.VISITING]
# What fits on the page below the rest (the newest are printed; the rest: "其余见系统").
HISTORY_ROWS = 8
GUARDIAN_ROWS = 2  # at least (empty rows to fill in by hand), at most GUARDIAN_ROWS_MAX
# The national form's 成员1 and 成员2, each with a line for 现住址 and 职务: a third member would
# push a card with a full history onto a second page (the rest: "其余见系统").
GUARDIAN_ROWS_MAX = 2
FORMER_NUMBERS_PRINTED = 3
HISTORY_TEXT_CHARS = 56  # one line of the history's 162 mm at 8 pt; longer is cut ("…")
# Text longer than its cell holds at 9 pt is set smaller ("long" 7.5 pt, "longer" 6.5 pt in
# print.css, .reg-card) so that the card stays one page: the characters of a value (after its
# label) that fit the cell in two lines at 9 pt, and in three lines at 7.5 pt. The cells' widths
# are in print.css: 48 mm (a third of the row beside the photo), 96 mm (two thirds), 182 mm.
CELL_LIMITS = {
    "name": (24, 40), "former_name": (24, 40), "pinyin": (40, 70), "division": (24, 40), "hukou": (50, 90),
    "address": (100, 130), "national_address": (30, 60),
}
GUARDIAN_LIMITS = {"name": (18, 30), "workplace": (26, 38), "division": (20, 24), "address": (90, 130)}
# Longer than this is cut ("…", the whole text is in the system): three lines at 6.5 pt.
PINYIN_CHARS = 90
GUARDIAN_NAME_CHARS = 24
WORKPLACE_CHARS = 45
RELATION_NOTE_CHARS = 10
JOB_TITLE_CHARS = 12
# The national form's items the card adds are cut to what fits their line or two (the whole text
# is in the system): a member's 现住址 on a line under the member, 通信地址 and 家庭地址 side by side.
GUARDIAN_ADDRESS_CHARS = 32
NATIONAL_ADDRESS_CHARS = 50
# Bump when the card's layout changes: cached PDFs of grades and schools are then printed again.
CARD_LAYOUT_VERSION = 2  # 2: the national form's items (政治面貌, 联系电话, 通信地址 …)
# Roles that see a whole school: they may print a grade's or the school's cards.
SCHOOL_WIDE_ROLES = {Role.REGISTRAR, Role.HEADMASTER}
SUBTREE_ROLES = {Role.CENTRAL_REGISTRAR, *BUREAU_ROLES}


# Loading --------------------------------------------------------------------------------------

def pupils_for_cards(pupils: QuerySet[Pupil]) -> list[Pupil]:
    """The pupils of a queryset the caller has scoped, with everything the card prints, in five
    queries however many: the pupils with their divisions, school and class; their guardians
    (with divisions); their numbers; their status changes (with schools); their approved
    requests. Each pupil gets guardians_list, numbers_list, status_list and approved_list."""
    guardians = Guardian.objects.select_related("hukou_division").order_by("pupil_id", "position")
    numbers = StudentNumber.objects.order_by("pupil_id", "assigned_at", "id")
    changes = StatusChange.objects.select_related("school").order_by("pupil_id", "effective_date", "created_at", "id")
    approved = (
        ChangeRequest.objects.filter(status=RequestStatus.APPROVED)
        .defer("payload", "state_before")
        .annotate(reversed_by=KT("payload__reversed_by"))
        .order_by("pupil_id", "finished_at", "id")
    )
    return list(
        pupils.select_related("birthplace", "native_place", "hukou_division", "school", "school_class").prefetch_related(
            Prefetch("guardians", queryset=guardians, to_attr="guardians_list"),
            Prefetch("numbers", queryset=numbers, to_attr="numbers_list"),
            Prefetch("status_changes", queryset=changes, to_attr="status_list"),
            Prefetch("requests", queryset=approved, to_attr="approved_list"),
        )
    )


def class_pupils(user: User, school_class: SchoolClass) -> QuerySet[Pupil]:
    """The pupils of a class in school (as on its roster) that the user sees, by name."""
    return (
        pupils_visible_to(user)
        .filter(school_class=school_class, status__in=IN_SCHOOL, deleted_at__isnull=True)
        .order_by("name_sort", "name", "id")
    )


def school_pupils(user: User, school: Unit, grade: int | None = None) -> QuerySet[Pupil]:
    """The pupils in school of a school (or one grade of it) that the user sees, in the order the
    cards are printed: grade, class, name."""
    pupils = pupils_visible_to(user).filter(school=school, status__in=IN_SCHOOL, deleted_at__isnull=True)
    if grade:
        pupils = pupils.filter(grade=grade)
    return pupils.order_by("grade", "school_class__number", "name_sort", "name", "id")


def may_print_school(user: User, school: Unit) -> bool:
    """Whether the user sees every pupil of the school (and so may print a grade or the whole
    school): its registrar and headmaster, and the central school and bureaus above it. A head
    teacher prints the own class."""
    for membership in memberships_of(user):
        unit = membership.unit
        if unit is None:
            continue
        if membership.role in SCHOOL_WIDE_ROLES and unit.pk == school.pk:
            return True
        if membership.role in SUBTREE_ROLES and school.path.startswith(unit.path):
            return True
    return False


# What a card prints ---------------------------------------------------------------------------

@dataclass(frozen=True)
class HistoryRow:
    day: date | None
    text: str  # the change, its reason, the school, the request behind it: one line


@dataclass
class Card:
    pupil: Pupil
    visibility: Visibility
    class_name: str
    pinyin: str
    student_number: str
    id_number: str
    birthplace: str
    native_place: str
    hukou: str  # 户口所在地 and 户口性质, or MASKED (xueji.pupils.visibility)
    former_numbers: str
    guardians: list  # dicts, None for an empty row to fill in by hand
    guardians_more: int
    history: list[HistoryRow]
    history_more: int
    # Household, address, health and circumstances: the values, or MASKED.
    private: dict[str, str]
    size: dict[str, str] = field(default_factory=dict)
    # The national form's items as printed (xueji.pupils.national_record: labels of codes, "未填",
    # "2.5 公里", MASKED where the user may not see them), by item key.
    national: dict[str, str] = field(default_factory=dict)


def _text_size(text: str, limits: tuple[int, int]) -> str:
    length = len(text or "")
    long, longer = limits
    return "longer" if length > longer else "long" if length > long else ""


def _division(division) -> str:
    if division is None:
        return ""
    return getattr(division, "full_name", "") or division.name


def _cut(text: str, chars: int) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= chars else text[: chars - 1] + "…"


def _number_line(number: StudentNumber, visibility: Visibility) -> str:
    shown = visibility.student_number(number.number)
    kind = "临时" if number.kind == NumberKind.TEMPORARY else "正式"
    period = f"{timezone.localtime(number.assigned_at):%Y-%m-%d}—"
    period += f"{timezone.localtime(number.retired_at):%Y-%m-%d}" if number.retired_at else ""
    reason = f"，{_cut(number.reason, 16)}" if number.reason else ""
    return f"{shown}（{kind}，{period}{reason}）"


def _history(pupil: Pupil) -> list[HistoryRow]:
    """Status changes and approved requests, oldest first; an approved request that made a
    status change is named as the basis of that row rather than given a row of its own."""
    from xueji.approvals.kinds import kind_label

    requests = {r.pk: r for r in getattr(pupil, "approved_list", [])}
    rows, used = [], set()
    for change in getattr(pupil, "status_list", []):
        before, after = change.get_from_status_display(), change.get_to_status_display()
        if not before:
            event = f"建籍（{after}）"
        elif change.from_status == change.to_status:
            event = f"{after}，调整学校或班级"
        else:
            event = f"{before} → {after}"
        parts = [event, change.reason.strip(), change.school.name if change.school_id else ""]
        if change.change_request_id:
            used.add(change.change_request_id)
            request = requests.get(change.change_request_id)
            basis = f"{kind_label(request.kind)} #{request.pk}" if request else f"申请 #{change.change_request_id}"
            if request is not None and request.reversed_by:
                basis += "（已撤销）"
            parts.append(basis)
        rows.append(HistoryRow(change.effective_date, _cut("；".join(p for p in parts if p), HISTORY_TEXT_CHARS)))
    for request in requests.values():
        if request.pk in used:
            continue
        day = timezone.localtime(request.finished_at).date() if request.finished_at else None
        text = f"{kind_label(request.kind)}审批通过{'（已撤销）' if request.reversed_by else ''}；申请 #{request.pk}"
        rows.append(HistoryRow(day, _cut(text, HISTORY_TEXT_CHARS)))
    rows.sort(key=lambda row: row.day or date.min)
    return rows


def card_for(pupil: Pupil, *, visibility: Visibility) -> Card:
    """What the card of one pupil prints, for a user who sees the record as ``visibility`` says
    (xueji.pupils.visibility): a box the user may not see is printed "***"."""
    v = visibility
    former = [n for n in getattr(pupil, "numbers_list", []) if n.retired_at is not None]
    former_text = "；".join(_number_line(n, v) for n in former[-FORMER_NUMBERS_PRINTED:])
    if len(former) > FORMER_NUMBERS_PRINTED:
        former_text += f"；另有 {len(former) - FORMER_NUMBERS_PRINTED} 个，其余见系统"
    guardians = []
    members = family_members(list(pupil.guardians_list)[:GUARDIAN_ROWS_MAX], v, printed=True, members=0)
    for guardian, member in zip(list(pupil.guardians_list)[:GUARDIAN_ROWS_MAX], members):
        shown = {row.key: row.value for row in member.rows}
        address = _cut(shown["address"], GUARDIAN_ADDRESS_CHARS)
        relation = guardian.get_relation_display()
        if guardian.relation_note:
            relation += f"，{_cut(guardian.relation_note, RELATION_NOTE_CHARS)}"
        name = f"{_cut(guardian.name, GUARDIAN_NAME_CHARS)}（{relation}）"
        workplace = _cut(guardian.workplace, WORKPLACE_CHARS)
        job_title = _cut(guardian.job_title, JOB_TITLE_CHARS)
        division = v.printed("hukou_division", _division(guardian.hukou_division), guardian=True)
        id_number = v.printed("id_number", guardian.id_number, guardian=True)  # "***" where an export left it out
        guardians.append({
            "name": name,
            "id": f"{guardian.get_id_type_display()} {id_number}" if v.sees["guardian_id"] else MASKED,
            "phone": v.printed("phone", guardian.phone, guardian=True),
            "workplace": workplace,
            "job_title": job_title,
            "division": division,
            "is_guardian": shown["is_guardian"],
            "ethnicity": shown["ethnicity"],
            "address": address,
            "size": {
                "address": _text_size(address, GUARDIAN_LIMITS["address"]),
                "name": _text_size(name, GUARDIAN_LIMITS["name"]),
                "workplace": _text_size(workplace, GUARDIAN_LIMITS["workplace"]),
                "division": _text_size(division, GUARDIAN_LIMITS["division"]),
            },
        })
    guardians += [None] * (GUARDIAN_ROWS - len(guardians))
    history = _history(pupil)
    shown_history = history[-HISTORY_ROWS:]
    disability = pupil.get_disability_display()
    if pupil.disability_placement:
        disability += f"（{pupil.get_disability_placement_display()}）"
    private = {
        "hukou_address": v.printed("hukou_address", pupil.hukou_address),
        "address": v.printed("address", pupil.address),
        "health": v.printed("health", pupil.get_health_display()),
        "disability": v.printed("disability", disability),
        "left_behind": v.printed("left_behind", pupil.get_left_behind_display()),
        "migrant_child": v.printed("migrant_child", "是" if pupil.migrant_child else "否"),
        "only_child": v.printed("only_child", "是" if pupil.only_child else "否"),
        "orphan": v.printed("orphan", "是" if pupil.orphan else "否"),
    }
    national = {row.key: row.value for group in pupil_groups(pupil, v, printed=True) for row in group.rows}
    for key in ("mailing_address", "home_address"):
        national[key] = _cut(national[key], NATIONAL_ADDRESS_CHARS)
    hukou = _division(pupil.hukou_division)
    if pupil.hukou_type:
        hukou += f"（{pupil.get_hukou_type_display()}）"
    hukou = v.printed("hukou_division", hukou)
    birthplace, native_place = _division(pupil.birthplace), _division(pupil.native_place)
    pinyin = _cut(pupil.pinyin, PINYIN_CHARS)
    size = {
        "name": _text_size(pupil.name, CELL_LIMITS["name"]),
        "former_name": _text_size(pupil.former_name, CELL_LIMITS["former_name"]),
        "pinyin": _text_size(pinyin, CELL_LIMITS["pinyin"]),
        "birthplace": _text_size(birthplace, CELL_LIMITS["division"]),
        "native_place": _text_size(native_place, CELL_LIMITS["division"]),
        "hukou": _text_size(hukou, CELL_LIMITS["hukou"]),
        "address": _text_size(private["address"], CELL_LIMITS["address"]),
        "hukou_address": _text_size(private["hukou_address"], CELL_LIMITS["address"]),
        "mailing_address": _text_size(national["mailing_address"], CELL_LIMITS["national_address"]),
        "home_address": _text_size(national["home_address"], CELL_LIMITS["national_address"]),
    }
    return Card(
        pupil=pupil,
        visibility=v,
        class_name=pupil.school_class.name if pupil.school_class_id else "",
        pinyin=pinyin,
        student_number=v.student_number(pupil.student_number),
        id_number=v.id_number(pupil.id_number),
        birthplace=birthplace,
        native_place=native_place,
        hukou=hukou,
        former_numbers=former_text,
        guardians=guardians,
        guardians_more=max(0, len(pupil.guardians_list) - GUARDIAN_ROWS_MAX),
        history=shown_history,
        history_more=len(history) - len(shown_history),
        private=private,
        size=size,
        national=national,
    )


def cards_for(pupils: list[Pupil], user: User, visibility_of=None) -> list[Card]:
    """The cards as ``user`` sees the pupils, or as ``visibility_of(pupil)`` says (an export's
    masking, xueji/documents/exports.py)."""
    visibility_of = visibility_of or (lambda pupil: visibility_for(user, pupil))
    return [card_for(pupil, visibility=visibility_of(pupil)) for pupil in pupils]


# Printing -------------------------------------------------------------------------------------

def cards_pdf(
    pupils: list[Pupil], *, user: User, unit: Unit, subject: str, school_class: SchoolClass | None = None,
    chunk_by_class: bool = False, chunk_pupils: int | None = None, progress=None, visibility_of=None,
    watermark: str = "",
) -> PrintedPdf:
    """The cards of the pupils (loaded by pupils_for_cards), one page each, as one PDF printed by
    ``user``: recorded under its verification code and audited. ``chunk_by_class`` lays out one
    class at a time (calling ``progress(done, total)`` after each) and writes them as one PDF.
    An export gives its masking (``visibility_of``) and its watermark, printed in every page's
    footer under the verification code."""
    cards = cards_for(pupils, user, visibility_of)
    # The title names no pupil: the verification page shows it to anyone who holds the paper's
    # code, the pupils only to those who may see them.
    title = f"{subject}学籍卡"
    base = {"school_name": unit.name, "school_code": getattr(unit, "code", ""), "watermark": watermark}
    if chunk_by_class:
        chunks = [{**base, "cards": group} for group in _chunks(cards, chunk_pupils or CHUNK_PUPILS)]
        options = {"chunks": chunks or [{**base, "cards": []}]}
    else:
        options = {"context": {**base, "cards": cards}}
    return print_pdf(
        user=user, kind="registration_card", title=title, template=CARD_TEMPLATE, unit=unit, subject=subject,
        school_class=school_class, pupils=[printed_pupil(card.pupil, visibility=card.visibility) for card in cards],
        audit_obj=pupils[0] if len(pupils) == 1 else (school_class or unit), audit_unit=None,
        progress=progress, **options,
    )


# A chunk is a class, or this many pupils of one: small enough for the progress bar to move.
CHUNK_PUPILS = 50


def _chunks(cards: list[Card], size: int = CHUNK_PUPILS) -> list[list[Card]]:
    chunks: list[list[Card]] = []
    current_class = object()
    for card in cards:
        if card.pupil.school_class_id != current_class or len(chunks[-1]) >= size:
            chunks.append([])
            current_class = card.pupil.school_class_id
        chunks[-1].append(card)
    return chunks


# A class in the background (xueji/documents/jobs.py) --------------------------------------------

def cards_fingerprint(pupils: QuerySet[Pupil], school: Unit) -> str:
    """A digest of everything the cards of these pupils print, in a few aggregate queries: if
    it is unchanged, so are the cards. It takes in
    - which pupils (their ids), and the latest save of any of them (``updated_at``, which every
      save through the models bumps: a photo replaced, a status set, a class changed);
    - the latest history event of any of them and of their guardians (pghistory's triggers write
      one for every insert, update and delete, bulk updates and raw SQL included, which do not
      touch ``updated_at``);
    - the count and latest id of their guardians, numbers (and retired numbers) and status
      changes, and the approved requests (count, latest decision, reversals);
    - the classes (grade and number make the name), the school's name and code, and the
      layout's version.
    The user and what the user sees masked are not in it: a job is kept per user, and its kind adds
    the masking (ClassCardsJob)."""
    ids = pupils.order_by().values("pk")
    base = pupils.order_by().aggregate(
        count=Count("pk"), saved=Max("updated_at"),
        ids=StringAgg(Cast("pk", TextField()), ",", order_by="pk"),
        classes=ArrayAgg("school_class_id", distinct=True),
    )
    parts = [
        CARD_LAYOUT_VERSION, school.name, getattr(school, "code", ""),
        base["count"], base["saved"], hashlib.sha256((base["ids"] or "").encode()).hexdigest(),
        PupilEvent.objects.filter(pgh_obj_id__in=ids).aggregate(last=Max("pgh_id"))["last"],
        GuardianEvent.objects.filter(pupil_id__in=ids).aggregate(last=Max("pgh_id"))["last"],
        sorted(Guardian.objects.filter(pupil_id__in=ids).aggregate(n=Count("pk"), last=Max("pk")).items()),
        sorted(StudentNumber.objects.filter(pupil_id__in=ids).aggregate(
            n=Count("pk"), last=Max("pk"), retired=Count("pk", filter=Q(retired_at__isnull=False))).items()),
        sorted(StatusChange.objects.filter(pupil_id__in=ids).aggregate(n=Count("pk"), last=Max("pk")).items()),
        sorted(ChangeRequest.objects.filter(pupil_id__in=ids, status=RequestStatus.APPROVED).aggregate(
            n=Count("pk"), last=Max("finished_at"),
            reversed=Count("pk", filter=Q(payload__has_key="reversed_by"))).items()),
        list(SchoolClass.objects.filter(pk__in=[c for c in base["classes"] or [] if c])
             .order_by("pk").values_list("pk", "grade", "number")),
    ]
    return hashlib.sha256(repr(parts).encode()).hexdigest()


class ClassCardsJob(DocumentJobKind):
    """打印本班学籍卡: every pupil of a class in school, one PDF, printed by a worker (45 cards are
    seconds of layout). Params: {"class": id}. Kept per user while ``cards_fingerprint`` and the
    user's view of the school (what is masked) are unchanged."""

    code = "class_cards"
    label = "班级学籍卡"

    def target(self, user, params):
        school_class = get_class_for_user(user, params.get("class"))
        return JobTarget(unit=school_class.school, title=f"{school_class.school.name}{school_class.name}学籍卡",
                         pupil_count=class_pupils(user, school_class).count())

    def _class(self, user, params):
        return get_class_for_user(user, params.get("class"))

    def fingerprint(self, user, params, target):
        school_class = self._class(user, params)
        seen = visibility_for(user, school_class.school)
        return hashlib.sha256(repr([cards_fingerprint(class_pupils(user, school_class), school_class.school),
                                    sorted(seen.sees.items())]).encode()).hexdigest()

    def build(self, user, params, target, progress):
        school_class = self._class(user, params)
        pupils = pupils_for_cards(class_pupils(user, school_class))
        return cards_pdf(pupils, user=user, unit=school_class.school, subject=school_class.name,
                         school_class=school_class, chunk_by_class=True, chunk_pupils=CLASS_CHUNK_PUPILS,
                         progress=progress)

    def filename(self, target, printed):
        return f"学籍卡-{target.title.removesuffix('学籍卡')}.pdf"


# A class's cards are laid out ten at a time: the progress bar moves, and a chunk costs little more.
CLASS_CHUNK_PUPILS = 10
