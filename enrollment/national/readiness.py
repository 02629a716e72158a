"""The readiness check (上报前检查): every problem an upload to the national system would hit,
found before the upload.

The national system refuses or flags (问题学籍) records with an invalid ID number, an ID number
that disagrees with the record's gender or birth date, the same ID number twice, the same name,
gender and birth date twice, and missing required fields; its 查重 also trips over names written
with a homophone or a variant character (张伟 / 张薇, 峰 / 峯) of another record's name. This module
finds all of them for a set of records in a handful of set-based queries — duplicates are grouped
and counted in the database — and checks each record's own fields in Python over plain rows, so
that a county of 50,000 pupils costs a few queries, not one per pupil.

Only live records (not deleted as problem records) in the statuses the national system still
takes uploads for are checked (``NATIONAL_STATUSES``).

Apart from these errors, a record that lacks one of the national form's ★ items the errors do not
cover (its contact and extended items, which older records never asked for; a yes-no item still
None; no class) is "incomplete" (ProblemKind.INCOMPLETE, 待补全): listed and counted with the
items' national names, never blocking (``Problem.blocking``).
"""

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Count, F, Max, Min, QuerySet, Window
from django.utils import timezone
from stdnum.cn import ric

from enrollment.intake.columns import COLUMNS
from xueji.pupils.national_form import FAMILY_ITEMS, ITEMS
from xueji.codes import GB11643_ID_TYPES, Gender, IdType, OverseasStatus, PupilStatus
from xueji.collation import pinyin_sort_key
from xueji.identity import IdNumberInfo, check_gb11643, check_id_matches, name_pinyin
from xueji.pupils.models import Guardian, ProblemRecord, Pupil
from xueji.pupils.rules import GUARDIAN_FIELDS

# The statuses of records the national system keeps current and takes uploads for. Left out:
# 借读 (a temporary record at the host school: the home school keeps the real one), 缓学 (not yet
# enrolled), and closed records (毕业, 转出 out of the system, 注销, 死亡), which are no longer
# uploaded.
NATIONAL_STATUSES = (
    PupilStatus.ENROLLED,
    PupilStatus.SUSPENDED,
    PupilStatus.DROPPED_OUT,
    PupilStatus.ABROAD,
    PupilStatus.OTHER_LEFT,
    PupilStatus.WITHDRAWN,
)


class ProblemKind(models.TextChoices):
    """What is wrong. The first three are the national system's kinds of 问题学籍 (and
    ProblemRecord's codes); the others are refused or flagged by its upload."""

    INVALID_ID = ProblemRecord.Kind.INVALID_ID.value, "身份证件号无效"
    ID_MISMATCH = "id_mismatch", "性别、出生日期与身份证件号不一致"
    DUPLICATE_ID = ProblemRecord.Kind.DUPLICATE_ID.value, "身份证件号重复"
    DUPLICATE_IDENTITY = ProblemRecord.Kind.DUPLICATE_IDENTITY.value, "姓名、性别、出生日期重复"
    HOMOPHONE = "homophone", "姓名疑似同音字或异体字重复"
    MISSING_FIELD = "missing_field", "必填项缺失"
    # Not an error: the national form's ★ items a record does not have yet (older records never
    # asked for the contact and extended items). Shown and counted so that schools fill them in
    # before the upload, never blocking other work.
    INCOMPLETE = "incomplete", "信息不完整（待补全）"


KIND_ORDER = {kind: position for position, kind in enumerate(ProblemKind.values)}
# The kinds that are to be filled in rather than put right.
NOT_BLOCKING = frozenset({ProblemKind.INCOMPLETE})


@dataclass(frozen=True)
class Problem:
    """One problem of one record. The message is for the registrar: what is wrong and what to do.
    Messages never carry ID numbers (G numbers are "G" + the ID number: they are left out too)."""

    pupil_id: int
    student_number: str
    name: str
    school_name: str
    kind: str
    message: str

    @property
    def kind_label(self) -> str:
        return ProblemKind(self.kind).label

    @property
    def blocking(self) -> bool:
        """Whether the national system would refuse or flag the record (False: 待补全)."""
        return self.kind not in NOT_BLOCKING


# The record's fields the national template requires (enrollment/intake/columns.py marks them); the ID
# number, the household registration and the guardians have rules of their own below.
NATIONAL_REQUIRED_FIELDS = {
    column.key: column.header for column in COLUMNS if column.required and column.guardian_position is None
}
HUKOU_FIELDS = {"hukou_division_id": "户口所在地", "hukou_type": "户口性质"}
GUARDIAN_LABELS = {1: "第一监护人", 2: "第二监护人"}
# What a family member who is not a guardian needs (the rules, xueji.pupils.rules).
MEMBER_FIELDS = {"relation": "关系", "name": "姓名"}

