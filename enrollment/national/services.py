"""Files exchanged with the national system (全国中小学生学籍信息管理系统).

- ``export_national_xlsx``: the records in the layout of the national form (the 48 items of
  xueji.pupils.national_form but the photo, in its order and wording, then the family block
  成员1…/成员2…, after the 学籍号 and the school's code). Every cell is text in a text
  formatted column: Excel turns an 18-digit ID number typed as a number into 1.10101E+17 and
  loses its last digits, and codes such as 民族 "01" their leading zero. Divisions are written
  as the national system's 12-digit area codes (the county's 6 digits + "000000").
- ``import_g_numbers``: the national system's file of the G numbers it assigned, matched to the
  caller's records by ID number. All or nothing, like every import of the product: a file with
  one wrong row is refused whole, every wrong row listed. The file itself is read by the safe
  reader of every upload (xueji.files.spreadsheets): a hostile file is refused with its reason
  before a cell is read.
"""

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

import pghistory
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from enrollment.intake.columns import BOOL, COLUMNS_BY_KEY, DATE, DECIMAL, DIVISION, MONTH, Column, normalize_header
from enrollment.national.readiness import national_records
from enrollment.national.xlsx import text_sheet_xlsx
from xueji.accounts.audit import audit_record, audit_record_many
from xueji.accounts.models import User
from xueji.codes import GB11643_ID_TYPES, GRADE_LABELS, NumberKind
from xueji.files.spreadsheets import SheetRules, read_spreadsheet
from xueji.identity import normalize_id_number
from xueji.pupils import numbers
from xueji.pupils.models import Guardian, Pupil, StudentNumber, id_number_index
from xueji.pupils.national_form import FAMILY_ITEMS, FAMILY_MEMBERS, ITEMS, member_header

SHEET_TITLE = "学生信息"
# Before the template's columns: what identifies the record in the national system.
LEADING_HEADERS = ("学籍号", "学校标识码")

# Export ---------------------------------------------------------------------------------------

# The national form's items in its order (xueji.pupils.national_form), all but 13 照片: a photo is
# not a spreadsheet cell, the national system takes photos in its own 照片导入. 户籍地址 (ours, the
# template's extra column) is not an item of the national form and is not exported either.
EXPORT_ITEMS = [item for item in ITEMS if item.key != "photo"]
# The family block: 成员1…, then 成员2…, each in the national order.
EXPORT_MEMBER_ITEMS = [(position, item) for position in range(1, FAMILY_MEMBERS + 1) for item in FAMILY_ITEMS]
# The file's columns in order, by key: the two leading ones, the items, the family block
# (``guardian1_phone`` …, the keys of the template's columns).
EXPORT_KEYS = [
    "student_number", "school_code",
    *(item.key for item in EXPORT_ITEMS),
    *(f"guardian{position}_{item.key}" for position, item in EXPORT_MEMBER_ITEMS),
]


def _header(label: str, required: bool) -> str:
    """The national wording, the ★ of the items the national system requires written as the
    template writes its required columns: "*姓名". The template's reader strips the mark, so an
    exported file reads back as an upload."""
    return f"*{label}" if required else label


EXPORT_HEADERS = [
    *LEADING_HEADERS,
    *(_header(item.label, item.required) for item in EXPORT_ITEMS),
    *(_header(member_header(position, item), item.required) for position, item in EXPORT_MEMBER_ITEMS),
]
# The items that are no column of the template (columns.NOT_IN_TEMPLATE) take a width here.
_WIDTHS = {"pinyin": 20, "grade": 10, "school_class": 14}
EXPORT_WIDTHS = [
    22, 14,
    *(COLUMNS_BY_KEY[item.key].width if item.key in COLUMNS_BY_KEY else _WIDTHS[item.key] for item in EXPORT_ITEMS),
    *(COLUMNS_BY_KEY[key].width for key in EXPORT_KEYS[2 + len(EXPORT_ITEMS):]),
]
# The record's fields read for the items: the class is read as its grade and number (its name is
# made from them, SchoolClass.name), so that the export stays one query for the pupils.
_PUPIL_FIELDS = [item.key for item in EXPORT_ITEMS if item.key != "school_class"]
_GUARDIAN_FIELDS = [item.key for item in FAMILY_ITEMS]


def export_national_xlsx(pupils: QuerySet[Pupil]) -> bytes:
    """The national records among ``pupils`` (live, in a status the national system keeps) as an
    .xlsx in the national form's order, ordered by school, grade, class and name."""
    content, _count = _write_export(pupils)
    return content


def national_export_xlsx(pupils: QuerySet[Pupil], *, keys: list[str], cell: Callable[[str, str], str]) -> tuple[bytes, int]:
    """The file of an approved export request (enrollment/national/exports.py): the chosen
    columns, each value written by ``cell`` (masked unless full values were granted)."""
    return _write_export(pupils, keys=keys, cell=cell)


