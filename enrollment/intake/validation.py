"""Checking the rows of an intake — from a file or from the browser form — against every rule at
once, before anything is written.

Each row is checked by the rules of every pupil (xueji.pupils.rules) and of enrolment
(enrollment.intake.rules): age, the pupil's own ID number, the admission list; then the rows are checked
against each other (no child twice in a file) and against the whole system (the dedupe service
for records; the open entries of every school). The result is either the entries to write or the
complete list of errors, each with its row, column, value and reason.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError

from enrollment.admission.models import AdmissionEntry
from enrollment.intake.columns import COLUMNS
from enrollment.intake.models import EnrolmentEntry, EntryStatus
from enrollment.intake.rules import JUNIOR_FIRST_GRADE, age_error, age_limits, identity_key
from xueji.accounts.models import Unit
from xueji.accounts.selectors import bureau_settings_for
from xueji.codes import GB11643_ID_TYPES, PupilStatus
from xueji.encrypted_fields import index_of
from xueji.pupils.dedupe import Identity, find_duplicates_many
from xueji.pupils.models import Pupil
from xueji.pupils.national_form import FAMILY_ITEMS
from xueji.pupils.rules import clean_guardians, clean_pupil_identity
from xueji.pupils.services import PUPIL_DATA_FIELDS

# Column labels of the fields the rules name (the template's headers say the same).
FIELD_LABELS = {
    **{column.key: column.header for column in COLUMNS if column.guardian_position is None},
    "hukou_address": "户口详细地址", "guardians": "监护人", "admission": "录取名单", "__all__": "",
}
GUARDIAN_LABELS = {item.key: item.label for item in FAMILY_ITEMS}


def field_label(key: str) -> str:
    """“guardian2_phone” → “成员2联系电话” (the template's header); “birth_date” → “出生日期”."""
    if key.startswith("guardian") and "_" in key:
        position, _, rest = key.removeprefix("guardian").partition("_")
        return f"成员{position}{GUARDIAN_LABELS.get(rest, rest)}"
    return FIELD_LABELS.get(key, key)


@dataclass
class IntakeRow:
    """One child as given: the row number the registrar sees (the file's, or 1.. in the form),
    the raw-but-typed data and guardians, and the errors already found while reading cells."""

    row: int
    data: dict[str, Any]
    guardians: list[dict[str, Any]]
    cell_errors: dict[str, str] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)  # what the cells held, to show with errors


@dataclass(frozen=True)
class RowError:
    row: int
    key: str
    value: str
    message: str
    # The school that holds a duplicate record: shown to bureau users only.
    other_school: str = ""

    @property
    def column(self) -> str:
        return field_label(self.key)

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "key": self.key, "column": self.column, "value": self.value,
                "message": self.message, "other_school": self.other_school}


class IntakeInvalid(ValidationError):
    """Rows of an intake break rules: ``errors`` lists every one. Nothing was written."""

    def __init__(self, errors: list[RowError]):
        self.row_errors = errors
        rows = len({e.row for e in errors})
        super().__init__(f"共 {rows} 行、{len(errors)} 处错误，全部未导入。请改正后重新上传。", code="intake_invalid")


@dataclass
class Intake:
    """Where the rows go: the school, the intake year and the grade (1, or 7 for junior)."""

    school: Unit
    intake_year: int
    grade: int


def validate_intake(intake: Intake, rows: list[IntakeRow], *, exclude_entry_ids: set[int] = frozenset(),
                    progress=None, require_admission: bool = True) -> list[EnrolmentEntry]:
    """The unsaved entries of ``rows``, or IntakeInvalid listing every error of every row.

    ``exclude_entry_ids``: entries being replaced (an edit in the form), not duplicates of
    themselves. ``progress(done, total)`` is called now and then for a progress bar."""
    errors: list[RowError] = []
    settings = bureau_settings_for(intake.school)
    limits = age_limits(settings, intake.intake_year, intake.grade)
    checked: list[tuple[IntakeRow, dict, list]] = []
    for done, row in enumerate(rows, start=1):
        row_errors = _check_row(row, intake, limits)
        if row_errors:
            errors.extend(row_errors)
        else:
            checked.append((row, row.data, row.guardians))
        if progress is not None and done % 500 == 0:
            progress(done, len(rows))

    entries = [_entry(intake, row) for row, _, _ in checked]
    pulled: dict[int, AdmissionEntry] = {}
    if require_admission:  # late registration (补建) is of children not on the autumn's list
        admission_errors, pulled = _admission_errors(intake, entries)
        errors.extend(admission_errors)
        errors.extend(_pull_lock_errors(entries, pulled))
    errors.extend(_duplicate_errors(intake, entries, exclude_entry_ids, pulled))
    if errors:
        raise IntakeInvalid(sorted(errors, key=lambda e: (e.row, e.key)))
    return entries


