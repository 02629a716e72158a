"""Generates the hostile-file corpus the enrolment reader must refuse (tests/enrollment/intake/test_xlsx.py),
and with it every upload path and the safe reader itself (HOSTILE_FILES: tests/xueji/files/test_spreadsheets.py,
tests/enrollment/admission/test_hostile_files.py, tests/enrollment/national/test_hostile_files.py).

Run from the project root after changing the template or the rules:

    .venv/bin/python tests/enrollment/corpus/make_corpus.py

Each file is small on disk (the zip bombs included: a few KB, inflating to 1 GB or lying about
their size). EXPECTED names, for every file, the refusal code and a piece of the message; the
tests read it from here, so a new file and its expectation are added in one place.
"""

import io
import re
import struct
import sys
import zipfile
from pathlib import Path

CORPUS_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = CORPUS_DIR.parents[2]
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

from openpyxl import Workbook, load_workbook  # noqa: E402

from enrollment.intake.columns import COLUMNS  # noqa: E402
from enrollment.intake.xlsx_template import DATA_SHEET, build_template  # noqa: E402

YEAR = 2026
SHEET_PART = "xl/worksheets/sheet1.xml"

# file name → (ExcelRefused.code, a piece of the message); None for files the reader accepts.
EXPECTED: dict[str, tuple[str, str] | None] = {
    "not_a_zip.xlsx": ("not_xlsx", "可能是 CSV"),
    "old_format.xls": ("not_xlsx", "旧版 .xls"),
    "pdf_renamed.xlsx": ("not_xlsx", "PDF"),
    "word_renamed.xlsx": ("not_xlsx", "Word"),
    "zip_bomb_huge.xlsx": ("zip_bomb", "超过上限 100 MB"),
    "zip_bomb_ratio.xlsx": ("zip_bomb", "压缩比异常"),
    "zip_bomb_lying.xlsx": ("zip_bomb", "比声明的大得多"),
    "macro.xlsm": ("macros", "宏"),
    "macro_content_type.xlsx": ("macros", "宏"),
    "external_link.xlsx": ("external_links", "外部链接"),
    "billion_laughs.xlsx": ("xml_entities", "XML 实体"),
    "external_entity.xlsx": ("xml_entities", "XML 实体"),
    "utf16_part.xlsx": ("xml_entities", "UTF-8 以外的编码"),
    "formula.xlsx": ("formulas", "第5行“出生日期”列是公式，请粘贴为数值"),
    "too_many_rows.xlsx": ("too_many_rows", "超过 10000 行"),
    "too_many_columns.xlsx": ("too_many_columns", "超过 200 列"),
    "far_cell.xlsx": ("too_many_rows", "超过 10000 行"),
    "wrong_sheet.xlsx": ("wrong_layout", "找不到“学生信息”工作表"),
    "missing_headers.xlsx": ("wrong_layout", "缺少必填列：*性别、*民族"),
    "earlier_year.xlsx": ("wrong_year", "这是2025年的模板，请下载2026年的模板"),
    "numeric_id.xlsx": None,  # read; the ID cell is refused by row_to_new_pupil_data
}
# The refusals about our enrolment template (its sheet's name, headers and year). Every other one
# is about the file itself: every upload path must give it, whatever the file was meant to be.
TEMPLATE_CODES = {"wrong_layout", "wrong_year"}
HOSTILE_FILES = [name for name, expected in EXPECTED.items() if expected and expected[0] not in TEMPLATE_CODES]
# The formula's message names its column by the template's header only in the enrolment reader;
# elsewhere it says where by the column's letter.
ANY_FORMULA = "是公式，请粘贴为数值"


def expected_refusal(name: str) -> tuple[str, str]:
    """(code, a piece of the message) that every upload path gives for the hostile file ``name``."""
    code, message = EXPECTED[name]
    return code, ANY_FORMULA if code == "formulas" else message