# The national form's ★ items (xueji.pupils.national_form, Column.national_required) not checked
# above, that a record lacks when blank, None (a yes-no item never asked) or without a class: "待
# 补全". Left out: 随班就读, ★ for disabled pupils only, and required of them by the rules.
INCOMPLETE_ITEMS = {
    item.key: item.label for item in ITEMS
    if item.required and item.key not in NATIONAL_REQUIRED_FIELDS and item.key not in HUKOU_FIELDS
    and item.key != "disability_placement"
}
# The family block's ★ items not among a guardian's required fields, for each member there is.
INCOMPLETE_MEMBER_ITEMS = {
    column.field_name: next(item.label for item in FAMILY_ITEMS if item.key == column.field_name)
    for column in COLUMNS
    if column.guardian_position == 1 and column.national_required
    and column.field_name not in GUARDIAN_FIELDS and column.field_name not in MEMBER_FIELDS
}
# The record's field read for each of them (the class by its id).
_INCOMPLETE_FIELDS = {key: "school_class_id" if key == "school_class" else key for key in INCOMPLETE_ITEMS}

# What each record's own checks read (and every required column, whatever columns.py adds).
_ROW_FIELDS = tuple(dict.fromkeys([
    "id", "student_number", "name", "school_id", "school__name", "gender", "birth_date", "nationality",
    "id_type", "id_number", "overseas_status", "hukou_division_id", "hukou_type", *NATIONAL_REQUIRED_FIELDS,
    *_INCOMPLETE_FIELDS.values(),
]))
# What a duplicate group needs to know of each member.
_MEMBER_FIELDS = ("id", "name", "school_id", "school__name", "gender", "birth_date")


def national_records(pupils: QuerySet[Pupil]) -> QuerySet[Pupil]:
    """The records of ``pupils`` the national system holds: live, in a status it keeps."""
    return pupils.filter(deleted_at__isnull=True, status__in=NATIONAL_STATUSES)


def readiness_problems(
    pupils: QuerySet[Pupil],
    *,
    compare_within: QuerySet[Pupil] | None = None,
    name_other_records: bool = True,
) -> list[Problem]:
    """Every problem of the national records among ``pupils``, sorted by kind, school and name.

    Duplicates (by ID number, by name + gender + birth date, by a homophone name) are looked for
    among ``compare_within`` — the county, as the national system's 查重 would see it — which
    defaults to ``pupils`` itself. Only records of ``pupils`` are reported. When the caller may not
    see the other records of ``compare_within`` (a school registrar checked against the county),
    ``name_other_records=False`` keeps their names out of the messages: the registrar learns that
    the pupil has a twin record elsewhere in the county, as the dedupe service tells them, not
    whose it is."""
    records = national_records(pupils).order_by()
    rows = list(records.values_list(*_ROW_FIELDS, named=True))
    if not rows:
        return []
    by_id = {row.id: row for row in rows}
    others = national_records(compare_within if compare_within is not None else pupils).order_by()
    describe = _Describer(name_other_records=name_other_records)

    problems = _record_problems(rows, _guardians_of(records))
    problems += _duplicate_id_problems(by_id, others, describe)
    problems += _duplicate_identity_problems(by_id, others, describe)
    problems += _homophone_problems(by_id, others, describe)
    problems.sort(key=lambda p: (KIND_ORDER[p.kind], p.school_name, pinyin_sort_key(p.name), p.pupil_id))
    return problems


def _problem(row, kind: str, message: str) -> Problem:
    return Problem(
        pupil_id=row.id, student_number=row.student_number, name=row.name, school_name=row.school__name,
        kind=kind, message=message,
    )


# Each record's own fields ---------------------------------------------------------------------

def _guardians_of(records: QuerySet[Pupil]) -> dict[int, list[tuple]]:
    """Each record's family members as (position, {field: value}), in one query."""
    fields = list(dict.fromkeys([*GUARDIAN_FIELDS, *INCOMPLETE_MEMBER_ITEMS, "is_guardian"]))
    guardians: dict[int, list[tuple]] = defaultdict(list)
    rows = (
        Guardian.objects.filter(pupil__in=records.values("pk"))
        .order_by("pupil_id", "position")
        .values_list("pupil_id", "position", *fields)
    )
    for pupil_id, position, *values in rows:
        guardians[pupil_id].append((position, dict(zip(fields, values))))
    return guardians


def _record_problems(rows: list, guardians: dict[int, list[tuple]]) -> list[Problem]:
    checker = _IdChecker()
    problems = []
    for row in rows:
        if row.id_type in GB11643_ID_TYPES and row.id_number:
            problems += _id_problems(row, checker)
        members = guardians.get(row.id, [])
        missing = _missing_fields(row, members)
        if missing:
            problems.append(_problem(row, ProblemKind.MISSING_FIELD, f"缺少必填项：{'、'.join(missing)}。"))
        incomplete = _incomplete_items(row, members)
        if incomplete:
            problems.append(_problem(
                row, ProblemKind.INCOMPLETE,
                f"待补全：{'、'.join(incomplete)}。国家学籍系统要求填写，请在学生信息中补全后再上报。",
            ))
    return problems


