"""Reads of pupils that pages and the API show: search, lists, the field history, a record as it
stood on a day. Lists start from the scoped selectors of xueji.pupils.scoping."""

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet, Value
from django.db.models.functions import StrIndex
from django.utils import timezone

from xueji.accounts.models import Unit, User
from xueji.accounts.selectors import bureau_settings_for
from xueji.codes import GRADE_LABELS, PupilStatus, SchoolType
from xueji.encrypted_fields import EncryptedCharField
from xueji.identity import normalize_id_number, normalize_name
from xueji.pupils.models import Guardian, Pupil, SchoolClass, StudentNumber, id_number_index
from xueji.pupils.models.pupils import UNTRACKED_PUPIL_FIELDS, GuardianEvent, name_bigrams
from xueji.pupils.scoping import pupils_visible_to

_STUDENT_NUMBER = re.compile(r"^[LGJ]\d{5,17}[\dX]?$")
_ID_NUMBER = re.compile(r"^\d{6,17}[\dX]?$")
_LATIN = re.compile(r"^[a-z]+$")


def search_kind(query: str) -> str:
    """What a search box entry looks like: "student_number", "id_number", "pinyin" or "name"."""
    compact = re.sub(r"\s+", "", query).upper()
    if _STUDENT_NUMBER.match(compact):
        return "student_number"
    if _ID_NUMBER.match(compact):
        return "id_number"
    if _LATIN.match(compact.lower()):
        return "pinyin"
    return "name"


def partial_id_number(query: str) -> bool:
    """A search box entry that looks like the beginning of an ID number (fewer digits than the 15
    or 18 of a full one): encrypted numbers are found by the full number only, and the page says so."""
    compact = re.sub(r"\s+", "", query or "").upper()
    return search_kind(compact) == "id_number" and len(compact) not in (15, 18)


# A scope listed school by school for the indexes led by the school up to this many schools (a
# county, a city). A province's 8,000 took 70 ms to plan and a probe of each index per school: over
# it the indexes answer for the whole table and the scope's join decides.
SCHOOL_LIST_MAX = 1000
# The same for a name of two characters, whose index is a GIN index: PostgreSQL searches it once
# per school listed, and may do so once per school of the scope's join as well — for a city's 253
# schools, 64,000 searches (4 s at 1,000,000 pupils). Up to a county's schools it pays (p95 263 →
# 89 ms at 10,000,000); over them the name's pairs alone answer, and the scope's join decides.
TWO_CHARACTER_SCHOOL_LIST_MAX = 100


def _two_characters(query: str) -> bool:
    return search_kind(query) == "name" and len(query.replace(" ", "").strip()) == 2


def searched_by_school(query: str) -> bool:
    """Whether ``pupil_search`` answers ``query`` school by school, from an index led by the
    school (pinyin, and a name of two characters): its caller then lists the scope's schools
    (scoping.pupil_scope_school_ids)."""
    query = query.strip()
    return search_kind(query) == "pinyin" or _two_characters(query)


