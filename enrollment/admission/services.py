"""录取名单 (the admission list): the county bureau imports which children each school admits;
the school marks them as arrived (报到); a school registers only the children on its list.

The bureau's file has one row per child: 学校代码, 姓名, 性别, 出生日期, 身份证件类型, 身份证件号.
Every row is checked by the rules of every pupil's identity (xueji.pupils.rules, the same ID and
name rules as the forms and the enrolment import) and the entry age of enrolment
(enrollment.intake.rules); the file is written whole or not at all, and a refused file comes back with
every error (row, column, value, reason). The file itself is read by the safe reader of every
upload (xueji.files.spreadsheets): a hostile file is refused with its reason before a cell is read.
"""

import re
from datetime import date, datetime
from io import BytesIO
from typing import Any, NamedTuple

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.worksheet.datavalidation import DataValidation

from enrollment.admission.models import AdmissionEntry
from enrollment.intake.models import EnrolmentEntry
from enrollment.intake.rules import age_error, age_limits, identity_key
from xueji.accounts.audit import audit_record
from xueji.accounts.models import BUREAU_ROLES, Role, Unit, UnitKind, User
from xueji.accounts.models.units import BUREAU_KINDS
from xueji.accounts.permissions import NotAllowed, holds, require_registrar
from xueji.accounts.scoping import memberships_of
from xueji.accounts.selectors import bureau_settings_by_unit
from xueji.codes import GB11643_ID_TYPES, Gender, IdType, OverseasStatus
from xueji.documents.xlsx import set_widths, write_header
from xueji.encrypted_fields import index_of
from xueji.files.spreadsheets import SheetRules, read_spreadsheet
from xueji.pupils.rules import clean_pupil_identity

MAX_ROWS = 10_000
# A full list of 10,000 rows is well under 1 MB; the cap keeps an upload from filling the memory
# of a web process. A zip bomb dressed as .xlsx, and every other hostile file, is the safe
# reader's to refuse (xueji.files.spreadsheets).
MAX_FILE_BYTES = 10 * 1024 * 1024
EARLIEST_INTAKE_YEAR = 2000
# The list is the first sheet, one child a row below the header; formulas are refused like in
# every upload (a formula's value is whatever the sender's Excel last computed).
ADMISSION_SHEET = SheetRules(
    max_rows=MAX_ROWS, expected="本系统的录取名单模板",
    advice="请下载本系统的录取名单模板，把数据粘贴为数值后另存为 .xlsx 再上传。",
)

# The file's columns, in the template's order, and the fields they fill.
COLUMNS = {
    "school": "学校代码",
    "name": "姓名",
    "gender": "性别",
    "birth_date": "出生日期",
    "id_type": "身份证件类型",
    "id_number": "身份证件号",
}
COLUMN_ORDER = list(COLUMNS.values())
# Pupils of these ID types are foreigners: their names may use Latin letters.
FOREIGN_ID_TYPES = {IdType.PASSPORT, IdType.FOREIGN_PERMANENT}
_ISO_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})")


class AdmissionError(NamedTuple):
    """One problem of one row: the row number Excel shows, the column's header, what the cell
    held, and the reason in Chinese."""

    row: int
    column: str
    value: str
    message: str


class AdmissionImportInvalid(ValidationError):
    """Rows of an admission list break rules; ``row_errors`` lists every one. Nothing was written."""

    def __init__(self, errors: list[AdmissionError]):
        self.row_errors = errors
        rows = len({error.row for error in errors})
        super().__init__(
            f"共 {rows} 行、{len(errors)} 处错误，整个文件未导入。请改正后重新上传。", code="admission_invalid"
        )


def check_intake_year(intake_year: Any) -> int:
    try:
        year = int(intake_year)
    except (TypeError, ValueError):
        raise ValidationError("入学年份应为四位数字，例如 2026。", code="intake_year") from None
    latest = timezone.localdate().year + 1
    if not EARLIEST_INTAKE_YEAR <= year <= latest:
        raise ValidationError(f"入学年份应在 {EARLIEST_INTAKE_YEAR}–{latest} 之间。", code="intake_year")
    return year


