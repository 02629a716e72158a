"""An .xlsx of one sheet where every cell is text, fast enough for a county's 50,000 records.

openpyxl writes each cell through its pure-Python XML writer (lxml is not installed): about
25 µs a cell, 50 µs with a number format, so a county's 2 million cells took 75 seconds, longer
than a web request may run. Here openpyxl still makes everything but the data rows — the workbook,
the styles, the header, the column widths and text formats, the frozen header — with one
placeholder row whose cell carries the text format; the placeholder row is then replaced by the
data rows, written as plain XML strings straight into the zip (a second or two for a county).

Every data cell is an inline string with the text format "@": Excel shows it as typed, never as
1.10101E+17, and keeps what someone types into it later as text. A string cell is never a
formula, whatever it starts with.
"""

import io
import re
import zipfile
from collections.abc import Iterable

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from xueji.documents.xlsx import TEXT_FORMAT, set_widths, write_header

SHEET_PATH = "xl/worksheets/sheet1.xml"
_PLACEHOLDER_ROW = re.compile(r"<row r=\"2\"[^>]*>.*?</row>|<row r=\"2\"[^>]*/>", re.S)
_DIMENSION = re.compile(r"<dimension ref=\"[^\"]*\"\s*/>")
# Characters XML 1.0 cannot hold (openpyxl refuses them too): control characters pasted in are
# dropped; the three XML escapes are done in the same pass.
_CELL_TEXT = str.maketrans(
    {**{code: None for code in [*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0xFFFE, 0xFFFF]},
     "&": "&amp;", "<": "&lt;", ">": "&gt;"}
)


def text_sheet_xlsx(title: str, headers: list[str], widths: list[int], rows: Iterable[list[str]]) -> tuple[bytes, int]:
    """The .xlsx with the bold header in row 1 and ``rows`` below it, and the number of rows.
    Empty strings leave the cell out (the column's text format still applies to it)."""
    skeleton, style_id = _skeleton(title, headers, widths)
    letters = [get_column_letter(position) for position in range(1, len(headers) + 1)]
    source = zipfile.ZipFile(io.BytesIO(skeleton))
    sheet_xml = source.read(SHEET_PATH).decode("utf-8")
    # The used range openpyxl wrote is the skeleton's; the element is optional and readers work
    # the range out from the rows, so it goes rather than be wrong.
    head, tail = _PLACEHOLDER_ROW.split(_DIMENSION.sub("", sheet_xml, count=1), maxsplit=1)
    output = io.BytesIO()
    count = 0
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            if item.filename != SHEET_PATH:
                target.writestr(item, source.read(item.filename))
                continue
            with target.open(SHEET_PATH, "w") as sheet:
                sheet.write(head.encode("utf-8"))
                chunk: list[str] = []
                for values in rows:
                    count += 1
                    chunk.append(_row_xml(count + 1, letters, values, style_id))
                    if len(chunk) == 1000:
                        sheet.write("".join(chunk).encode("utf-8"))
                        chunk = []
                sheet.write("".join(chunk).encode("utf-8"))
                sheet.write(tail.encode("utf-8"))
    return output.getvalue(), count


def _skeleton(title: str, headers: list[str], widths: list[int]) -> tuple[bytes, int]:
    """The workbook without its data, and the style index of a text cell."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for cell in write_header(sheet, 1, headers, fill=None, border=None, alignment=None):
        cell.number_format = TEXT_FORMAT
    set_widths(sheet, widths, number_format=TEXT_FORMAT)
    sheet.freeze_panes = "C2"
    placeholder = sheet.cell(row=2, column=1, value=0)  # a number: no shared string left behind
    placeholder.number_format = TEXT_FORMAT
    buffer = io.BytesIO()
    workbook.save(buffer)
    # The index openpyxl gave the style is the cell's "s" in the file (its cellXfs position).
    return buffer.getvalue(), placeholder.style_id


def _row_xml(row: int, letters: list[str], values: list[str], style_id: int) -> str:
    cells = []
    for letter, value in zip(letters, values):
        if not value:
            continue
        text = value.translate(_CELL_TEXT)
        # Leading or trailing spaces are kept only when the text says so.
        space = ' xml:space="preserve"' if text[0] == " " or text[-1] == " " else ""
        cells.append(f'<c r="{letter}{row}" s="{style_id}" t="inlineStr"><is><t{space}>{text}</t></is></c>')
    return f'<row r="{row}">{"".join(cells)}</row>'