def _value(row: IntakeRow, key: str) -> str:
    value = row.raw.get(key, row.data.get(key, ""))
    return "" if value is None else str(value)


def _check_row(row: IntakeRow, intake: Intake, limits) -> list[RowError]:
    """Every error of one row by itself (identity, guardians, age)."""
    errors = [RowError(row.row, key, _value(row, key), message) for key, message in row.cell_errors.items()]
    broken = set(row.cell_errors)
    data = {k: v for k, v in row.data.items() if k in PUPIL_DATA_FIELDS and k not in broken}
    try:
        cleaned = clean_pupil_identity(data)
    except ValidationError as error:
        cleaned = None
        errors += [RowError(row.row, key, _value(row, key), message)
                   for key, messages in error.message_dict.items() if key not in broken for message in messages]
    try:
        guardians = clean_guardians(row.guardians, pupil_id_type=(cleaned or data).get("id_type", ""))
    except ValidationError as error:
        guardians = None
        errors += [RowError(row.row, key, _value(row, key), message)
                   for key, messages in error.message_dict.items() if key not in broken for message in messages]
    if cleaned is not None and cleaned.get("birth_date"):
        problem = age_error(cleaned["birth_date"], limits, grade=intake.grade,
                            from_id_number=cleaned["id_type"] in GB11643_ID_TYPES)
        if problem:
            key = "id_number" if cleaned["id_type"] in GB11643_ID_TYPES else "birth_date"
            errors.append(RowError(row.row, key, _value(row, key), problem))
    if not errors:
        if row.data.get("entry_date"):  # 入学年月: not a field of the record, kept for its first status
            cleaned["entry_date"] = row.data["entry_date"]
        row.data, row.guardians = cleaned, guardians
    return errors


def _entry(intake: Intake, row: IntakeRow) -> EnrolmentEntry:
    data = row.data
    return EnrolmentEntry(
        school=intake.school, intake_year=intake.intake_year, grade=intake.grade, row=row.row,
        data=_jsonable(data), guardians=[_jsonable(g) for g in row.guardians],
        name=data["name"], gender=data["gender"], birth_date=data["birth_date"], id_type=data["id_type"],
        id_number=data.get("id_number", ""),
    )


# The values JSON takes as they are: nearly all of a row's, told apart by one look at their class
# (the two isinstance checks below, asked of every value, were most of this function's time).
_JSON_AS_IS = frozenset({str, int, float, bool, type(None)})


def _jsonable(values: dict[str, Any]) -> dict[str, Any]:
    return {k: v if v.__class__ in _JSON_AS_IS else _json_value(v) for k, v in values.items()}


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, Decimal) else value


def key_of(entry) -> tuple:
    return identity_key(id_type=entry.id_type, id_number=entry.id_number, name=entry.name,
                        gender=entry.gender, birth_date=entry.birth_date)


def _admission_errors(
    intake: Intake, entries: list[EnrolmentEntry]
) -> tuple[list[RowError], dict[int, AdmissionEntry]]:
    """A school registers only the children on its admission list of the year (matched by ID
    number, or by name + gender + birth date without one); each entry is linked to its row.

    The list is read as values: building its 5,000 rows as model instances cost more than the
    match. Only the rows the pre-school pull matched to a record are loaded whole, with that
    record, and returned by their key (the entry continues the record and keeps its fields)."""
    if not entries:
        return [], {}
    listed = AdmissionEntry.objects.filter(school=intake.school, intake_year=intake.intake_year).values_list(
        "pk", "pulled_pupil_id", "id_type", "id_number", "name", "gender", "birth_date")
    admitted = {identity_key(id_type=kind, id_number=number, name=name, gender=gender, birth_date=born): (pk, pupil)
                for pk, pupil, kind, number, name, gender, born in listed}
    if not admitted:
        return [RowError(entries[0].row, "admission", "", f"县教育局尚未导入本校{intake.intake_year}年的新生录取名单，暂不能登记新生。")], {}
    errors, pulled_ids = [], []
    for entry in entries:
        match = admitted.get(key_of(entry))
        if match is None:
            errors.append(RowError(entry.row, "admission", entry.name,
                                   f"{entry.name}不在本校{intake.intake_year}年的录取名单中，学校只能登记录取到本校的学生。"))
        else:
            entry.admission_id = match[0]
            if match[1] is not None:
                pulled_ids.append(match[0])
    pulled = AdmissionEntry.objects.select_related("pulled_pupil").in_bulk(pulled_ids) if pulled_ids else {}
    for entry in entries:
        if entry.admission_id in pulled:
            entry.admission = pulled[entry.admission_id]
    return errors, pulled