def pupil_search(queryset: QuerySet[Pupil], query: str, school_ids: list[int] | None = None) -> QuerySet[Pupil]:
    """Filter by a search box entry: a 学籍号 (current or former, or its beginning), a full ID
    number (encrypted: its beginning finds nothing), pinyin (full "zhangwei" or initials "zw", from the start), or a
    name (or part of it). ``school_ids``: the schools of the queryset's scope
    (scoping.pupil_scope_school_ids), which a search ``searched_by_school`` is answered by."""
    query = query.strip()
    if not query:
        return queryset
    compact = re.sub(r"\s+", "", query).upper()
    kind = search_kind(query)
    if kind == "student_number":
        if len(compact) == 19:
            # The pupils holding the number now or formerly, as one subquery of both lookups: an
            # OR of "student_number = x" and "id IN (former)" cannot use either index, and made
            # PostgreSQL read every pupil in scope (seconds for a city).
            current = Pupil.objects.filter(student_number=compact).order_by().values("pk")
            former = StudentNumber.objects.filter(number=compact).order_by().values("pupil_id")
            return queryset.filter(pk__in=current.union(former))
        return queryset.filter(student_number__startswith=compact)
    if kind == "id_number":
        # The number is encrypted: only the full number is found, by its blind index.
        return queryset.filter(id_number_index=id_number_index(compact))
    if kind == "pinyin":
        key = compact.lower()
        found = queryset.filter(Q(search_pinyin__startswith=key) | Q(search_initials__startswith=key))
        # The pinyin indexes are led by the school: with the scope's schools listed, each is one
        # short probe of each index. Given the scope only as a join on the units' paths, PostgreSQL
        # read every match of the whole table and kept the scope's: a city's count of "wangz"
        # visited the 9,952 matches of the province (1,000,000 pupils) for its 2,931, and a page
        # probed the province's matches again for each school (benchmarks/pupil_search.py).
        return found.filter(school_id__in=school_ids) if school_ids is not None else found
    name = query.replace(" ", "")
    if _two_characters(name):
        # Two characters have no trigram for pupil_name_trgm; "contains 浩然" is "浩然 is one of
        # the name's pairs of characters", which the index pupil_school_name_bigrams answers. The
        # STRPOS says the same again, cheaply: where PostgreSQL reads a school's names from
        # pupil_list_order it tests that first instead of building every name's pairs, and as
        # "not 0" it leaves the row estimate as it is (a LIKE, or "> 0", would be estimated on
        # its own and multiplied in: PostgreSQL then expects too few rows and picks plans that
        # crawl when there are many).
        # The index is led by the school: with the scope's schools listed (a county's), only the
        # scope's matches are read from the table. Given the scope only as the units' paths, a
        # county's search read every match of the province (10,000,000 pupils: p95 263 ms).
        # A single character needs no index: a surname matches so many pupils that reading the
        # scope in list order, pupil_list_order, is the fast way.
        if school_ids is not None and len(school_ids) <= TWO_CHARACTER_SCHOOL_LIST_MAX:
            queryset = queryset.filter(school_id__in=school_ids)
        return (
            queryset.alias(name_bigrams=name_bigrams(), name_position=StrIndex("name", Value(name)))
            .filter(name_bigrams__contains=[name])
            .exclude(name_position=0)
        )
    return queryset.filter(name__contains=name)


class PinyinSearchResults:
    """A pinyin search's rows as the list's paginators read them (xueji.paginators): a capped
    count and pages. The rows are ``pupil_search``'s, the pupils whose full pinyin or initials
    begin with the key; only the way they are read differs.

    Asked for the OR of the two prefixes in list order, PostgreSQL can use neither pinyin index
    in order: it reads every match of the scope and sorts them, one heap page per match (a city
    officer's "zhangy" at 10,000,000 pupils: 1,571 pages, 129 ms). A page is read instead as the
    first rows of each column's matches in list order, each its own ordered statement (planned
    on its own, with its own estimate: an ordered index scan that stops after the page where
    matches are many, a sort of the few where they are few), the two merged by UNION ALL; the
    count the same way, from the indexes alone. A pupil matching both is the first's (the second
    excludes the first's).

    The scope's schools are listed for the indexes led by the school when they are few (a
    county, a city); over ``SCHOOL_LIST_MAX`` the prefix indexes of the whole table answer
    (pupil_pinyin_prefix, pupil_initials_prefix) and the scope's join decides."""

    ordered = True  # for Django's paginator, which warns about unordered lists

    def __init__(self, queryset: QuerySet[Pupil], key: str, school_ids: list[int] | None = None):
        if school_ids is not None and len(school_ids) <= SCHOOL_LIST_MAX:
            queryset = queryset.filter(school_id__in=school_ids)
        self._order = queryset.query.order_by
        self._by_pinyin = queryset.filter(search_pinyin__startswith=key)
        self._by_initials = queryset.filter(search_initials__startswith=key).exclude(search_pinyin__startswith=key)

    def count_rows(self) -> QuerySet:
        """What the paginator counts: the ids of both statements."""
        return self._by_pinyin.order_by().values("pk").union(self._by_initials.order_by().values("pk"), all=True)

    def __getitem__(self, item: slice) -> list[Pupil]:
        if not isinstance(item, slice) or item.step or item.stop is None:
            raise TypeError("PinyinSearchResults takes a page: [start:stop].")
        start, stop = item.start or 0, item.stop
        first = self._by_pinyin.order_by(*self._order)[:stop]
        second = self._by_initials.order_by(*self._order)[:stop]
        return list(first.union(second, all=True).order_by(*self._order)[start:stop])