def _incomplete_items(row, members: list[tuple]) -> list[str]:
    """The national names of the ★ items this record lacks (INCOMPLETE_ITEMS), then its family
    members' ("成员1现住址")."""
    lacking = [label for key, label in INCOMPLETE_ITEMS.items() if getattr(row, _INCOMPLETE_FIELDS[key]) in (None, "")]
    for position, member in members:
        lacking += [f"成员{position}{label}" for key, label in INCOMPLETE_MEMBER_ITEMS.items()
                    if member.get(key) in (None, "")]
    return lacking


def _id_problems(row, checker: "_IdChecker") -> list[Problem]:
    try:
        info = checker.check(row.id_number, row.id_type)
    except ValidationError as error:
        return [_problem(row, ProblemKind.INVALID_ID, " ".join(error.messages))]
    try:
        check_id_matches(info, birth_date=row.birth_date, gender=row.gender)
    except ValidationError as error:
        return [_problem(row, ProblemKind.ID_MISMATCH, " ".join(error.messages) + "请核对户口簿，更正记录或证件号。")]
    return []


def _missing_fields(row, guardians: list[tuple]) -> list[str]:
    """The labels of the required fields this record lacks."""
    missing = [label for field, label in NATIONAL_REQUIRED_FIELDS.items() if getattr(row, field) in (None, "")]
    if row.id_type and row.id_type != IdType.NONE and not row.id_number:
        missing.append("身份证件号")
    # Household registration: every mainland Chinese pupil has one. Not a pupil without a
    # household registration (the "no ID" path), nor a foreign, Hong Kong, Macao or Taiwan pupil.
    if row.id_type != IdType.NONE and row.nationality == "CHN" and row.overseas_status in ("", OverseasStatus.NO):
        missing += [label for field, label in HUKOU_FIELDS.items() if getattr(row, field) in (None, "")]
    if not guardians or guardians[0][0] != 1:
        missing.append("第一监护人")
    for position, guardian in guardians:
        # With two guardians both are complete (新生上报需知); a family member who is not a
        # guardian needs the relation and the name.
        required = GUARDIAN_FIELDS if guardian.get("is_guardian", True) else MEMBER_FIELDS
        lacking = [label for field, label in required.items() if guardian.get(field) in (None, "")]
        if lacking:
            missing.append(f"{GUARDIAN_LABELS.get(position, f'第{position}监护人')}的{'、'.join(lacking)}")
    guardian_ids = [g for _, g in guardians if g.get("id_type") == IdType.RESIDENT_ID and g.get("id_number")]
    if row.id_type == IdType.NONE and not guardian_ids:
        missing.append("监护人的居民身份证号（无身份证件的学生以监护人身份证号登记）")
    return missing


class _IdChecker:
    """check_gb11643, without repeating its area-code lookup for every pupil.

    check_gb11643 is the authority: it decides every number that fails, and at least one number
    of every (ID type, area code, birth year). Its costly part is the area-code lookup in
    python-stdnum's table (about 60 µs a number, three seconds for a county), and that part only
    depends on the area code and birth year, which a county's pupils share by the thousand. So a
    number whose area and year already passed, and that itself passes the cheap part of the check
    (18 characters, digits, check digit, a real birth date not after today), passed the whole
    check; anything else goes to check_gb11643."""

    _SHAPE = re.compile(r"\d{17}[\dX]")

    def __init__(self) -> None:
        self.today = timezone.localdate()
        self.areas_passed: set[tuple[str, str, str]] = set()

    def check(self, number: str, id_type: str) -> IdNumberInfo:
        key = (id_type, number[:6], number[6:10])
        if key in self.areas_passed:
            info = self._cheap_check(number)
            if info is not None:
                return info
        info = check_gb11643(number, id_type=id_type)
        self.areas_passed.add(key)
        return info

    def _cheap_check(self, number: str) -> IdNumberInfo | None:
        if not self._SHAPE.fullmatch(number) or ric.calc_check_digit(number) != number[-1]:
            return None
        try:
            birth_date = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
        except ValueError:
            return None
        if birth_date > self.today:
            return None
        gender = Gender.MALE if int(number[16]) % 2 == 1 else Gender.FEMALE
        return IdNumberInfo(number=number, birth_date=birth_date, gender=gender, area_code=number[:6])


# Duplicates -----------------------------------------------------------------------------------