def _duplicate_errors(intake: Intake, entries: list[EnrolmentEntry], exclude_entry_ids,
                      pulled: dict[int, AdmissionEntry]) -> list[RowError]:
    """No child twice: inside the rows, among the open entries of every school, and against the
    records of the whole system — except, at the junior-middle intake, a primary graduate, whose
    record the entry continues."""
    errors: list[RowError] = []
    # Every row of a child given twice is marked, each naming the others: the registrar sees the
    # pair (in the list and as red cells of the annotated copy) and keeps the right one.
    rows_of: dict[tuple, list[EnrolmentEntry]] = {}
    for entry in entries:
        rows_of.setdefault(key_of(entry), []).append(entry)
    for same in rows_of.values():
        if len(same) < 2:
            continue
        for entry in same:
            others = "、".join(str(other.row) for other in same if other is not entry)
            errors.append(RowError(entry.row, "id_number" if entry.id_number else "name", entry.id_number or entry.name,
                                   f"与第 {others} 行是同一名学生，文件中重复。"))

    open_entries = EnrolmentEntry.objects.exclude(status=EntryStatus.ESTABLISHED).exclude(pk__in=exclude_entry_ids)
    with_id = [e for e in entries if e.id_number]
    # The ID number is encrypted: the query goes by its blind index, the match is on the decrypted value.
    indexes = [index_of(EnrolmentEntry, "id_number_index", e.id_number) for e in with_id]
    taken = {(e.id_type, e.id_number): e for e in open_entries.filter(id_number_index__in=indexes).select_related("school")}
    for entry in with_id:
        other = taken.get((entry.id_type, entry.id_number))
        if other is not None:
            where = "本校已登记过该学生" if other.school_id == intake.school.pk else "该学生已在另一所学校登记为新生"
            errors.append(RowError(entry.row, "id_number", entry.id_number, f"{where}，同一学生不能重复登记。",
                                   other_school=other.school.name))

    candidates = [Identity(id_type=e.id_type, id_number=e.id_number, name=e.name, gender=e.gender,
                           birth_date=e.birth_date) for e in entries]
    found = find_duplicates_many(candidates)
    for entry, candidate in zip(entries, candidates):
        duplicates = found.get(id(candidate), [])
        if not duplicates:
            continue
        continued = _pulled(pulled.get(entry.admission_id), duplicates) or next(
            (d.pupil for d in duplicates if _continues_into_junior(intake, d.pupil)), None
        )
        if continued is not None:
            entry.continues = continued
            continue
        by_id = any(d.reason == "id_number" for d in duplicates)
        errors.append(RowError(
            entry.row, "id_number" if by_id else "name", entry.id_number or entry.name,
            "系统中已有使用该身份证件号的学籍，同一学生不能重复建籍。如有疑问请联系县教育局。" if by_id
            else "系统中已有姓名、性别、出生日期都相同的学籍，请核实是否为同一学生。",
            other_school=duplicates[0].pupil.school.name,
        ))
    return errors


def _pulled(admission: AdmissionEntry | None, duplicates) -> Pupil | None:
    """The record the pre-school pull matched to the child's admission, when it is among the
    duplicates found (enrollment.admission.pull)."""
    if admission is None or admission.pulled_pupil_id is None:
        return None
    return next((d.pupil for d in duplicates if d.pupil.pk == admission.pulled_pupil_id), None)


def _pull_lock_errors(entries: list[EnrolmentEntry], pulled: dict[int, AdmissionEntry]) -> list[RowError]:
    """A child the pre-school pull matched keeps the record's five fields: they cannot differ."""
    from enrollment.admission.pull import locked_field_changes

    errors = []
    for entry in entries:
        admission = pulled.get(entry.admission_id)
        if admission is None:
            continue
        values = {"name": entry.name, "gender": entry.gender, "birth_date": entry.birth_date,
                  "id_type": entry.id_type, "id_number": entry.id_number}
        for key in locked_field_changes(admission, values):
            errors.append(RowError(entry.row, key, str(values[key]),
                                   "学前调档已匹配到该生的已有学籍，此项以已有学籍为准，不能修改。"))
    return errors


def _continues_into_junior(intake: Intake, pupil: Pupil) -> bool:
    """A primary graduate entering grade 7 keeps the record and the 学籍号 it has."""
    return intake.grade == JUNIOR_FIRST_GRADE and pupil.status == PupilStatus.GRADUATED and pupil.grade == 6