def pupil_search_results(queryset: QuerySet[Pupil], query: str, school_ids: list[int] | None = None):
    """``pupil_search`` for a list that is paged (the page /pupils/ and the API): a pinyin search
    as ``PinyinSearchResults``, any other as the filtered queryset."""
    if search_kind(query.strip()) == "pinyin":
        # The key as pupil_search makes it: without any space, in lower case.
        return PinyinSearchResults(queryset, re.sub(r"\s+", "", query).lower(), school_ids)
    return pupil_search(queryset, query, school_ids)


def pupil_list(user: User) -> QuerySet[Pupil]:
    """The pupils the user may see, in school / grade / class / name order: the list that the page
    and the API search and narrow with xueji.pupils.filters.PupilFilterSet (the search is
    ``pupil_search_results``)."""
    return pupils_visible_to(user).select_related("school", "school_class").defer(*pupil_columns_not_listed()).order_by(
        "school_id", "grade", "school_class_id", "name_sort", "name", "id"
    )


def pupil_columns_not_listed(prefix: str = "") -> list[str]:
    """The encrypted columns of a pupil that no list shows (the pupil list marks 送教上门 from the
    placement), for ``defer`` (``prefix``: the path to the pupil, "request__pupil__"). Each is
    decrypted as its row is read, about ten a pupil: for a page of 50 that took longer than the
    page's queries (benchmarks/pupil_search.py, approvals.py). Reading one of them from a
    deferred row costs a query: a list that shows one leaves it out of this."""
    return [prefix + field.name for field in Pupil._meta.concrete_fields
            if isinstance(field, EncryptedCharField) and field.name != "disability_placement"]


def class_cap(school_class: SchoolClass) -> int:
    """The most pupils a class may hold: the bureau's setting for the school's level (one cap for
    every grade of a special-education school)."""
    settings = bureau_settings_for(school_class.school)
    if school_class.school.school_type == SchoolType.SPECIAL:
        return settings.class_cap_special
    return settings.class_cap_junior if school_class.grade >= 7 else settings.class_cap_primary


def class_seats_left(school_class: SchoolClass) -> int:
    """How many more pupils in school (在籍在校) the class may seat."""
    seated = school_class.pupils.filter(status=PupilStatus.ENROLLED, deleted_at__isnull=True).count()
    return class_cap(school_class) - seated


# Field history -------------------------------------------------------------------------------

@dataclass(frozen=True)
class FieldChange:
    at: datetime
    field: str
    label: str
    old: Any
    new: Any
    user_id: int | None
    change_request_id: int | None
    reason: str


def _tracked_fields() -> list:
    return [f for f in Pupil._meta.concrete_fields if f.name not in UNTRACKED_PUPIL_FIELDS and f.name != "id"]


def _context(event) -> dict:
    return (event.pgh_context.metadata if event.pgh_context_id else {}) or {}


