"""Writes of a pupil's record. Every change goes through here: validation (xueji.pupils.rules),
dedupe, numbers, status history, field history context and the audit log.

Field history is written by pghistory's database triggers; the ``pghistory.context`` around each
write attaches who made the change and which approved request (if any) it carries out.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone

from xueji.accounts.audit import audit_record, audit_record_many
from xueji.accounts.models import Role, Unit, User
from xueji.accounts.permissions import require
from xueji.codes import GB11643_ID_TYPES, NumberKind, PupilStatus
from xueji.pupils import numbers
from xueji.pupils.dedupe import Duplicate, DuplicatePupilError, find_duplicates, find_duplicates_many
from xueji.pupils.models import Guardian, ProblemRecord, Pupil, Sanction, SchoolClass, StatusChange, StudentNumber
from xueji.pupils.rules import clean_guardians, clean_pupil_identity
from xueji.pupils.selectors import class_cap

# Fields a pupil's data may carry (the rest of the model is managed by the services).
PUPIL_DATA_FIELDS = {
    "name", "former_name", "gender", "birth_date", "birthplace_id", "native_place_id", "ethnicity",
    "nationality", "id_type", "id_number", "overseas_status", "hukou_division_id", "hukou_type",
    "hukou_address", "address", "health", "disability", "disability_placement", "entry_mode", "boarding",
    "left_behind", "migrant_child", "only_child", "orphan",
    # The rest of the national form's 48 items (xueji.pupils.national_form).
    "political_status", "id_validity", "specialty", "auxiliary_number", "class_number", "source",
    "mailing_address", "home_address", "phone", "postcode", "email", "homepage", "preschool", "martyr_child",
    "government_place", "needs_aid", "one_subsidy", "distance_km", "commute_mode", "school_bus",
}
KEY_FIELDS = {"name", "id_type", "id_number"}  # changes that pass dedupe again
GUARDIAN_DATA_FIELDS = {
    "relation", "name", "id_type", "id_number", "phone", "workplace", "hukou_division_id",
    "relation_note", "address", "is_guardian", "ethnicity", "job_title",
}


def _history_context(actor: User | None, change_request_id: int | None, reason: str):
    return pghistory.context(
        user=actor.pk if actor else None, change_request=change_request_id, reason=reason or None
    )


def _check_class(school: Unit, school_class: SchoolClass | None, grade: int) -> None:
    if school_class is None:
        return
    if school_class.school_id != school.pk:
        raise ValidationError({"school_class": "班级不属于该学校。"})
    if school_class.grade != grade:
        raise ValidationError({"school_class": "班级的年级与学生的年级不一致。"})


@dataclass
class NewPupil:
    """One pupil to create: the record's data and guardians as plain values (codes, dates)."""

    data: dict[str, Any]
    guardians: list[dict[str, Any]]
    grade: int
    entry_date: date
    school_class: SchoolClass | None = None
    number_kind: str = NumberKind.TEMPORARY
    # A pupil without an ID number whose name, gender and birth date match another record is
    # refused, unless this is set: then it is created with a problem record (问题学籍) that asks
    # the bureau to settle it by proof.
    accept_identity_duplicate: bool = False


class RowErrors(ValidationError):
    """The rows of a batch that break a rule: ``rows`` maps a row's index to its ValidationError
    (keyed by field). Nothing of the batch was written."""

    def __init__(self, rows: dict[int, ValidationError]):
        self.rows = rows
        super().__init__(f"{len(rows)} 行有错误，全部未保存。", code="rows_invalid")


@transaction.atomic
def pupil_create(*, actor: User | None, school: Unit, status: str = PupilStatus.ENROLLED,
                 change_request_id: int | None = None, **new_pupil) -> Pupil:
    """Create one pupil's record with its guardians, first 学籍号 and first status. Takes the
    fields of NewPupil as keyword arguments. Refused (ValidationError, nothing written) when the
    data break a rule or the child already has a record (DuplicatePupilError)."""
    try:
        [pupil] = pupils_create_many(
            actor=actor, school=school, rows=[NewPupil(**new_pupil)], status=status,
            change_request_id=change_request_id,
        )
    except RowErrors as error:
        raise error.rows[0] from None
    return pupil