class _Describer:
    """How a message names the other records of a duplicate."""

    def __init__(self, *, name_other_records: bool) -> None:
        self.name_other_records = name_other_records

    def others(self, row, members: list, reported: dict) -> str:
        parts = [self._one(row, member, reported) for member in members[:3]]
        text = "、".join(dict.fromkeys(parts))  # unnamed records all read alike: say it once
        return text + (f"等 {len(members)} 条学籍" if len(members) > 3 else "")

    def _one(self, row, member, reported: dict) -> str:
        if member.school_id == row.school_id:
            return f"本校的{member.name}"
        if self.name_other_records or member.id in reported:
            return f"{member.school__name}的{member.name}"
        return "县内其他学校的一条学籍"


def _groups(members: Iterable, key) -> list[list]:
    grouped: dict = defaultdict(list)
    for member in members:
        grouped[key(member)].append(member)
    return [group for group in grouped.values() if len(group) > 1]


def _duplicate_id_problems(by_id: dict, others: QuerySet[Pupil], describe: _Describer) -> list[Problem]:
    """The same ID number on two live records. The unique index forbids it within one ID type;
    across types (a 居民身份证 number also entered as "其他") the national system still sees one
    number twice."""
    numbered = others.exclude(id_number="").exclude(id_type=IdType.NONE)
    # Grouped by the blind index: the encrypted numbers differ even when the numbers are equal.
    repeated = numbered.values("id_number_index").annotate(n=Count("pk")).filter(n__gt=1).values("id_number_index")
    members = numbered.filter(id_number_index__in=repeated).values_list(*_MEMBER_FIELDS, "id_number", named=True)
    problems = []
    for group in _groups(members, key=lambda m: m.id_number):
        for member in group:
            row = by_id.get(member.id)
            if row is None:
                continue
            rest = [m for m in group if m.id != member.id]
            problems.append(_problem(
                row, ProblemKind.DUPLICATE_ID,
                f"身份证件号与{describe.others(row, rest, by_id)}相同。同一学生只能有一条学籍，"
                "请核实：重复的学籍应删除，号码填错的应更正。",
            ))
    return problems


def _duplicate_identity_problems(by_id: dict, others: QuerySet[Pupil], describe: _Describer) -> list[Problem]:
    """Records sharing name, gender and birth date: counted over the group by a window function,
    so the database returns only the members of groups of two or more."""
    partition = [F("name"), F("gender"), F("birth_date")]
    members = (
        others.annotate(group_size=Window(Count("pk"), partition_by=partition))
        .filter(group_size__gt=1)
        .values_list(*_MEMBER_FIELDS, named=True)
    )
    problems = []
    for group in _groups(members, key=lambda m: (m.name, m.gender, m.birth_date)):
        for member in group:
            row = by_id.get(member.id)
            if row is None:
                continue
            rest = [m for m in group if m.id != member.id]
            problems.append(_problem(
                row, ProblemKind.DUPLICATE_IDENTITY,
                f"姓名、性别、出生日期与{describe.others(row, rest, by_id)}相同，国家系统查重会视为同一学生。"
                "请核实：是同一学生的应删除重复学籍；确为不同学生的，请准备佐证材料。",
            ))
    return problems


def _homophone_problems(by_id: dict, others: QuerySet[Pupil], describe: _Describer) -> list[Problem]:
    """Names of the same gender and birth date that sound the same but are written differently.

    The database groups records by the toneless pinyin kept with every record (search_pinyin,
    made with pypinyin by xueji.identity.name_pinyin) with gender and birth date, and returns the
    groups holding more than one way of writing the name (MIN(name) < MAX(name) over the group).
    Python groups the members again by the pinyin of their names and their number of characters,
    so that names that only run together into the same letters (西安 / 先) are not homophones."""
    partition = [F("search_pinyin"), F("gender"), F("birth_date")]
    members = (
        others.exclude(search_pinyin="")
        .annotate(
            first_name=Window(Min("name"), partition_by=partition),
            last_name=Window(Max("name"), partition_by=partition),
        )
        .filter(first_name__lt=F("last_name"))
        .values_list(*_MEMBER_FIELDS, named=True)
    )
    problems = []
    for group in _groups(members, key=lambda m: (m.gender, m.birth_date, len(m.name), name_pinyin(m.name)[1])):
        for member in group:
            row = by_id.get(member.id)
            if row is None:
                continue
            rest = [m for m in group if m.name != member.name]
            if not rest:
                continue  # only records written the same way: a duplicate of the other kind
            problems.append(_problem(
                row, ProblemKind.HOMOPHONE,
                f"姓名“{member.name}”与{describe.others(row, rest, by_id)}读音相同（{name_pinyin(member.name)[0]}），"
                "性别、出生日期也相同，可能是同一学生的姓名用了同音字或异体字。请核对户口簿：是同一学生的应删除重复学籍。",
            ))
    return problems

