"""学籍号: the lifelong 19-character student number.

- ``L`` + 6-digit area code + 8-digit birth date + 4 random digits: temporary, given at creation,
  valid for all business until the record gets a formal number;
- ``G`` + the 18-digit ID number, once dedupe and the identity check pass;
- ``J`` + 6-digit area code of the school + birth date + 3-digit sequence + check digit, for a
  pupil without a usable ID number who passed dedupe. The check digit is GB 11643's (the same
  mod 11-2 as an ID number) over the 17 digits, so a J number can be verified like an ID number.

A J number becomes G when an ID number is added; a G number follows the ID number when it is
corrected. Every former number stays in StudentNumber (its rows cannot be deleted).
"""

import secrets
from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from stdnum.cn import ric

from xueji.accounts.models import Unit
from xueji.codes import GB11643_ID_TYPES, NumberKind
from xueji.pupils.models import Pupil, StudentNumber


def area_code_of(school: Unit) -> str:
    """The 6-digit area code of the school: its own division or the nearest one above it."""
    for unit in [school, *school.ancestors()]:
        if unit.division_id:
            return unit.division_id
    raise ValidationError("学校没有设置行政区划，无法生成学籍号；请系统管理员补充。")


def temporary_number(area_code: str, birth_date: date) -> str:
    return f"L{area_code}{birth_date:%Y%m%d}{secrets.randbelow(10_000):04d}"


def g_number(id_number: str) -> str:
    return f"G{id_number}"


def j_number(area_code: str, birth_date: date, sequence: int) -> str:
    body = f"{area_code}{birth_date:%Y%m%d}{sequence:03d}"
    return f"J{body}{ric.calc_check_digit(body + '0')}"


def is_valid_j_number(number: str) -> bool:
    body = number[1:]
    return (
        len(number) == 19
        and number[0] == "J"
        and body[:17].isdigit()
        and ric.calc_check_digit(body) == body[-1]
    )


def assign_new_numbers(school: Unit, pupils_and_kinds: list[tuple[Pupil, str]]) -> None:
    """Give each record a fresh number of its kind (not stored yet), in a few queries for a whole
    batch: G from its ID number, L drawn at random (distinct within the batch), J the next free
    sequence of its area and birth date. The unique indexes catch what a parallel batch took in
    the meantime (the caller draws again)."""
    if any(kind not in NumberKind.values for _, kind in pupils_and_kinds):
        raise ValidationError("未知的学籍号类型。")
    g_numbers = {}
    for pupil, kind in pupils_and_kinds:
        if kind == NumberKind.FROM_ID:
            if pupil.id_type not in GB11643_ID_TYPES or not pupil.id_number:
                raise ValidationError("只有持居民身份证（或港澳台居民居住证）号码的学生才能获得 G 字头学籍号。")
            g_numbers[id(pupil)] = g_number(pupil.id_number)
    if StudentNumber.objects.filter(number__in=g_numbers.values(), pupil__deleted_at__isnull=False).exists():
        # A G number is never deleted: it stays with the deleted problem record.
        raise ValidationError(
            "该身份证件号的 G 字头学籍号属于一条已删除的问题学籍，请先以临时学籍号建籍，并联系县教育局处理。"
        )
    needs_area = any(kind != NumberKind.FROM_ID for _, kind in pupils_and_kinds)
    area = area_code_of(school) if needs_area else ""
    j_prefixes = {f"J{area}{p.birth_date:%Y%m%d}" for p, kind in pupils_and_kinds if kind == NumberKind.WITHOUT_ID}
    j_taken = _j_sequences_taken(j_prefixes)
    drawn: set[str] = set()
    for pupil, kind in pupils_and_kinds:
        if kind == NumberKind.FROM_ID:
            number = g_numbers[id(pupil)]
        elif kind == NumberKind.TEMPORARY:
            number = temporary_number(area, pupil.birth_date)
            while number in drawn:
                number = temporary_number(area, pupil.birth_date)
        else:
            taken = j_taken.setdefault(f"J{area}{pupil.birth_date:%Y%m%d}", set())
            sequence = next((n for n in range(1, 1000) if n not in taken), None)
            if sequence is None:
                raise ValidationError("该地区同一出生日期的 J 字头学籍号已用完，请联系县教育局。")
            taken.add(sequence)
            number = j_number(area, pupil.birth_date, sequence)
        drawn.add(number)
        pupil.student_number = number


def _j_sequences_taken(prefixes: set[str]) -> dict[str, set[int]]:
    taken: dict[str, set[int]] = {prefix: set() for prefix in prefixes}
    if not prefixes:
        return taken
    query = Q()
    for prefix in prefixes:
        query |= Q(number__startswith=prefix)
    for number in StudentNumber.objects.filter(query).values_list("number", flat=True):
        taken[number[:15]].add(int(number[15:18]))
    return taken


def new_number(kind: str, *, school: Unit, birth_date: date, id_type: str, id_number: str) -> str:
    """A fresh number of the given kind for a pupil with these details (not yet stored)."""
    candidate = Pupil(birth_date=birth_date, id_type=id_type, id_number=id_number)
    assign_new_numbers(school, [(candidate, kind)])
    return candidate.student_number


@transaction.atomic
def pupil_assign_number(*, pupil: Pupil, kind: str, reason: str) -> StudentNumber:
    """Give the pupil a new number of the given kind, retiring the current one.

    A formal number is never replaced by a temporary one, and a G number only by the G number of a
    corrected ID number. Random L numbers that collide are drawn again."""
    pupil = Pupil.objects.select_for_update().get(pk=pupil.pk)
    current = pupil.student_number
    if current.startswith("G") and kind != NumberKind.FROM_ID:
        raise ValidationError("该学生已有 G 字头正式学籍号，不能改为其他类型。")
    if current.startswith("J") and kind == NumberKind.TEMPORARY:
        raise ValidationError("该学生已有 J 字头正式学籍号，不能改为临时学籍号。")
    for _attempt in range(20):
        number = new_number(
            kind, school=pupil.school, birth_date=pupil.birth_date, id_type=pupil.id_type, id_number=pupil.id_number
        )
        if number == current:
            return StudentNumber.objects.get(number=number)
        try:
            with transaction.atomic():
                StudentNumber.objects.filter(pupil=pupil, retired_at__isnull=True).update(retired_at=timezone.now())
                record = StudentNumber.objects.create(pupil=pupil, number=number, kind=kind, reason=reason)
                Pupil.objects.filter(pk=pupil.pk).update(student_number=number)
        except IntegrityError:
            if kind == NumberKind.TEMPORARY:
                continue  # a random collision: draw again
            raise ValidationError(f"学籍号 {number} 已被其他学籍使用，请联系县教育局核查重复学籍。") from None
        pupil.student_number = number
        return record
    raise ValidationError("无法生成不重复的临时学籍号，请稍后重试。")
