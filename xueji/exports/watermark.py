"""The watermark of an exported spreadsheet: a first sheet, "导出说明", naming the request, the
requester, the time, the approver and whether values are masked — whatever wrote the workbook
(openpyxl, or the national export's fast writer). The workbook's parts are edited in the zip
rather than loaded by openpyxl, which takes a minute for a county's 50,000 rows.
"""

import io
import re
import zipfile
from xml.sax.saxutils import escape

SHEET_NAME = "导出说明"
_SHEET_PART = "xl/worksheets/sheet_watermark.xml"
_REL_ID = "rIdWatermark"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_REL_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"


def _sheet_xml(lines: list[tuple[str, str]]) -> str:
    rows = []
    for number, (label, value) in enumerate(lines, start=1):
        rows.append(
            f'<row r="{number}"><c r="A{number}" t="inlineStr"><is><t>{escape(label)}</t></is></c>'
            f'<c r="B{number}" t="inlineStr"><is><t>{escape(value)}</t></is></c></row>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<cols><col min="1" max="1" width="16" customWidth="1"/><col min="2" max="2" width="80" customWidth="1"/></cols>'
        f'<sheetData>{"".join(rows)}</sheetData></worksheet>'
    )


def _with_first_sheet(workbook_xml: str) -> str:
    ids = [int(n) for n in re.findall(r'<sheet [^>]*sheetId="(\d+)"', workbook_xml)]
    sheet = (f'<sheet name="{SHEET_NAME}" sheetId="{max(ids, default=0) + 1}" '
             f'r:id="{_REL_ID}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"/>')
    workbook_xml = re.sub(r"<sheets>", "<sheets>" + sheet, workbook_xml, count=1)
    # Names local to a sheet point at it by position: every sheet moved one place on.
    return re.sub(r'localSheetId="(\d+)"', lambda m: f'localSheetId="{int(m.group(1)) + 1}"', workbook_xml)


def watermark_xlsx(content: bytes, lines: list[tuple[str, str]]) -> bytes:
    """The workbook with the watermark sheet in front of its sheets (the data stays as written)."""
    source = zipfile.ZipFile(io.BytesIO(content))
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = _with_first_sheet(data.decode("utf-8")).encode("utf-8")
            elif item.filename == "xl/_rels/workbook.xml.rels":
                relation = f'<Relationship Id="{_REL_ID}" Type="{_REL_TYPE}" Target="/{_SHEET_PART}"/>'
                data = data.decode("utf-8").replace("</Relationships>", relation + "</Relationships>").encode("utf-8")
            elif item.filename == "[Content_Types].xml":
                override = f'<Override PartName="/{_SHEET_PART}" ContentType="{_SHEET_TYPE}"/>'
                data = data.decode("utf-8").replace("</Types>", override + "</Types>").encode("utf-8")
            target.writestr(item, data)
        target.writestr(_SHEET_PART, _sheet_xml(lines))
    return output.getvalue()
