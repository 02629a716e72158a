"""Reading an uploaded enrolment file: our template, on top of the safe reader.

Everything about the file being an honest .xlsx (not something else renamed, no zip bomb, no
DOCTYPE or entities, no macros or external links, no more than 10,000 data rows or 200 columns,
no far-away cell) is checked by xueji.files.spreadsheets before python-calamine reads a cell;
see its docstring. What is ours here, refused whole as ExcelRefused all the same:

- the pupil sheet, 学生信息, must be there; the hidden code sheet (read for the year when the
  defined name is gone) is held to the same limits;
- the template's year must be the intake's (the national system refuses last year's template,
  and so do we);
- the headers must be ours: none missing, repeated or unknown, and no data under no header;
- formulas in the pupil sheet are refused, named by their column's header.
"""

from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple

from enrollment.intake.columns import COLUMNS, COLUMNS_BY_KEY, ERROR_COLUMN_HEADER, HEADER_TO_KEY, normalize_header
from enrollment.intake.xlsx_template import CODES_SHEET, DATA_SHEET, MAX_DATA_ROWS, YEAR_CELL, YEAR_NAME
from xueji.files.spreadsheets import ExcelRefused, SheetRules, Spreadsheet, read_spreadsheet

__all__ = ["ENROLMENT_SHEET", "REUPLOAD", "ExcelRefused", "SheetRow", "read_enrolment_file"]

MAX_COLUMNS = 200
REUPLOAD = "请下载本系统的模板，把数据粘贴为数值后另存为 .xlsx 再上传。"

# The pupil sheet, and the hidden code sheet calamine may load for the year. Formulas are named
# here, after the year and the headers are checked, in the headers' words.
ENROLMENT_SHEET = SheetRules(
    sheet=DATA_SHEET, max_rows=MAX_DATA_ROWS, max_columns=MAX_COLUMNS, refuse_formulas=False,
    also_limited=(CODES_SHEET,), expected="本系统的模板", advice=REUPLOAD,
)


@dataclass(frozen=True)
class SheetRow:
    """One filled-in row: its number as Excel shows it, and column key → the cell's raw value
    (str, float, int, bool, date, datetime; None for an empty cell)."""

    row: int
    values: dict[str, Any]


def read_enrolment_file(data: bytes, *, intake_year: int) -> list[SheetRow]:
    """The pupils' rows of an uploaded template, checked for every hostile-file rule first (see
    xueji.files.spreadsheets) and then for ours (see the module's docstring). Raises
    ExcelRefused; entirely empty rows are skipped."""
    spreadsheet = read_spreadsheet(data, ENROLMENT_SHEET)
    template_year = spreadsheet.defined_names.get(YEAR_NAME)
    if template_year is None:
        template_year = _year_from_codes_sheet(spreadsheet)
    _check_year(template_year, intake_year)

    rows = spreadsheet.rows()
    if not rows:
        raise ExcelRefused("“学生信息”工作表是空的：第 1 行应为表头，从第 2 行起每行一名学生。", code="wrong_layout")
    positions = _header_positions(rows[0])
    if spreadsheet.formula_count:
        raise ExcelRefused(_formula_message(spreadsheet, rows[0]), code="formulas")
    return _data_rows(rows, positions)


def _year_from_codes_sheet(spreadsheet: Spreadsheet) -> int | None:
    """The year on the hidden code sheet, for a file whose defined names were lost on the way."""
    row, column = coordinate_to_tuple(YEAR_CELL)
    rows = spreadsheet.other_sheet_rows(CODES_SHEET, nrows=row)
    try:
        value = rows[row - 1][column - 1] if rows is not None else None
    except IndexError:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _check_year(template_year: int | None, intake_year: int) -> None:
    if template_year is None:
        raise ExcelRefused(
            f"这不是本系统下载的新生模板（找不到模板年份）。请下载{intake_year}年的模板后填写。", code="wrong_year"
        )
    if template_year != intake_year:
        raise ExcelRefused(f"这是{template_year}年的模板，请下载{intake_year}年的模板。", code="wrong_year")


def _header_positions(header: list[Any]) -> dict[str, int]:
    """Column key → 0-based position, refusing missing required headers, repeated ones and
    headers we do not know (a mistyped header would otherwise lose that column silently)."""
    positions: dict[str, int] = {}
    unknown, repeated = [], []
    for index, text in enumerate(header):
        name = normalize_header(text)
        if not name or name == ERROR_COLUMN_HEADER:
            continue
        key = HEADER_TO_KEY.get(name)
        if key is None:
            unknown.append(f"{get_column_letter(index + 1)}列“{str(text).strip()}”")
        elif key in positions:
            repeated.append(f"“{COLUMNS_BY_KEY[key].header}”")
        else:
            positions[key] = index
    messages = []
    missing = [column.display_header for column in COLUMNS if column.required and column.key not in positions]
    if missing:
        messages.append("第 1 行缺少必填列：" + "、".join(missing) + "。请使用本系统下载的模板，不要删除或改动表头。")
    if repeated:
        messages.append("第 1 行有重复的列：" + "、".join(repeated) + "。")
    if unknown:
        messages.append("第 1 行有无法识别的列：" + "、".join(unknown) + "。请不要增加或改动表头。")
    if messages:
        raise ExcelRefused(messages, code="wrong_layout")
    return positions


def _formula_message(spreadsheet: Spreadsheet, header: list[Any]) -> list[str]:
    """The formulas' places, each column named by its header in the template's words."""

    def where(column: int) -> str:
        title = header[column - 1] if 0 < column <= len(header) else None
        key = HEADER_TO_KEY.get(normalize_header(title))
        return f"“{COLUMNS_BY_KEY[key].header}”列" if key else f"{get_column_letter(column)}列" if column else ""

    return spreadsheet.formula_messages(where)


def _filled(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))


def _data_rows(rows: list[list[Any]], positions: dict[str, int]) -> list[SheetRow]:
    header = rows[0]
    keys = list(positions)
    pick = itemgetter(*positions.values())
    # Data under no header would be dropped without a word: such columns refuse the file.
    headerless = [
        index for index, title in enumerate(header)
        if index not in set(positions.values()) and normalize_header(title) != ERROR_COLUMN_HEADER
    ]
    result, headerless_filled = [], set()
    for number, cells in enumerate(rows[1:], start=2):
        picked = pick(cells) if len(keys) > 1 else (pick(cells),)
        values = {key: None if value == "" or (value.__class__ is str and not value.strip()) else value
                  for key, value in zip(keys, picked, strict=True)}
        headerless_filled.update(index for index in headerless if _filled(cells[index]))
        if any(value is not None for value in values.values()):
            result.append(SheetRow(row=number, values=values))
    if headerless_filled:
        letters = "、".join(get_column_letter(index + 1) for index in sorted(headerless_filled))
        raise ExcelRefused(f"以下列有数据但没有表头：{letters}。请把数据放到模板对应的列中。", code="wrong_layout")
    return result