def pupil_field_history(pupil: Pupil) -> list[FieldChange]:
    """Every change of every field of the record, oldest first: when, who, old, new, and the
    request that approved it. Built from pghistory's snapshots (insert, then each update).

    Read as a person would say it: a move to another school is one line naming both schools
    with their classes ("转学：A校 三年级（1）班 → B校 三年级（1）班"), not a school line and a
    class line "三年级（1）班 → 三年级（1）班" that looks like no change; two classes of one name
    (two school years) are told apart by their year; yes/no fields read 是/否."""
    events = list(pupil.events.select_related("pgh_context").order_by("pgh_created_at", "pgh_id"))
    changes: list[FieldChange] = []
    fields = _tracked_fields()
    names = _History(events)
    for previous, event in zip(events, events[1:]):
        context = _context(event)
        moved = previous.school_id != event.school_id
        for field in fields:
            old, new = getattr(previous, field.attname), getattr(event, field.attname)
            if old == new or (moved and field.name == "school_class"):
                continue  # the class of a move is said with its school
            if moved and field.name == "school":
                label = "转学" if (context.get("reason") or "").startswith("转学") else "学校"
                old, new = names.place(previous), names.place(event)
            elif field.name == "school_class":
                label, (old, new) = str(field.verbose_name), names.classes(old, new)
            else:
                label, old, new = str(field.verbose_name), _display(field, old), _display(field, new)
            changes.append(
                FieldChange(
                    at=event.pgh_created_at, field=field.name, label=label, old=old, new=new,
                    user_id=context.get("user"), change_request_id=context.get("change_request"),
                    reason=context.get("reason") or "",
                )
            )
    return changes


class _History:
    """The names of the schools and classes a record's history passes through, read at once."""

    def __init__(self, events) -> None:
        self.schools = dict(Unit.objects.filter(pk__in={e.school_id for e in events}).values_list("pk", "name"))
        self.class_rows = SchoolClass.objects.select_related("school_year").in_bulk(
            {e.school_class_id for e in events} - {None})

    def place(self, event) -> str:
        """"农安县实验小学 三年级（1）班" (or the school alone, for a pupil in no class)."""
        school = self.schools.get(event.school_id, "")
        school_class = self.class_rows.get(event.school_class_id)
        return f"{school} {school_class.name}" if school_class else school

    def classes(self, old_id, new_id) -> tuple[str, str]:
        old, new = self.class_rows.get(old_id), self.class_rows.get(new_id)
        if old and new and old.name == new.name:
            return f"{old.name}（{old.school_year}）", f"{new.name}（{new.school_year}）"
        # No class: "未分班" (a pupil leaving the system, or not yet seated), not a bare "—".
        return (old.name if old else "未分班"), (new.name if new else "未分班")


def _display(field, value) -> Any:
    if value in (None, ""):
        return ""
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(value, bool):
        return "是" if value else "否"
    if field.is_relation:
        # A school, class or division by its name, not its id.
        related = field.related_model._default_manager.filter(pk=value).first()
        return str(related) if related is not None else value
    if field.name == "grade":
        return GRADE_LABELS.get(value, value)
    if field.name == "photo":
        return "已上传照片"  # the stored file's random name says nothing to anyone
    return value


def end_of_day(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min)) - timedelta(microseconds=1)


def pupil_as_of(pupil: Pupil, day: date) -> Pupil | None:
    """The record as it stood at the end of ``day`` (Asia/Shanghai): an unsaved Pupil built from
    the last snapshot taken by then, or None if the record did not exist yet."""
    event = pupil.events.filter(pgh_created_at__lte=end_of_day(day)).order_by("-pgh_created_at", "-pgh_id").first()
    return None if event is None else _pupil_from_event(pupil, event)


def pupil_at_event(pupil: Pupil, event_id: int) -> Pupil | None:
    """The record as one snapshot of its history holds it (a copy of the record kept at a moment:
    the sending school's copy of a pupil who left, transfers/left): an unsaved Pupil, or None."""
    event = pupil.events.filter(pgh_id=event_id).first()
    return None if event is None else _pupil_from_event(pupil, event)