# Import ----------------------------------------------------------------------------------------

def admission_import(*, actor: User, bureau: Unit, intake_year: int, file_bytes: bytes) -> int:
    """Import a bureau's admission list of ``intake_year`` from an .xlsx file and return the
    number of children written.

    Only an officer of ``bureau`` may import (PermissionDenied), and only for schools the bureau
    runs: under it and not under a lower bureau, which keeps its own list. Every row is checked
    first; with any error nothing is written and AdmissionImportInvalid lists every error. A file
    the safe reader refuses (not an honest .xlsx: a zip bomb, macros, formulas, too many rows …)
    raises its ExcelRefused, a ValidationError with the reason's code; one that cannot be read
    otherwise (empty, too big, wrong headers) a plain ValidationError."""
    _require_officer(actor, bureau)
    intake_year = check_intake_year(intake_year)
    rows = _read_rows(file_bytes)
    entries = _validate(rows, actor=actor, bureau=bureau, intake_year=intake_year)
    try:
        with transaction.atomic():
            AdmissionEntry.objects.bulk_create(entries, batch_size=2000)
            schools = len({entry.school_id for entry in entries})
            audit_record(
                action="admission.import", user=actor, unit=bureau,
                detail=f"导入{intake_year}年新生录取名单：{len(entries)} 人，{schools} 所学校",
            )
    except IntegrityError as error:
        # Checked above, but another officer's import of the same children can commit between
        # the check and the insert: the unique constraint settles it.
        if "admission_unique_id" not in str(error):
            raise
        raise ValidationError(
            "导入时发现部分学生刚刚已被录取（可能有人同时导入了名单），整个文件未导入。请重新上传以查看具体行。",
            code="admission_race",
        ) from None
    return len(entries)


def _require_officer(actor: User, bureau: Unit) -> None:
    if bureau.kind not in BUREAU_KINDS or not holds(actor, BUREAU_ROLES, bureau):
        raise NotAllowed("只有教育局学籍管理员可以导入本局的新生录取名单。", code="not_bureau")


class _Row(NamedTuple):
    number: int  # as Excel numbers it
    cells: dict[str, Any]  # field → the cell's value as calamine read it


def _read_rows(file_bytes: bytes) -> list[_Row]:
    """The data rows of the first sheet, by column header. Refuses what the safe reader refuses
    (ExcelRefused: not an honest .xlsx, more than MAX_ROWS rows below the header …), and a
    sheet without the six headers in row 1."""
    if not file_bytes:
        raise ValidationError("上传的文件是空的。", code="file_empty")
    if len(file_bytes) > MAX_FILE_BYTES:
        raise ValidationError(f"文件超过 {MAX_FILE_BYTES // 1024 // 1024} MB，请确认上传的是录取名单。", code="file_size")
    # From A1 whatever the first filled cell, so that row and column numbers are Excel's.
    grid = read_spreadsheet(file_bytes, ADMISSION_SHEET).rows()
    if not grid:
        raise ValidationError("文件中没有内容。", code="file_empty")
    positions = _header_positions(grid[0])
    rows = []
    for index, values in enumerate(grid[1:], start=2):
        cells = {field: values[at] if at < len(values) else "" for field, at in positions.items()}
        if all(_is_blank(value) for value in cells.values()):
            continue  # blank lines between rows, or at the end
        rows.append(_Row(index, cells))
    if not rows:
        raise ValidationError("文件中没有学生：请从第 2 行起每行填写一名学生。", code="file_no_rows")
    return rows