def _write_export(pupils: QuerySet[Pupil], *, keys: list[str] | None = None,
                  cell: Callable[[str, str], str] | None = None, title: str = SHEET_TITLE) -> tuple[bytes, int]:
    """The file and its number of records: every column, or the columns of ``keys`` (EXPORT_KEYS);
    ``cell(key, text)`` writes each value (an export request masks ID numbers, phones, addresses).
    Two queries whatever the number of records: the pupils (their class's grade and number
    joined), their family members."""
    records = national_records(pupils).order_by("school__code", "grade", "school_class_id", "name_sort", "name", "id")
    rows = records.values_list(
        "id", "student_number", "school__code", "school_class__grade", "school_class__number", *_PUPIL_FIELDS
    )
    guardians = _guardians_by_pupil(records)
    wanted = list(EXPORT_KEYS) if keys is None else [key for key in EXPORT_KEYS if key in keys]
    positions = [EXPORT_KEYS.index(key) for key in wanted]

    def cells():
        for pupil_id, student_number, school_code, class_grade, class_number, *values in rows.iterator(chunk_size=2000):
            record = dict(zip(_PUPIL_FIELDS, values))
            record["school_class"] = (
                f"{GRADE_LABELS.get(class_grade, class_grade)}（{class_number}）班" if class_number is not None else ""
            )
            by_position = guardians.get(pupil_id, {})
            line = [
                student_number,
                school_code or "",
                *(_item_value(item.key, record[item.key]) for item in EXPORT_ITEMS),
                *(_value(COLUMNS_BY_KEY[f"guardian{position}_{item.key}"], by_position.get(position, {}).get(item.key))
                  for position, item in EXPORT_MEMBER_ITEMS),
            ]
            if cell is None and keys is None:
                yield line
            else:
                yield [cell(EXPORT_KEYS[i], line[i]) if cell else line[i] for i in positions]

    return text_sheet_xlsx(title, [EXPORT_HEADERS[i] for i in positions], [EXPORT_WIDTHS[i] for i in positions], cells())


def _guardians_by_pupil(records: QuerySet[Pupil]) -> dict[int, dict[int, dict[str, Any]]]:
    """pupil id → position → the family member's fields, in one query."""
    guardians: dict[int, dict[int, dict[str, Any]]] = defaultdict(dict)
    rows = Guardian.objects.filter(pupil__in=records.order_by().values("pk")).values_list(
        "pupil_id", "position", *_GUARDIAN_FIELDS
    )
    for pupil_id, position, *values in rows.iterator(chunk_size=4000):
        guardians[pupil_id][position] = dict(zip(_GUARDIAN_FIELDS, values))
    return guardians


def _item_value(key: str, value: Any) -> str:
    """An item's value: as its template column writes it; 年级 as its name (一年级: the national
    system's import takes the grade's name, our GRADE_LABELS), 班级 as the class's name, 姓名拼音 as
    kept."""
    if key == "grade":
        return GRADE_LABELS.get(value, "") if value else ""
    if key in COLUMNS_BY_KEY:
        return _value(COLUMNS_BY_KEY[key], value)
    return "" if value is None else str(value)


def _value(column: Column, value: Any) -> str:
    """A record's value as the national file writes it: codes as codes, yes/no as 1/0 (not yet
    known: empty), dates as 2020-05-01, the entry month as 2026-09, divisions as 12-digit area
    codes, a distance as 2.5."""
    if value is None or value == "":
        return ""
    if column.kind == BOOL:
        return "1" if value else "0"
    if column.kind == DATE and isinstance(value, date):
        return value.isoformat()
    if column.kind == MONTH and isinstance(value, date):
        return f"{value:%Y-%m}"
    if column.kind == DIVISION:
        return f"{value}000000"  # GB/T 2260 county code → the 12-digit statistical area code
    if column.kind == DECIMAL and isinstance(value, Decimal):
        return f"{value.normalize():f}"  # 2.5, 3 (not 3.0 nor 3E+0)
    return str(value)


# Import of G numbers ----------------------------------------------------------------------------

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_ROWS = 10_000
HEADER_SEARCH_ROWS = 20
# The national system's file: its first sheet, read with the limits of every upload. Rows are
# counted below the first, the title lines above the header included: a file of more than 10,000
# pupils goes in parts, school by school.
NUMBERS_SHEET = SheetRules(
    max_rows=MAX_ROWS, expected="国家学籍系统导出的学籍号文件",
    advice="请从国家学籍系统重新导出学籍号文件（.xlsx）后再上传。",
)
ID_HEADERS = {"身份证件号", "身份证件号码", "身份证号", "身份证号码"}
NUMBER_HEADERS = {"学籍号", "全国学籍号", "学籍号码"}
NAME_HEADERS = {"姓名", "学生姓名"}
ID_COLUMN, NUMBER_COLUMN, NAME_COLUMN = "身份证件号", "学籍号", "姓名"
IMPORT_REASON = "国家学籍系统分配 G 字头学籍号"


