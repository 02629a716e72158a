"""Cells of the spreadsheets the app exports, written so that Excel never evaluates them (CSV and
formula injection, OWASP).

openpyxl turns any string that begins with "=" into a formula; Excel (and LibreOffice, and a sheet
saved as CSV and opened again) also evaluates a text beginning with +, -, @, a tab or a carriage
return. A pupil's name, an address, a school named "=HYPERLINK(…)" in the admin or a reason typed
into a request are all typed by someone: every text cell is a string cell, and a text that begins
with one of those characters gets a leading apostrophe, as OWASP recommends, so that it stays text
when the cell is edited. Numbers and dates stay numbers and dates.
"""

from datetime import date, datetime

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