def _header_positions(header: list) -> dict[str, int]:
    found = {str(value).strip(): at for at, value in reversed(list(enumerate(header))) if isinstance(value, str)}
    missing = [label for label in COLUMN_ORDER if label not in found]
    if missing:
        raise ValidationError(
            "第 1 行应为表头，缺少“%(missing)s”列。请使用下载的模板，不要改动表头。",
            code="file_headers", params={"missing": "”“".join(missing)},
        )
    return {field: found[label] for field, label in COLUMNS.items()}


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _shown(value: Any) -> str:
    """A cell's value as the error table shows it."""
    if _is_blank(value):
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return str(value).strip()[:100]


def _code_text(value: Any) -> str:
    """A cell holding a code: text as typed, or a whole number typed into a number cell."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return _shown(value)


# What a coded cell may hold: the code itself or its label.
_CODES_BY_TEXT = {
    table: {**{label: code for code, label in table.choices}, **{code: code for code in table.values}}
    for table in (Gender, IdType)
}


def _coded(value: Any, table) -> str | None:
    """The code of a cell holding a code or its label; None when it is neither."""
    return _CODES_BY_TEXT[table].get(_code_text(value))


def _parse_date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        match = _ISO_DATE.fullmatch(value.strip())
        if match:
            try:
                return date(*(int(part) for part in match.groups()))
            except ValueError:
                return None
    return None


class _Checked(NamedTuple):
    row: int
    school: Unit
    data: dict[str, Any]  # the cleaned identity


def _validate(rows: list[_Row], *, actor: User, bureau: Unit, intake_year: int) -> list[AdmissionEntry]:
    """The unsaved entries of every row, or AdmissionImportInvalid with every error."""
    errors: list[AdmissionError] = []
    schools = _schools_by_code(rows)
    lower_bureaus = Unit.objects.filter(kind__in=BUREAU_KINDS, path__startswith=bureau.path).exclude(pk=bureau.pk)
    lower_bureau_paths = list(lower_bureaus.values_list("path", flat=True))
    settings = bureau_settings_by_unit(schools.values())
    checked: list[_Checked] = []
    for row in rows:
        row_errors, school, data = _check_row(row, schools, bureau, lower_bureau_paths)
        if school is not None and data is not None:
            problem = _age_problem(data, school, settings[school.pk], intake_year)
            if problem:
                row_errors.append(problem._replace(row=row.number))
        if row_errors:
            errors.extend(row_errors)
        else:
            checked.append(_Checked(row.number, school, data))
    errors.extend(_duplicates_in_file(checked))
    errors.extend(_already_admitted(checked, intake_year=intake_year, bureau=bureau))
    if errors:
        order = {label: position for position, label in enumerate(COLUMN_ORDER)}
        raise AdmissionImportInvalid(sorted(errors, key=lambda e: (e.row, order.get(e.column, 99), e.message)))
    return [
        AdmissionEntry(
            school=item.school, intake_year=intake_year, grade=_intake_grade(item.school), name=item.data["name"],
            gender=item.data["gender"], birth_date=item.data["birth_date"], id_type=item.data["id_type"],
            id_number=item.data.get("id_number") or "", imported_by=actor,
        )
        for item in checked
    ]


def _schools_by_code(rows: list[_Row]) -> dict[str, Unit]:
    codes = {_code_text(row.cells["school"]) for row in rows} - {""}
    return {unit.code: unit for unit in Unit.objects.filter(kind=UnitKind.SCHOOL, code__in=codes)}


def _check_row(row: _Row, schools: dict[str, Unit], bureau: Unit, lower_bureau_paths: list[str]):
    """(errors, school, cleaned identity) of one row by itself."""
    cells = row.cells
    errors: list[AdmissionError] = []

    def fail(field: str, message: str) -> None:
        errors.append(AdmissionError(row.number, COLUMNS.get(field, ""), _shown(cells.get(field)), message))

    school = None
    code = _code_text(cells["school"])
    if not code:
        fail("school", "请填写学校代码（学校标识码）。")
    elif code not in schools:
        fail("school", f"没有学校代码为“{code}”的学校，请核对。")
    elif not schools[code].path.startswith(bureau.path):
        fail("school", f"学校代码“{code}”的学校不在本局管辖范围内，不能为其导入录取名单。")
    elif any(schools[code].path.startswith(path) for path in lower_bureau_paths):
        fail("school", f"“{schools[code].name}”由下级教育局管理，其录取名单应由该局导入。")
    else:
        school = schools[code]

    data: dict[str, Any] = {"name": _shown(cells["name"])}
    if not _is_blank(cells["gender"]):
        data["gender"] = _coded(cells["gender"], Gender)
        if data["gender"] is None:
            fail("gender", "性别应填“男”或“女”（或代码 1、2）。")
    if not _is_blank(cells["birth_date"]):
        data["birth_date"] = _parse_date(cells["birth_date"])
        if data["birth_date"] is None:
            fail("birth_date", "出生日期应为日期，或写成“2020-05-01”这样的文字。")
    if not _is_blank(cells["id_type"]):
        data["id_type"] = _coded(cells["id_type"], IdType)
        if data["id_type"] is None:
            fail("id_type", "身份证件类型应填“居民身份证”等类型名称或其代码，没有证件的填“无身份证件”。")
    id_cell = cells["id_number"]
    if isinstance(id_cell, (int, float)) and not isinstance(id_cell, bool):
        # Excel keeps 15 significant digits: an 18-digit number typed into a number cell has
        # already lost its last digits (and looks like 2.20122E+17), so it cannot be trusted.
        fail("id_number", "身份证件号存成了数字格式，Excel 已丢失末尾几位。请把该列设为“文本”格式后重新填写号码。")
    elif not _is_blank(id_cell):
        data["id_number"] = _shown(id_cell)
    if data.get("id_type") in FOREIGN_ID_TYPES:
        data["overseas_status"] = OverseasStatus.FOREIGNER  # only so that the name may use Latin letters

    broken = {error.column for error in errors}
    given = {key: value for key, value in data.items() if value is not None and COLUMNS.get(key) not in broken}
    try:
        cleaned = clean_pupil_identity(given)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            if COLUMNS.get(field) in broken:
                continue
            for message in messages:
                fail(field if field in COLUMNS else "", message)
        cleaned = None
    return errors, school, cleaned if not errors else None


def _age_problem(data: dict[str, Any], school: Unit, settings, intake_year: int) -> AdmissionError | None:
    """A child too young for the school's first grade, or an ID number no new pupil can have
    (a guardian's): the same rule as the school's enrolment, caught when the list is made."""
    grade = _intake_grade(school)
    from_id = data["id_type"] in GB11643_ID_TYPES
    limits = age_limits(settings, intake_year, grade)
    problem = age_error(data["birth_date"], limits, grade=grade, from_id_number=from_id)
    if problem is None:
        return None
    field = "id_number" if from_id else "birth_date"
    value = data["id_number"] if from_id else data["birth_date"].isoformat()
    return AdmissionError(0, COLUMNS[field], value, problem)


def _intake_grade(school: Unit) -> int:
    """A school's new pupils enter its first grade: 1, or 7 at a junior-middle school."""
    return school.grades[0] if school.grades else 1


def _key(data: dict[str, Any]) -> tuple:
    return identity_key(
        id_type=data["id_type"], id_number=data.get("id_number") or "", name=data["name"],
        gender=data["gender"], birth_date=data["birth_date"],
    )


def _identity_cell(data: dict[str, Any]) -> tuple[str, str]:
    """The column and value that say who a child is: the ID number, or the name without one."""
    if data.get("id_number"):
        return COLUMNS["id_number"], data["id_number"]
    return COLUMNS["name"], data["name"]


def _duplicates_in_file(checked: list[_Checked]) -> list[AdmissionError]:
    """A child twice in the file (by ID number; by name, gender and birth date without one):
    every row of the child is marked, each naming the others."""
    rows_of: dict[tuple, list[_Checked]] = {}
    for item in checked:
        rows_of.setdefault(_key(item.data), []).append(item)
    errors = []
    for same in rows_of.values():
        for item in same if len(same) > 1 else ():
            others = "、".join(str(other.row) for other in same if other is not item)
            errors.append(AdmissionError(item.row, *_identity_cell(item.data), f"与第 {others} 行是同一名学生，文件中重复。"))
    return errors


def _already_admitted(checked: list[_Checked], *, intake_year: int, bureau: Unit) -> list[AdmissionError]:
    """A child is admitted to one school a year (the constraint admission_unique_id; children
    without an ID number by name, gender and birth date). The school is named only when it is
    in the importing bureau's area."""
    with_id = [item for item in checked if item.data.get("id_number")]
    without_id = [item for item in checked if not item.data.get("id_number")]
    year = AdmissionEntry.objects.filter(intake_year=intake_year).select_related("school")
    found: dict[tuple, AdmissionEntry] = {}
    if with_id:
        # The ID number is encrypted: look it up by its blind index, match on the decrypted value.
        indexes = {index_of(AdmissionEntry, "id_number_index", item.data["id_number"]) for item in with_id}
        for entry in year.filter(id_number_index__in=indexes):
            found[_entry_key(entry)] = entry
    if without_id:
        for entry in year.filter(id_number_index="", name__in={item.data["name"] for item in without_id}):
            found[_entry_key(entry)] = entry
    errors = []
    for item in checked:
        entry = found.get(_key(item.data))
        if entry is None:
            continue
        where = f"“{entry.school.name}”" if entry.school.path.startswith(bureau.path) else "其他县（区）的学校"
        errors.append(AdmissionError(
            item.row, *_identity_cell(item.data), f"该学生已在{intake_year}年录取名单中（{where}），一名学生一年只能被一所学校录取。"
        ))
    return errors


def _entry_key(entry: AdmissionEntry) -> tuple:
    return identity_key(id_type=entry.id_type, id_number=entry.id_number, name=entry.name,
                        gender=entry.gender, birth_date=entry.birth_date)


# The template --------------------------------------------------------------------------------

# The template's header row: bold on light blue.
TEMPLATE_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def admission_template_xlsx() -> bytes:
    """The empty admission list: the header row, drop-down lists for 性别 and 身份证件类型, and
    the ID and school-code columns formatted as text so that Excel keeps every digit."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "录取名单"
    write_header(sheet, 1, COLUMN_ORDER, fill=TEMPLATE_HEADER_FILL, border=None, alignment=None)
    set_widths(sheet, [16, 14, 8, 14, 24, 24])
    last = MAX_ROWS + 1
    # Column styles apply to the cells people type into; the first rows also carry the format
    # themselves, because some spreadsheet programs ignore the column's style on paste.
    for letter in ("A", "F"):
        sheet.column_dimensions[letter].number_format = "@"
        for row in range(2, 502):
            sheet[f"{letter}{row}"].number_format = "@"
    sheet.column_dimensions["D"].number_format = "yyyy-mm-dd"
    for row in range(2, 502):
        sheet[f"D{row}"].number_format = "yyyy-mm-dd"
    for column, labels in (("C", Gender.labels), ("E", IdType.labels)):
        validation = DataValidation(type="list", formula1='"' + ",".join(labels) + '"', allow_blank=True)
        validation.error = "请从下拉列表中选择。"
        validation.errorTitle = COLUMN_ORDER[ord(column) - ord("A")]
        validation.add(f"{column}2:{column}{last}")
        sheet.add_data_validation(validation)
    sheet.freeze_panes = "A2"

    notes = workbook.create_sheet("填写说明")
    for line in (
        ["填写说明"],
        ["1. 每行一名学生，从第 2 行开始填写；不要改动第 1 行表头，导入时只读取第一个工作表。"],
        ["2. 学校代码：学校的学校标识码（10 位），只能填本局管辖的学校。"],
        ["3. 性别：男 或 女（也可填代码 1、2）。"],
        ["4. 出生日期：日期格式，或写成 2020-05-01。须与居民身份证号中的出生日期一致。"],
        ["5. 身份证件类型：从下拉列表选择（也可填代码）；没有身份证件的学生选“无身份证件”，身份证件号留空。"],
        ["6. 身份证件号：必须为文本格式（本模板已设置），否则 Excel 会丢失 15 位以后的数字。"],
        [f"7. 一次最多导入 {MAX_ROWS} 行；文件有任何错误时整个文件都不导入，请按错误列表改正后重新上传。"],
        [],
        ["身份证件类型代码", "名称"],
        *[[code, label] for code, label in IdType.choices],
    ):
        notes.append(line)
    notes.column_dimensions["A"].width = 20
    notes.column_dimensions["B"].width = 30
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


# Arrival (报到) -------------------------------------------------------------------------------

def admission_mark_arrived(*, actor: User, school: Unit, entries_ids: list[int], day: date) -> int:
    """The school's registrar records that these children of the school's admission list came
    to school on ``day``; returns how many. A date already recorded is replaced (a correction).
    Refused whole when a child is not on this school's list or the date is impossible."""
    require_registrar(actor, school, message="只有本校学籍管理员可以登记新生报到。")
    ids = set(entries_ids)
    if not ids:
        raise ValidationError("请勾选已报到的学生。", code="arrival_none")
    if day > timezone.localdate():
        raise ValidationError("报到日期不能晚于今天。", code="arrival_future")
    with transaction.atomic():
        entries = list(AdmissionEntry.objects.filter(school=school, pk__in=ids).only("pk", "intake_year"))
        if len(entries) != len(ids):
            raise ValidationError(
                f"所选学生中有 {len(ids) - len(entries)} 名不在本校录取名单中，全部未登记。", code="arrival_not_admitted"
            )
        earliest_year = min(entry.intake_year for entry in entries)
        if day.year < earliest_year:
            raise ValidationError(f"报到日期 {day:%Y-%m-%d} 早于入学年份（{earliest_year}年），请核对。", code="arrival_too_early")
        count = AdmissionEntry.objects.filter(pk__in=ids).update(arrived_on=day)
        audit_record(action="admission.arrived", user=actor, unit=school, detail=f"登记 {count} 名新生于 {day:%Y-%m-%d} 报到")
    return count


# Reads -----------------------------------------------------------------------------------------

# Which status each admitted child's newest enrolment entry has ("" when the school has not
# entered the child yet).
def _with_entry_status(queryset: QuerySet[AdmissionEntry]) -> QuerySet[AdmissionEntry]:
    newest = EnrolmentEntry.objects.filter(admission=OuterRef("pk")).order_by("-id").values("status")[:1]
    return queryset.annotate(entry_status=Subquery(newest))


def admission_for_school(school: Unit, intake_year: int) -> QuerySet[AdmissionEntry]:
    """The school's admission list of the year, in the bureau's file order, each child with the
    status of its enrolment entry (``entry_status``)."""
    return _with_entry_status(AdmissionEntry.objects.filter(school=school, intake_year=intake_year)).order_by("id")


def admission_schools_visible_to(user: User) -> QuerySet[Unit]:
    """The schools whose admission lists the user sees: the own school of its registrar and
    headmaster; the schools under a central school or a bureau. Head teachers see none."""
    scopes = []
    for membership in memberships_of(user):
        if membership.role in (Role.REGISTRAR, Role.HEADMASTER):
            scopes.append(Q(pk=membership.unit_id))
        elif membership.role == Role.CENTRAL_REGISTRAR or membership.role in BUREAU_ROLES:
            scopes.append(Q(path__startswith=membership.unit.path))
    if not scopes:
        return Unit.objects.none()
    combined = scopes[0]
    for scope in scopes[1:]:
        combined |= scope
    return Unit.objects.filter(combined, kind=UnitKind.SCHOOL)


def admissions_visible_to(user: User) -> QuerySet[AdmissionEntry]:
    return _with_entry_status(AdmissionEntry.objects.filter(school__in=admission_schools_visible_to(user)))