@dataclass(frozen=True)
class RowError:
    """What is wrong with one row of the file: its row number as Excel shows it, the header of
    the column at fault ("" for the whole file) and the reason."""

    row: int
    column: str
    message: str


@dataclass
class ImportResult:
    """The outcome of an import: how many records got their G number, or why none did."""

    assigned: int = 0
    errors: list[RowError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class _Entry:
    row: int
    id_number: str
    number: str
    name: str | None


def import_g_numbers(*, actor: User, file_bytes: bytes, scope_queryset: QuerySet[Pupil]) -> ImportResult:
    """Give the records of ``scope_queryset`` the G numbers of the national system's file.

    The file is an .xlsx with at least the columns 身份证件号 and 学籍号 (and optionally 姓名,
    compared with the record), its header in one of the first rows. Each row is matched by ID
    number to a live record of the scope; the record gets the G number through
    ``numbers.pupil_assign_number``, its L (or J) number stays in its history. A row is wrong when
    its G number is not "G" + its ID number, when its ID number matches no record of the scope,
    when the record already has that number, when the number belongs to another record, or when
    the name differs. Any wrong row refuses the whole file: nothing is written, and the result
    lists every wrong row. A file the safe reader refuses (not an honest .xlsx: a zip bomb,
    macros, formulas, too many rows …) raises its ExcelRefused, a ValidationError with the
    reason's code, before anything is written or logged; a file too big, a ValidationError."""
    table = _read_table(file_bytes)
    if isinstance(table, RowError):
        return _refused(actor, [table])
    entries, errors = _entries(*table)
    if not entries and not errors:
        errors.append(RowError(0, "", "文件中没有学籍号数据。"))
    pupils_by_row, match_errors = _match(entries, scope_queryset)
    errors += match_errors
    if errors:
        return _refused(actor, errors)
    return _apply(actor, entries, pupils_by_row)


def _refused(actor: User, errors: list[RowError]) -> ImportResult:
    errors = sorted(errors, key=lambda error: (error.row, error.column))
    audit_record(action="national.numbers", user=actor, result="failed",
                 detail=f"导入国家学籍系统学籍号：{len(errors)} 处错误，全部未导入")
    return ImportResult(errors=errors)


def _read_table(file_bytes: bytes) -> tuple[int, list[list], dict[str, int]] | RowError:
    """(the header's row number, the rows below it, column → index) of the first sheet; a
    RowError when it has no header. ExcelRefused when the safe reader refuses the file."""
    if len(file_bytes) > MAX_FILE_BYTES:
        raise ValidationError(f"文件太大（{len(file_bytes) / 1048576:.1f} MB），最大 10 MB；请按学校分批导入。")
    # Empty rows above the data are kept, so that row numbers are the ones Excel shows.
    rows = read_spreadsheet(file_bytes, NUMBERS_SHEET).rows()
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns = _header_columns(row)
        if ID_COLUMN in columns and NUMBER_COLUMN in columns:
            return index + 1, rows[index + 1:], columns
    return RowError(0, "", "没有找到表头：第一个工作表的前 20 行内须有“身份证件号”和“学籍号”两列。")


def _header_columns(row: list) -> dict[str, int]:
    columns: dict[str, int] = {}
    for index, cell in enumerate(row):
        header = normalize_header(cell)
        for name, accepted in ((ID_COLUMN, ID_HEADERS), (NUMBER_COLUMN, NUMBER_HEADERS), (NAME_COLUMN, NAME_HEADERS)):
            if header in accepted:
                columns.setdefault(name, index)
    return columns


def _entries(header_row: int, rows: list[list], columns: dict[str, int]) -> tuple[list[_Entry], list[RowError]]:
    """The filled rows as entries, and the errors of the rows that cannot be read or whose G
    number is not "G" + the ID number."""
    entries, errors, seen = [], [], {}
    for offset, row in enumerate(rows):
        row_number = header_row + 1 + offset
        id_cell, number_cell = _cell(row, columns[ID_COLUMN]), _cell(row, columns[NUMBER_COLUMN])
        name_cell = _cell(row, columns[NAME_COLUMN]) if NAME_COLUMN in columns else None
        if _blank(id_cell) and _blank(number_cell):
            continue
        if not isinstance(id_cell, str) and not _blank(id_cell):
            # Excel keeps 15 significant digits: the number's last digits are gone.
            errors.append(RowError(row_number, ID_COLUMN, "身份证件号被存成了数字，末尾几位可能已经丢失；请把该列设为文本后重新导出。"))
            continue
        id_number = normalize_id_number(id_cell if isinstance(id_cell, str) else "")
        number = str(number_cell).strip().upper() if isinstance(number_cell, str) else ""
        if not id_number:
            errors.append(RowError(row_number, ID_COLUMN, "身份证件号为空。"))
            continue
        if number != f"G{id_number}":
            shown = number or "（空）"
            errors.append(RowError(row_number, NUMBER_COLUMN, f"学籍号“{shown}”不是“G”加该行的身份证件号，请核对是否错行。"))
            continue
        if id_number in seen:
            errors.append(RowError(row_number, ID_COLUMN, f"该身份证件号在第 {seen[id_number]} 行已出现过。"))
            continue
        seen[id_number] = row_number
        name = str(name_cell).strip() if isinstance(name_cell, str) and name_cell.strip() else None
        entries.append(_Entry(row_number, id_number, number, name))
    return entries, errors


def _cell(row: list, index: int) -> Any:
    return row[index] if index < len(row) else None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _match(entries: list[_Entry], scope: QuerySet[Pupil]) -> tuple[dict[int, Pupil], list[RowError]]:
    """Each entry's record among the live records of the scope, in two queries (the records by
    ID number, the numbers' current holders); the errors of the rows that match none, several, or
    a record that cannot take the number."""
    ids = {entry.id_number for entry in entries}
    candidates: dict[str, list[Pupil]] = defaultdict(list)
    indexes = [id_number_index(number) for number in ids]
    for pupil in scope.filter(deleted_at__isnull=True, id_number_index__in=indexes).order_by().only(
        "id", "name", "id_type", "id_number", "student_number", "school_id"
    ):
        candidates[pupil.id_number].append(pupil)
    holders = dict(
        StudentNumber.objects.filter(number__in={entry.number for entry in entries}).values_list("number", "pupil_id")
    )
    matched, errors = {}, []
    for entry in entries:
        found = candidates.get(entry.id_number, [])
        error = _match_error(entry, found, holders)
        if error:
            errors.append(RowError(entry.row, *error))
        else:
            matched[entry.row] = found[0]
    return matched, errors


def _match_error(entry: _Entry, found: list[Pupil], holders: dict[str, int]) -> tuple[str, str] | None:
    if not found:
        return ID_COLUMN, "在您管理的学籍中没有使用该身份证件号的学生。"
    if len(found) > 1:
        return ID_COLUMN, "该身份证件号对应多条学籍（证件类型不同），请先处理重复学籍。"
    pupil = found[0]
    if pupil.id_type not in GB11643_ID_TYPES:
        return ID_COLUMN, f"{pupil.name}的证件类型不是居民身份证或港澳台居民居住证，不能使用 G 字头学籍号。"
    if entry.name is not None and entry.name != pupil.name:
        return NAME_COLUMN, f"姓名“{entry.name}”与本系统中该身份证件号的学生“{pupil.name}”不一致，请先核对。"
    if pupil.student_number == entry.number:
        return NUMBER_COLUMN, f"{pupil.name}已经是这个学籍号，本行无需导入，请从文件中删除。"
    holder = holders.get(entry.number)
    if holder == pupil.pk:
        return NUMBER_COLUMN, f"{pupil.name}曾经使用过这个学籍号，请联系县教育局核查。"
    if holder is not None:
        return NUMBER_COLUMN, "这个学籍号已属于另一条学籍（可能是重复学籍），请联系县教育局核查。"
    return None


class _Refused(Exception):
    """Raised inside the transaction to roll every assignment back."""

    def __init__(self, errors: list[RowError]):
        self.errors = errors


def _apply(actor: User, entries: list[_Entry], pupils_by_row: dict[int, Pupil]) -> ImportResult:
    """Assign every number in one transaction. A row can still fail here (another import took the
    number a moment ago): the others are tried too, so that the result lists every failure, then
    everything is rolled back."""
    try:
        with transaction.atomic(), pghistory.context(user=actor.pk, reason=IMPORT_REASON):
            errors, assigned = [], []
            for entry in entries:
                pupil = pupils_by_row[entry.row]
                try:
                    numbers.pupil_assign_number(pupil=pupil, kind=NumberKind.FROM_ID, reason=IMPORT_REASON)
                except ValidationError as error:
                    errors += [RowError(entry.row, NUMBER_COLUMN, message) for message in error.messages]
                else:
                    assigned.append(pupil)
            if errors:
                raise _Refused(errors)
            audit_record_many(action="pupil.number", objs=assigned, user=actor, detail=IMPORT_REASON)
            audit_record(action="national.numbers", user=actor,
                         detail=f"导入国家学籍系统学籍号：{len(assigned)} 名学生获得 G 字头学籍号")
    except _Refused as refused:
        return _refused(actor, refused.errors)
    return ImportResult(assigned=len(assigned))