# A pupil row that passes every rule (the ID number's check digit is right).
SAMPLE_ROW = {
    "name": "王小明", "gender": "1 男", "birth_date": "2020-03-15", "ethnicity": "01 汉族",
    "nationality": "CHN 中国", "id_type": "1 居民身份证", "id_number": "220122202003150013",
    "overseas_status": "00 否", "health": "10 健康或良好", "hukou_division_id": "220122",
    "hukou_type": "1 农业户口", "address": "农安县合隆镇陈家店村 3 组", "entry_date": "2026-09",
    "guardian1_relation": "51 父亲", "guardian1_name": "王大军", "guardian1_id_type": "1 居民身份证",
    "guardian1_id_number": "220122198805060010", "guardian1_phone": "13804310001",
    "guardian1_workplace": "合隆镇农机站", "guardian1_hukou_division_id": "220122",
}


def filled_template(rows: dict[int, dict], year: int = YEAR) -> bytes:
    """The year's template with ``rows`` (row number → column key → value) filled in."""
    workbook = load_workbook(io.BytesIO(build_template(year)))
    sheet = workbook[DATA_SHEET]
    position = {column.key: index for index, column in enumerate(COLUMNS, start=1)}
    for row, values in rows.items():
        for key, value in values.items():
            sheet.cell(row=row, column=position[key], value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def minimal_workbook() -> bytes:
    """The smallest workbook with the pupil sheet: what the zip bombs are built on, as their
    refusal comes before anything in the template matters."""
    workbook = Workbook()
    workbook.active.title = DATA_SHEET
    workbook.active["A1"] = "*姓名"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def rezip(source: bytes, *, replace: dict[str, bytes] | None = None, add: dict[str, bytes] | None = None,
          compress_type: dict[str, int] | None = None) -> bytes:
    """A copy of the package ``source`` with some parts replaced or added."""
    replace, add, compress_type = replace or {}, add or {}, compress_type or {}
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as original, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            content = replace.get(info.filename, original.read(info.filename))
            copy.writestr(info.filename, content, compress_type=compress_type.get(info.filename, zipfile.ZIP_DEFLATED))
        for name, content in add.items():
            copy.writestr(name, content, compress_type=compress_type.get(name, zipfile.ZIP_DEFLATED))
    return output.getvalue()


def part(source: bytes, name: str) -> bytes:
    with zipfile.ZipFile(io.BytesIO(source)) as archive:
        return archive.read(name)


def add_override(content_types: bytes, part_name: str, content_type: str) -> bytes:
    override = f'<Override PartName="/{part_name}" ContentType="{content_type}"/>'.encode()
    return content_types.replace(b"</Types>", override + b"</Types>")


def not_a_zip() -> bytes:
    return "姓名,性别,出生日期\n王小明,男,2020-03-15\n".encode("utf-8")


def old_format() -> bytes:
    # The OLE2 compound-file signature that .xls (and password-protected .xlsx) files start with.
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def pdf_renamed() -> bytes:
    return b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def word_renamed() -> bytes:
    content_types = (
        b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/'
        b'content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/'
        b'document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.'
        b'main+xml"/></Types>'
    )
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("word/document.xml", b'<?xml version="1.0" encoding="UTF-8"?><document/>')
    return output.getvalue()


def zip_bomb_huge() -> bytes:
    """1 GB of spaces after the sheet's XML, bzip2-compressed into a few hundred bytes: the zip
    directory says 1 GB, which is refused before anything is inflated."""
    template = minimal_workbook()
    output = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(template)) as original, zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as copy:
        for info in original.infolist():
            if info.filename != SHEET_PART:
                copy.writestr(info.filename, original.read(info.filename))
                continue
            target = zipfile.ZipInfo(SHEET_PART, date_time=info.date_time)
            target.compress_type = zipfile.ZIP_BZIP2
            with copy.open(target, "w", force_zip64=True) as stream:
                stream.write(original.read(SHEET_PART))
                spaces = b" " * (1 << 20)
                for _ in range(1024):
                    stream.write(spaces)
    return output.getvalue()


def zip_bomb_ratio() -> bytes:
    """A sheet padded with 2 MB of blank space between rows, deflated (as Excel would) to about
    2 KB: a ratio of about 1,000, where real sheets stay under 30."""
    template = minimal_workbook()
    sheet = part(template, SHEET_PART)
    padded = sheet.replace(b"</row>", b"</row>" + b" " * (2 << 20), 1)
    return rezip(template, replace={SHEET_PART: padded})