@transaction.atomic
def pupils_create_many(
    *,
    actor: User | None,
    school: Unit,
    rows: list[NewPupil],
    status: str = PupilStatus.ENROLLED,
    change_request_id: int | None = None,
) -> list[Pupil]:
    """Create many pupils' records at once, all or nothing.

    Every row is checked by the same rules (xueji.pupils.rules) and deduplicated against the whole
    system and against the other rows; if any row fails, RowErrors lists every failing row and
    nothing is written. Then the records, guardians, numbers and first statuses are inserted in
    bulk (the history triggers still record each row)."""
    if not school.is_school:
        raise ValidationError({"school": "只能在学校建立学籍。"})
    prepared: list[tuple[int, Pupil, list[dict[str, Any]], NewPupil]] = []
    errors: dict[int, ValidationError] = {}
    for index, row in enumerate(rows):
        try:
            prepared.append((index, *_prepare(school, row, status), row))
        except ValidationError as error:
            errors[index] = error
    duplicates = _find_batch_duplicates([pupil for _, pupil, _, _ in prepared])
    for index, pupil, _, row in prepared:
        found = duplicates.get(id(pupil), [])
        identity_only = found and all(d.reason == "identity" for d in found)
        if found and not (identity_only and row.accept_identity_duplicate):
            errors[index] = DuplicatePupilError(found)
    errors.update(_rows_over_class_cap([(index, row) for index, _, _, row in prepared if index not in errors]))
    if errors:
        raise RowErrors(dict(sorted(errors.items())))
    prepared = [(pupil, guardians, row) for _, pupil, guardians, row in prepared]

    pupils = [pupil for pupil, _, _ in prepared]
    numbers.assign_new_numbers(school, [(pupil, row.number_kind) for pupil, _, row in prepared])
    with _history_context(actor, change_request_id, "建立学籍"):
        _bulk_insert(pupils, [row.number_kind for _, _, row in prepared], school)
        Guardian.objects.bulk_create(
            Guardian(pupil=pupil, position=g["position"], **{k: v for k, v in g.items() if k in GUARDIAN_DATA_FIELDS})
            for pupil, guardians, _ in prepared
            for g in guardians
        )
        StudentNumber.objects.bulk_create(
            StudentNumber(pupil=pupil, number=pupil.student_number, kind=row.number_kind, reason="建立学籍")
            for pupil, _, row in prepared
        )
        StatusChange.objects.bulk_create(
            StatusChange(
                pupil=pupil, from_status="", to_status=status, effective_date=row.entry_date, reason="建立学籍",
                changed_by=actor, change_request_id=change_request_id, school=school,
            )
            for pupil, _, row in prepared
        )
        ProblemRecord.objects.bulk_create(
            ProblemRecord(
                pupil=pupil, kind=ProblemRecord.Kind.DUPLICATE_IDENTITY, other_pupil=duplicate.pupil,
                detail="无身份证件号，姓名、性别、出生日期与另一学籍相同，待佐证。",
            )
            for pupil in pupils
            for duplicate in duplicates.get(id(pupil), [])
        )
    audit_record_many(action="pupil.create", objs=pupils, user=actor)
    return pupils


def _rows_over_class_cap(rows: list[tuple[int, NewPupil]]) -> dict[int, ValidationError]:
    """The rows that would put a class over its cap (the bureau's setting: 45 primary, 50
    junior), counting the pupils already enrolled in it."""
    classes = {row.school_class.pk: row.school_class for _, row in rows if row.school_class is not None}
    if not classes:
        return {}
    seated = dict(
        Pupil.objects.filter(school_class_id__in=classes, status=PupilStatus.ENROLLED, deleted_at__isnull=True)
        .values_list("school_class_id")
        .annotate(n=Count("id"))
    )
    errors = {}
    for index, row in rows:
        if row.school_class is None:
            continue
        class_id = row.school_class.pk
        cap = class_cap(classes[class_id])
        seated[class_id] = seated.get(class_id, 0) + 1
        if seated[class_id] > cap:
            errors[index] = ValidationError(
                {"school_class": f"{classes[class_id].name}已满（班额上限 {cap} 人），请分到其他班级。"}
            )
    return errors