def last_history_events(pupil: Pupil) -> tuple[int | None, int]:
    """The ids of the record's and its guardians' latest history snapshots (0: no guardian ever):
    what ``pupil_at_event`` and ``guardians_up_to_event`` rebuild the record as it stands now from,
    whatever happens to it later."""
    event = pupil.events.order_by("-pgh_id").values_list("pgh_id", flat=True).first()
    guardian = GuardianEvent.objects.filter(pupil_id=pupil.pk).order_by("-pgh_id").values_list("pgh_id", flat=True).first()
    return event, guardian or 0


def _pupil_from_event(pupil: Pupil, event) -> Pupil:
    snapshot = Pupil(pk=pupil.pk)
    for field in _tracked_fields():
        setattr(snapshot, field.attname, getattr(event, field.attname))
    for field in UNTRACKED_PUPIL_FIELDS:
        setattr(snapshot, field, getattr(pupil, field))
    return snapshot


def guardians_as_of(pupil: Pupil, day: date) -> list[Guardian]:
    """The guardians as they stood at the end of ``day`` (those removed by then left out)."""
    return _guardians_from(GuardianEvent.objects.filter(pupil_id=pupil.pk, pgh_created_at__lte=end_of_day(day)))


def guardians_up_to_event(pupil: Pupil, last_event_id: int) -> list[Guardian]:
    """The guardians as they stood when their history's latest snapshot was ``last_event_id``."""
    return _guardians_from(GuardianEvent.objects.filter(pupil_id=pupil.pk, pgh_id__lte=last_event_id))


def _guardians_from(events) -> list[Guardian]:
    latest: dict[int, Any] = {}
    for event in events.order_by("pgh_created_at", "pgh_id"):
        latest[event.pgh_obj_id] = event
    guardians = []
    for event in latest.values():
        if event.pgh_label == "delete":
            continue
        guardian = Guardian(pk=event.pgh_obj_id)
        for field in Guardian._meta.concrete_fields:
            if field.name != "id":
                setattr(guardian, field.attname, getattr(event, field.attname))
        guardians.append(guardian)
    return sorted(guardians, key=lambda g: g.position)


def status_counts(queryset: QuerySet[Pupil]) -> dict[str, int]:
    from django.db.models import Count

    rows = queryset.values("status").annotate(n=Count("id"))
    counts = {row["status"]: row["n"] for row in rows}
    return {label: counts.get(value, 0) for value, label in PupilStatus.choices if counts.get(value)}


# The one answer to a number and name that find no one, and to a refusal about a pupil found
# whom the user may not see (xueji.pupils.lookup): the two must not be told apart.
PUPIL_NOT_FOUND = "没有找到学籍号（或身份证件号）与姓名都相符、可以办理的学生。请核对；核对无误的，请与学生原就读学校联系。"


def pupil_not_found() -> ValidationError:
    return ValidationError(PUPIL_NOT_FOUND, code="pupil_not_found")


def find_pupil(*, number: str, name: str) -> Pupil:
    """The pupil with this 学籍号 (current or former) or ID number AND this name. A mismatch says
    nothing about what exists: the receiving school may not learn of records it cannot see (and
    what it is refused about one it found is answered the same way: xueji.pupils.lookup)."""
    number = normalize_id_number(number)
    name = normalize_name(name)
    if not number or not name:
        raise ValidationError("请填写学生的学籍号或身份证件号，以及姓名。", code="lookup_required")
    former = StudentNumber.objects.filter(number=number).values("pupil_id")
    pupil = (
        Pupil.objects.filter(
            Q(student_number=number) | Q(id_number_index=id_number_index(number)) | Q(pk__in=former),
            name=name, deleted_at__isnull=True,
        )
        .select_related("school", "school_class")
        .first()
    )
    if pupil is None:
        raise pupil_not_found()
    return pupil
