"""The annotated copy of a refused enrolment file: the user's own file back, each bad cell filled
light red with a comment giving the reason, and a column 错误说明 at the end summing up each bad row.
The user corrects the cells and uploads the same file again (the reader ignores 错误说明).
"""

from collections import defaultdict
from io import BytesIO

from openpyxl import load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill

from enrollment.intake.columns import COLUMNS_BY_KEY, ERROR_COLUMN_HEADER, HEADER_TO_KEY, normalize_header
from enrollment.intake.xlsx_template import DATA_SHEET

ERROR_FILL = PatternFill("solid", fgColor="FFC7CE")
NO_FILL = PatternFill(fill_type=None)
COMMENT_AUTHOR = "学籍系统"
ERROR_COLUMN_WIDTH = 60


def annotate_errors(data: bytes, errors: list[tuple[int, str | None, str]]) -> bytes:
    """``data`` (an uploaded file the reader accepted) with ``errors`` marked on it. Each error is
    (row number as Excel shows it, column key or None, message); a key that is not a column of the
    file (a row-level error such as "guardians", or None) is put on the row's first cell, and an
    error of row 0 or 1 (the file as a whole) is left to the page.

    Marks of an earlier annotation (our comments, our fill, the old 错误说明 column) are cleared
    first, so a corrected file annotated again shows only what is still wrong."""
    # No macros or external links come back out (the reader refuses them anyway).
    workbook = load_workbook(BytesIO(data), keep_vba=False, keep_links=False, rich_text=False)
    sheet = workbook[DATA_SHEET] if DATA_SHEET in workbook.sheetnames else workbook.worksheets[0]
    positions, error_column = _header_columns(sheet)
    _clear_previous_marks(sheet, error_column)

    by_cell: dict[tuple[int, int], list[str]] = defaultdict(list)
    by_row: dict[int, list[str]] = defaultdict(list)
    for row, key, message in errors:
        if row < 2:
            continue  # about the file, not a pupil's row: the page says it, there is no cell for it
        column = positions.get(key) if key else None
        by_cell[(row, column or 1)].append(message)
        label = COLUMNS_BY_KEY[key].header if key in COLUMNS_BY_KEY else ""
        by_row[row].append(f"{label}：{message}" if label else message)

    for (row, column), messages in by_cell.items():
        cell = sheet.cell(row=row, column=column)
        cell.fill = ERROR_FILL
        comment = Comment("\n".join(messages), COMMENT_AUTHOR)
        comment.width, comment.height = 300, 40 + 30 * len(messages)
        cell.comment = comment

    header = sheet.cell(row=1, column=error_column, value=ERROR_COLUMN_HEADER)
    header.font = Font(bold=True, color="C00000")
    sheet.column_dimensions[header.column_letter].width = ERROR_COLUMN_WIDTH
    for row, messages in by_row.items():
        summary = sheet.cell(row=row, column=error_column, value="；".join(messages))
        summary.font = Font(color="C00000")
        summary.alignment = Alignment(wrap_text=True, vertical="top")

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _header_columns(sheet) -> tuple[dict[str, int], int]:
    """Column key → 1-based column of the header row, and the column for 错误说明 (its existing
    column, else the first one after the last header)."""
    positions: dict[str, int] = {}
    error_column = None
    last = 0
    for cell in sheet[1]:
        name = normalize_header(cell.value)
        if not name:
            continue
        last = cell.column
        if name == ERROR_COLUMN_HEADER:
            error_column = cell.column
        elif name in HEADER_TO_KEY:
            positions.setdefault(HEADER_TO_KEY[name], cell.column)
    return positions, error_column or last + 1


def _clear_previous_marks(sheet, error_column: int) -> None:
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if cell.comment is not None and cell.comment.author == COMMENT_AUTHOR:
                cell.comment = None
                if cell.fill == ERROR_FILL:
                    cell.fill = NO_FILL
    for (cell,) in sheet.iter_rows(min_row=2, min_col=error_column, max_col=error_column):
        cell.value = None