def _prepare(school: Unit, row: NewPupil, status: str) -> tuple[Pupil, list[dict[str, Any]]]:
    """Check one row and build its unsaved Pupil (without its number) and cleaned guardians."""
    if row.grade not in school.grades:
        raise ValidationError({"grade": "该学校没有这个年级。"})
    _check_class(school, row.school_class, row.grade)
    cleaned = clean_pupil_identity({k: v for k, v in row.data.items() if k in PUPIL_DATA_FIELDS})
    guardians = clean_guardians(row.guardians, pupil_id_type=cleaned["id_type"])
    if row.number_kind == NumberKind.WITHOUT_ID and cleaned["id_type"] in GB11643_ID_TYPES:
        raise ValidationError("持身份证件号的学生应使用 G 字头学籍号，而不是 J 字头。")
    if row.number_kind == NumberKind.FROM_ID and cleaned["id_type"] not in GB11643_ID_TYPES:
        raise ValidationError("只有持居民身份证（或港澳台居民居住证）号码的学生才能获得 G 字头学籍号。")
    pupil = Pupil(
        **cleaned, school=school, school_class=row.school_class, grade=row.grade, entry_date=row.entry_date,
        status=status, student_number="",
    )
    # Field checks only (lengths, choices): uniqueness and constraints are the database's (the
    # race-safe check) and the dedupe's, and the foreign keys were checked by the rules.
    pupil.full_clean(
        exclude=["photo", "school", "school_class", "student_number", "birthplace", "native_place", "hukou_division"],
        validate_unique=False, validate_constraints=False,
    )
    return pupil, guardians


def _find_batch_duplicates(pupils: list[Pupil]) -> dict[int, list[Duplicate]]:
    """Duplicates of each new record (keyed by id() of the unsaved Pupil): against live records
    of the whole system, and against the rows before it in the batch."""
    found = find_duplicates_many(pupils)
    seen: dict[tuple, Pupil] = {}
    for pupil in pupils:
        key = (pupil.id_type, pupil.id_number) if pupil.has_id_number else (pupil.name, pupil.gender, pupil.birth_date)
        if key in seen:
            found.setdefault(id(pupil), []).append(Duplicate(seen[key], "id_number" if pupil.has_id_number else "identity"))
        else:
            seen[key] = pupil
    return found


def _violated_constraint(error: IntegrityError) -> str:
    return getattr(getattr(error.__cause__, "diag", None), "constraint_name", None) or ""


