"""Cells and tables of the spreadsheets the app exports: the cells written so that Excel never
evaluates them (CSV and formula injection, OWASP), the tables drawn one way.

openpyxl turns any string that begins with "=" into a formula; Excel (and LibreOffice, and a sheet
saved as CSV and opened again) also evaluates a text beginning with +, -, @, a tab or a carriage
return. A pupil's name, an address, a school named "=HYPERLINK(…)" in the admin or a reason typed
into a request are all typed by someone: every text cell is a string cell, and a text that begins
with one of those characters gets a leading apostrophe, as OWASP recommends, so that it stays text
when the cell is edited. Numbers and dates stay numbers and dates.

The tables are drawn here, once, so that every export looks alike: a title line or not, the header
row in bold on grey with thin borders, frozen, the rows bordered, the column widths (``Table``,
``write_title``). The templates people fill in (enrolment, admission), which keep their own header
colours, and the national export's bare bold header draw the header alone: ``write_header``,
``set_widths``.
"""

from collections.abc import Iterable
from datetime import date, datetime

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_text(value: str) -> str:
    """Text as it may go into a cell: a leading apostrophe before what Excel would evaluate."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def put(sheet, row: int, column: int, value):
    """Write one cell and return it: numbers and dates as they are, anything else as a string cell
    that is never a formula."""
    cell = sheet.cell(row=row, column=column)
    if value is None:
        return cell
    if isinstance(value, (date, datetime)) or (isinstance(value, (int, float)) and not isinstance(value, bool)):
        cell.value = value
    else:
        cell.value = safe_text(str(value))
        cell.data_type = "s"
    return cell


def put_row(sheet, values) -> list:
    """Append ``values`` as a new row of safe cells (``sheet.append`` would make formulas of
    texts beginning with "="); return its cells."""
    row = sheet.max_row + 1 if sheet.max_row > 1 or sheet.cell(1, 1).value is not None else 1
    return [put(sheet, row, column, value) for column, value in enumerate(values, start=1)]


# Tables ------------------------------------------------------------------------------------------

TEXT_FORMAT = "@"  # Excel keeps what the cell holds as typed: no 1.10E+17, no lost leading 0
DATE_FORMAT = "yyyy-mm-dd"
THIN = Side(style="thin")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
BOLD = Font(bold=True)
HEADER_FONT = BOLD
HEADER_FILL = PatternFill("solid", fgColor="E0E0E0")
TITLE_FONT = Font(size=14, bold=True)
CENTRED = Alignment(horizontal="center", vertical="center")


def title_stamp(stamp) -> str:
    """The verification code, who exported and when, as a title line carries them after the title
    (``stamp`` is xueji.documents.printing's DocumentStamp; None before it is drawn)."""
    if stamp is None:
        return ""
    return f"　核验码：{stamp.display_code}　导出：{stamp.printed_by} {stamp.printed_at:%Y-%m-%d %H:%M}"


def write_title(sheet, text: str, *, columns: int, row: int = 1, font: Font = TITLE_FONT,
                alignment: Alignment | None = CENTRED, height: float | None = None):
    """A table's title line: one cell across the first ``columns`` columns, large and bold."""
    cell = put(sheet, row, 1, text)
    if columns > 1:
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=columns)
    cell.font = font
    if alignment is not None:
        cell.alignment = alignment
    if height is not None:
        sheet.row_dimensions[row].height = height
    return cell


def write_header(sheet, row: int, headers: Iterable[str], *, font: Font | None = HEADER_FONT,
                 fill: PatternFill | None = HEADER_FILL, border: Border | None = BORDER,
                 alignment: Alignment | None = CENTRED) -> list:
    """A header row from column A on: bold on grey, thin borders, centred, as the exports draw it.
    A template passes its own fill, or None to leave a part of that look out. Returns the cells."""
    cells = [put(sheet, row, column, header) for column, header in enumerate(headers, start=1)]
    for cell in cells:
        if font is not None:
            cell.font = font
        if fill is not None:
            cell.fill = fill
        if border is not None:
            cell.border = border
        if alignment is not None:
            cell.alignment = alignment
    return cells


def set_widths(sheet, widths: Iterable[float], *, number_format: str | None = None) -> None:
    """Column widths from column A on; with ``number_format``, each column's format as well (what
    is typed into a template's empty cells takes it)."""
    for column, width in enumerate(widths, start=1):
        dimension = sheet.column_dimensions[get_column_letter(column)]
        dimension.width = width
        if number_format is not None:
            dimension.number_format = number_format


def print_landscape(sheet) -> None:
    """Printed from Excel: A4 landscape, as many pages long as it takes but one page wide."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True


class Table:
    """A table of an export, drawn the one way: the header row at ``row`` (bold on grey, thin
    borders), frozen with everything above it and repeated on every printed page; below it the
    rows added, each cell a safe cell (``put``) with thin borders and its column's number format;
    the column widths; A4 landscape if asked. A title line above is ``write_title``'s.

    ``formats`` maps a header to its columns' number format. A text column ("@") holds text: a
    value written there is turned into a string (Excel would show a long number as 1.10E+17)."""

    def __init__(self, sheet, headers: list[str], *, row: int = 1, widths: Iterable[float] = (),
                 formats: dict[str, str] | None = None, header_alignment: Alignment | None = CENTRED,
                 landscape: bool = False):
        self.sheet = sheet
        self.row = row  # the last row written
        self.formats = [(formats or {}).get(header) for header in headers]
        write_header(sheet, row, headers, alignment=header_alignment)
        sheet.freeze_panes = f"A{row + 1}"
        sheet.print_title_rows = f"{row}:{row}"
        set_widths(sheet, widths)
        if landscape:
            print_landscape(sheet)

    def add(self, values: Iterable, *, bold: bool = False) -> list:
        """One row below the last; returns its cells."""
        self.row += 1
        cells = []
        for column, value in enumerate(values, start=1):
            number_format = self.formats[column - 1] if column <= len(self.formats) else None
            if number_format == TEXT_FORMAT and value is not None and not isinstance(value, str):
                value = str(value)
            cell = put(self.sheet, self.row, column, value)
            cell.border = BORDER
            if number_format is not None:
                cell.number_format = number_format
            if bold:
                cell.font = BOLD
            cells.append(cell)
        return cells

    def note(self, text: str) -> None:
        """A line of text under the table, after a blank row (a check, a remark)."""
        self.row += 2
        put(self.sheet, self.row, 1, text)