def zip_bomb_lying() -> bytes:
    """The directory (and local header) declare the sheet 60 KB, honest in ratio, while it inflates
    to 3 MB: whoever trusts the directory gets a bomb; the reader stops at byte 60 KB + 1."""
    template = minimal_workbook()
    sheet = part(template, SHEET_PART)
    padded = sheet.replace(b"</row>", b"</row>" + b" " * (3 << 20), 1)
    package = bytearray(rezip(template, replace={SHEET_PART: padded}))
    declared = 60 * 1024
    name = SHEET_PART.encode()
    for match in re.finditer(re.escape(b"PK\x01\x02"), bytes(package)):  # central directory entries
        start = match.start()
        name_length = struct.unpack_from("<H", package, start + 28)[0]
        if package[start + 46:start + 46 + name_length] == name:
            struct.pack_into("<I", package, start + 24, declared)
            local = struct.unpack_from("<I", package, start + 42)[0]
            struct.pack_into("<I", package, local + 22, declared)
    return bytes(package)


def macro_xlsm() -> bytes:
    template = build_template(YEAR)
    content_types = part(template, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    content_types = add_override(content_types, "xl/vbaProject.bin", "application/vnd.ms-office.vbaProject")
    # Not a real VBA project: the part's name and type are what the reader refuses on.
    vba = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"Attribute VB_Name = \"Module1\"\nSub AutoOpen()\nEnd Sub\n"
    return rezip(template, replace={"[Content_Types].xml": content_types}, add={"xl/vbaProject.bin": vba})


def macro_content_type() -> bytes:
    """Declared macro-enabled (an .xlsm renamed .xlsx) without a vbaProject part of that name."""
    template = build_template(YEAR)
    content_types = part(template, "[Content_Types].xml").replace(
        b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
        b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
    )
    return rezip(template, replace={"[Content_Types].xml": content_types})


def external_link() -> bytes:
    template = build_template(YEAR)
    link = (
        b'<?xml version="1.0" encoding="UTF-8"?><externalLink xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        b'<externalBook r:id="rId1"><sheetNames><sheetName val="Sheet1"/></sheetNames></externalBook></externalLink>'
    )
    link_rels = (
        b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/'
        b'2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/externalLinkPath" Target="file:///C:/secret/other.xlsx" TargetMode="External"/>'
        b"</Relationships>"
    )
    content_types = add_override(
        part(template, "[Content_Types].xml"), "xl/externalLinks/externalLink1.xml",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.externalLink+xml",
    )
    workbook_rels = part(template, "xl/_rels/workbook.xml.rels").replace(
        b"</Relationships>",
        b'<Relationship Id="rId99" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
        b'externalLink" Target="externalLinks/externalLink1.xml"/></Relationships>',
    )
    return rezip(
        template,
        replace={"[Content_Types].xml": content_types, "xl/_rels/workbook.xml.rels": workbook_rels},
        add={"xl/externalLinks/externalLink1.xml": link, "xl/externalLinks/_rels/externalLink1.xml.rels": link_rels},
    )


def _with_doctype(sheet: bytes, doctype: bytes, entity: bytes) -> bytes:
    """The sheet with a DOCTYPE after its XML declaration (or at the start) and ``entity`` used
    as the text of cell A1."""
    body = re.sub(rb"^<\?xml[^>]*\?>", b"", sheet)
    body = re.sub(rb'(<c r="A1"[^>]*t="inlineStr"[^>]*><is><t>)[^<]*', lambda m: m.group(1) + entity, body, count=1)
    return b'<?xml version="1.0" encoding="UTF-8"?>' + doctype + body


def billion_laughs() -> bytes:
    template = build_template(YEAR)
    entities = b'<!ENTITY lol "lol">' + b"".join(
        f'<!ENTITY lol{level} "{("&lol" + (str(level - 1) if level > 1 else "") + ";") * 10}">'.encode()
        for level in range(1, 10)
    )
    doctype = b"<!DOCTYPE worksheet [" + entities + b"]>"
    return rezip(template, replace={SHEET_PART: _with_doctype(part(template, SHEET_PART), doctype, b"&lol9;")})


def external_entity() -> bytes:
    template = build_template(YEAR)
    doctype = b'<!DOCTYPE worksheet [<!ENTITY secret SYSTEM "file:///etc/passwd">]>'
    return rezip(template, replace={SHEET_PART: _with_doctype(part(template, SHEET_PART), doctype, b"&secret;")})


def utf16_part() -> bytes:
    """The workbook part in UTF-16, where a byte scan for DOCTYPE would see nothing."""
    template = build_template(YEAR)
    workbook = part(template, "xl/workbook.xml").decode("utf-8")
    workbook = re.sub(r"^<\?xml[^>]*\?>", "", workbook)
    encoded = ('<?xml version="1.0" encoding="UTF-16"?>' + workbook).encode("utf-16")
    return rezip(template, replace={"xl/workbook.xml": encoded})


def formula() -> bytes:
    rows = {2: SAMPLE_ROW, 5: {**SAMPLE_ROW, "name": "李小红", "birth_date": "=DATE(2020,5,1)"}}
    return filled_template(rows)


def too_many_rows() -> bytes:
    workbook = load_workbook(io.BytesIO(build_template(YEAR)))
    sheet = workbook[DATA_SHEET]
    for row in range(2, 10_003):  # 10,001 pupils
        sheet.cell(row=row, column=1, value="王小明")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def too_many_columns() -> bytes:
    workbook = load_workbook(io.BytesIO(build_template(YEAR)))
    sheet = workbook[DATA_SHEET]
    for column in range(len(COLUMNS) + 1, 202):
        sheet.cell(row=2, column=column, value="备注")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def far_cell() -> bytes:
    """One value whose cell reference says row 5,000,000 inside row element 3: a reader that
    places cells by reference (calamine does) would build a grid of millions of rows."""
    template = filled_template({2: SAMPLE_ROW})
    sheet = part(template, SHEET_PART).replace(
        b"</sheetData>", b'<row r="3"><c r="A5000000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>'
    )
    return rezip(template, replace={SHEET_PART: sheet})


def wrong_sheet() -> bytes:
    workbook = load_workbook(io.BytesIO(filled_template({2: SAMPLE_ROW})))
    workbook[DATA_SHEET].title = "Sheet1"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def missing_headers() -> bytes:
    workbook = load_workbook(io.BytesIO(filled_template({2: SAMPLE_ROW})))
    sheet = workbook[DATA_SHEET]
    for cell in sheet[1]:
        if cell.value in ("*性别", "*民族"):
            cell.value = None
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def earlier_year() -> bytes:
    return filled_template({2: SAMPLE_ROW}, year=YEAR - 1)


def numeric_id() -> bytes:
    """A complete row whose ID numbers were typed into General cells: Excel keeps them as floats
    (2.20122202003150E+17), their last digits gone."""
    numbers = {"id_number": 220122202003150013, "guardian1_id_number": 2.20122198805060e17}
    return filled_template({2: {**SAMPLE_ROW, **numbers}})


BUILDERS = {
    "not_a_zip.xlsx": not_a_zip,
    "old_format.xls": old_format,
    "pdf_renamed.xlsx": pdf_renamed,
    "word_renamed.xlsx": word_renamed,
    "zip_bomb_huge.xlsx": zip_bomb_huge,
    "zip_bomb_ratio.xlsx": zip_bomb_ratio,
    "zip_bomb_lying.xlsx": zip_bomb_lying,
    "macro.xlsm": macro_xlsm,
    "macro_content_type.xlsx": macro_content_type,
    "external_link.xlsx": external_link,
    "billion_laughs.xlsx": billion_laughs,
    "external_entity.xlsx": external_entity,
    "utf16_part.xlsx": utf16_part,
    "formula.xlsx": formula,
    "too_many_rows.xlsx": too_many_rows,
    "too_many_columns.xlsx": too_many_columns,
    "far_cell.xlsx": far_cell,
    "wrong_sheet.xlsx": wrong_sheet,
    "missing_headers.xlsx": missing_headers,
    "earlier_year.xlsx": earlier_year,
    "numeric_id.xlsx": numeric_id,
}
assert BUILDERS.keys() == EXPECTED.keys()


def main() -> None:
    for name, builder in BUILDERS.items():
        content = builder()
        (CORPUS_DIR / name).write_bytes(content)
        print(f"{name:28} {len(content):>8} bytes")


if __name__ == "__main__":
    main()