def _bulk_insert(pupils: list[Pupil], kinds: list[str], school: Unit) -> None:
    """Insert the new records in a savepoint. The unique indexes settle races: on live ID
    numbers (and on G numbers, which are ID numbers) between two schools registering the same
    child, the loser gets the duplicate error; on L and J numbers drawn at the same moment, the
    loser draws again."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                Pupil.objects.bulk_create(pupils)
            return
        except IntegrityError as error:
            constraint = _violated_constraint(error)
            number_clash = constraint.startswith("xueji_pupil_student_number")
            if constraint == "pupil_live_id_number_unique" or (number_clash and _clashing_value(error).startswith("G")):
                # Another school's registration of the same child committed first.
                found = [d for ds in find_duplicates_many(pupils).values() for d in ds]
                raise DuplicatePupilError(found or [Duplicate(pupils[0], "id_number")]) from None
            if not number_clash:
                raise
            for pupil in pupils:
                pupil.pk = None
            numbers.assign_new_numbers(school, list(zip(pupils, kinds)))
    raise ValidationError("暂时无法生成不重复的学籍号，请稍后重试。")


def _clashing_value(error: IntegrityError) -> str:
    """The value of a unique violation: "Key (student_number)=(G2201…) already exists." → "G2201…"."""
    detail = getattr(getattr(error.__cause__, "diag", None), "message_detail", None) or ""
    return detail.partition(")=(")[2].partition(")")[0]


def _save_guardians(pupil: Pupil, guardians: list[dict[str, Any]]) -> None:
    existing = {g.position: g for g in pupil.guardians.all()}
    for guardian in guardians:
        values = {k: v for k, v in guardian.items() if k in GUARDIAN_DATA_FIELDS}
        current = existing.pop(guardian["position"], None)
        if current is None:
            Guardian.objects.create(pupil=pupil, position=guardian["position"], **values)
        else:
            for field, value in values.items():
                setattr(current, field, value)
            current.save()
    for leftover in existing.values():
        leftover.delete()


def pupil_clean_changes(*, pupil: Pupil, changes: dict[str, Any]) -> dict[str, Any]:
    """The record's data fields as they would be after ``changes``, checked by the rules
    (ValidationError keyed by field). Nothing is written: requests check a change with this
    before it goes for approval, and pupil_update before it writes."""
    unknown = set(changes) - PUPIL_DATA_FIELDS
    if unknown:
        raise ValidationError(f"这些字段不能在此修改：{', '.join(sorted(unknown))}")
    current = {field: getattr(pupil, field) for field in PUPIL_DATA_FIELDS}
    new_id_type = changes.get("id_type", pupil.id_type)
    if ("id_number" in changes or "id_type" in changes) and new_id_type in GB11643_ID_TYPES:
        # For a 居民身份证 the birth date and gender are the ones in the new number.
        current.update({field: None for field in ("birth_date", "gender") if field not in changes})
    return clean_pupil_identity({**current, **changes})


@transaction.atomic
def pupil_update(
    *,
    actor: User | None,
    pupil: Pupil,
    changes: dict[str, Any],
    guardians: list[dict[str, Any]] | None = None,
    reason: str = "",
    change_request_id: int | None = None,
) -> Pupil:
    """Change fields of a pupil's record (and optionally replace its guardians).

    A change of name or ID number passes dedupe again; a G number follows a corrected ID number
    and a J number becomes G when an ID number is added (the former number stays in the history).
    """
    pupil = Pupil.objects.select_for_update().select_related("school").get(pk=pupil.pk)
    cleaned = pupil_clean_changes(pupil=pupil, changes=changes)
    cleaned_guardians = clean_guardians(guardians, pupil_id_type=cleaned["id_type"]) if guardians is not None else None

    key_changed = any(cleaned.get(f) != getattr(pupil, f) for f in KEY_FIELDS)
    if key_changed:
        duplicates = find_duplicates(
            id_type=cleaned["id_type"], id_number=cleaned.get("id_number", ""), name=cleaned["name"],
            gender=cleaned["gender"], birth_date=cleaned["birth_date"], exclude_pupil_id=pupil.pk,
        )
        if duplicates:
            raise DuplicatePupilError(duplicates)
    id_number_changed = cleaned.get("id_number") != pupil.id_number or cleaned["id_type"] != pupil.id_type
    changed_fields = [f for f in cleaned if hasattr(pupil, f) and getattr(pupil, f) != cleaned[f]]
    with _history_context(actor, change_request_id, reason):
        for field in changed_fields:
            setattr(pupil, field, cleaned[field])
        try:
            with transaction.atomic():
                pupil.save()
        except IntegrityError as error:
            if _violated_constraint(error) == "pupil_live_id_number_unique":
                raise DuplicatePupilError([Duplicate(pupil, "id_number")]) from None
            raise
        if cleaned_guardians is not None:
            _save_guardians(pupil, cleaned_guardians)
        has_g_id = pupil.id_type in GB11643_ID_TYPES and pupil.id_number
        if id_number_changed and has_g_id and (pupil.student_number[0] in "GJ"):
            numbers.pupil_assign_number(pupil=pupil, kind=NumberKind.FROM_ID, reason=reason or "身份证件号变更")
    labels = [str(Pupil._meta.get_field(f.removesuffix("_id")).verbose_name) for f in changed_fields if f in PUPIL_DATA_FIELDS]
    audit_record(action="pupil.update", obj=pupil, user=actor, detail="修改字段：" + "、".join(labels))
    pupil.refresh_from_db()
    return pupil


@transaction.atomic
def pupil_set_status(
    *,
    actor: User | None,
    pupil: Pupil,
    status: str,
    effective_date: date,
    reason: str,
    change_request_id: int | None = None,
) -> Pupil:
    """Move a pupil to another status and record the step in its status history."""
    if status not in PupilStatus.values:
        raise ValidationError(f"未知的学籍状态：{status}")
    pupil = Pupil.objects.select_for_update().get(pk=pupil.pk)
    if pupil.status == status:
        raise ValidationError(f"学生已是“{PupilStatus(status).label}”状态。")
    with _history_context(actor, change_request_id, reason):
        StatusChange.objects.create(
            pupil=pupil, from_status=pupil.status, to_status=status, effective_date=effective_date,
            reason=reason, changed_by=actor, change_request_id=change_request_id, school_id=pupil.school_id,
        )
        pupil.status = status
        pupil.save(update_fields=["status", "updated_at"])
    audit_record(action="pupil.status", obj=pupil, user=actor, detail=f"学籍状态改为{PupilStatus(status).label}")
    return pupil


@transaction.atomic
def pupil_move(
    *,
    actor: User | None,
    pupil: Pupil,
    school: Unit,
    school_class: SchoolClass | None,
    effective_date: date,
    reason: str,
    status: str | None = None,
    change_request_id: int | None = None,
) -> Pupil:
    """Move a pupil to a school and class (a transfer, a return), optionally to another status;
    the step goes into the status history (with the new school) and the field history. The
    grade is the class's: a transfer never changes it, and the caller checks that."""
    if not school.is_school:
        raise ValidationError("只能转入学校。")
    pupil = Pupil.objects.select_for_update().get(pk=pupil.pk)
    if school_class is not None:
        _check_class(school, school_class, school_class.grade)
    new_status = status or pupil.status
    with _history_context(actor, change_request_id, reason):
        StatusChange.objects.create(
            pupil=pupil, from_status=pupil.status, to_status=new_status, effective_date=effective_date,
            reason=reason, changed_by=actor, change_request_id=change_request_id, school=school,
        )
        pupil.school = school
        pupil.school_class = school_class
        if school_class is not None:
            pupil.grade = school_class.grade
        pupil.status = new_status
        pupil.save(update_fields=["school", "school_class", "grade", "status", "updated_at"])
    audit_record(action="pupil.move", obj=pupil, user=actor, detail=reason)
    return pupil


@transaction.atomic
def pupil_restore_state(
    *,
    actor: User | None,
    pupil: Pupil,
    state: dict[str, Any],
    effective_date: date,
    reason: str,
    change_request_id: int | None = None,
) -> Pupil:
    """Put a pupil back into a former state of the same school (status, class, grade), as when an
    approved change is reversed; the step goes into the status and field history like any other.
    A class that no longer exists leaves the pupil without one."""
    pupil = Pupil.objects.select_for_update().get(pk=pupil.pk)
    if state["school"] != pupil.school_id:
        raise ValidationError("学生已不在原学校，不能恢复原状态。")
    if state["status"] not in PupilStatus.values or state["grade"] not in range(1, 10):
        raise ValidationError("要恢复的学籍状态无效。")
    school_class = SchoolClass.objects.filter(pk=state["school_class"], school_id=pupil.school_id).first() if state["school_class"] else None
    with _history_context(actor, change_request_id, reason):
        StatusChange.objects.create(
            pupil=pupil, from_status=pupil.status, to_status=state["status"], effective_date=effective_date,
            reason=reason, changed_by=actor, change_request_id=change_request_id, school_id=pupil.school_id,
        )
        pupil.status, pupil.school_class, pupil.grade = state["status"], school_class, state["grade"]
        pupil.save(update_fields=["status", "school_class", "grade", "updated_at"])
    audit_record(action="pupil.restore", obj=pupil, user=actor, detail=reason)
    return pupil


@transaction.atomic
def pupil_mark_deleted(*, actor: User | None, pupil: Pupil, reason: str) -> Pupil:
    """删除 a problem record: it leaves every school's lists but stays visible to the bureau."""
    pupil = Pupil.objects.select_for_update().get(pk=pupil.pk)
    if pupil.deleted_at:
        raise ValidationError("该学籍已删除。")
    with _history_context(actor, None, reason):
        pupil.deleted_at = timezone.now()
        pupil.save(update_fields=["deleted_at", "updated_at"])
        pupil.problems.filter(resolution="").update(
            resolution=ProblemRecord.Resolution.DELETION, resolved_at=pupil.deleted_at, resolved_by=actor
        )
    audit_record(action="pupil.delete", obj=pupil, user=actor, detail=reason)
    return pupil



# Who records a pupil's sanction: the school's registrar or headmaster.
SANCTION_ROLES = (Role.REGISTRAR, Role.HEADMASTER)


@transaction.atomic
def sanction_record(
    *, actor: User, pupil: Pupil, kind: str, start_date: date, end_date: date | None, reason: str
) -> Sanction:
    """Record a disciplinary sanction (纪律处分) by the pupil's own school."""
    require(actor, SANCTION_ROLES, pupil.school_id, message="只有本校学籍管理员或校长可以登记处分。", code="not_school")
    if kind not in Sanction.Kind.values:
        raise ValidationError({"kind": "请选择处分类型。"})
    if end_date is not None and end_date < start_date:
        raise ValidationError({"end_date": "解除日期不能早于处分日期。"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写处分事由。"})
    sanction = Sanction.objects.create(
        pupil=pupil, kind=kind, start_date=start_date, end_date=end_date, reason=reason[:200], recorded_by=actor
    )
    audit_record(action="pupil.sanction", obj=pupil, user=actor, detail=f"登记处分：{sanction.get_kind_display()}")
    return sanction
