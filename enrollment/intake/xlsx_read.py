"""Reading an uploaded enrolment file, safely.

An uploaded .xlsx is a zip of XML written by whoever sent it. Before any spreadsheet library sees
it, the file is taken apart here with nothing but zlib and a byte scanner, and refused whole
(ExcelRefused, a Chinese message, nothing else done) when it is:

- not an .xlsx at all (.xls, .xlsb, .ods, CSV, PDF, Word … renamed);
- a zip bomb: the sizes in the zip directory are checked before anything is inflated (total and
  ratio), and every part is then inflated by us with a hard limit, so a directory that lies is
  caught after at most its declared size; compression other than deflate is refused;
- XML with a DOCTYPE or entity declarations (billion laughs, external entities), or in an encoding
  other than UTF-8 (which could hide them from the scan);
- carrying macros (a vbaProject part, a macroEnabled content type, ActiveX) or external links;
- holding formulas in the pupil sheet, more than 10,000 data rows or more than 200 columns — the
  sheet is scanned while it is inflated and the scan stops at the first value over a limit (by
  its row element and by its own cell reference: calamine builds one dense grid from A1 to the
  farthest value, so a single far cell would cost gigabytes);
- not our template: no 学生信息 sheet, another year's template, required headers missing.

Only then does python-calamine (Rust, about ten times faster than openpyxl's read-only mode, see
benchmarks/xlsx_read.py) read the cells, from parts we have verified byte for byte.
"""

import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from io import BytesIO
from operator import itemgetter
from typing import Any

import python_calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.core.exceptions import ValidationError
from openpyxl.utils import get_column_letter
from openpyxl.utils.cell import coordinate_to_tuple

from enrollment.intake.columns import COLUMNS, COLUMNS_BY_KEY, ERROR_COLUMN_HEADER, HEADER_TO_KEY, normalize_header
from enrollment.intake.xlsx_template import CODES_SHEET, DATA_SHEET, MAX_DATA_ROWS, YEAR_CELL, YEAR_NAME

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
# Real sheets compress 5-30 times; deflate cannot do better than about 1,030. A part over 1 MB that
# claims more than 200 is a bomb, or a sheet no person filled in.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_ABOVE = 1024 * 1024
MAX_PARTS = 1000
MAX_COLUMNS = 200
MAX_FORMULAS_LISTED = 10
CHUNK = 1024 * 1024

# Parts no XML parser reads; every other part is scanned for DOCTYPE and entities.
BINARY_SUFFIXES = (".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".wdp")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
REUPLOAD = "请下载本系统的模板，把数据粘贴为数值后另存为 .xlsx 再上传。"


class ExcelRefused(ValidationError):
    """The uploaded file is refused whole; ``code`` says why (not_xlsx, too_large, zip_bomb,
    xml_entities, macros, external_links, formulas, too_many_rows, too_many_columns,
    wrong_layout, wrong_year, unreadable) and the messages say it to the user in Chinese."""

    def __init__(self, messages: str | list[str], *, code: str):
        messages = [messages] if isinstance(messages, str) else messages
        super().__init__([ValidationError(message, code=code) for message in messages])
        self.code = code


@dataclass(frozen=True)
class SheetRow:
    """One filled-in row: its number as Excel shows it, and column key → the cell's raw value
    (str, float, int, bool, date, datetime; None for an empty cell)."""

    row: int
    values: dict[str, Any]


def read_enrolment_file(data: bytes, *, intake_year: int) -> list[SheetRow]:
    """The pupils' rows of an uploaded template, checked for every hostile-file rule first (see
    the module's docstring). Raises ExcelRefused; entirely empty rows are skipped."""
    package = _inspect_package(data)
    template_year = package.defined_names.get(YEAR_NAME)
    workbook = _open_calamine(data)
    if template_year is None:
        template_year = _year_from_codes_sheet(workbook)
    _check_year(template_year, intake_year)

    rows = _sheet_values(workbook)
    if not rows:
        raise ExcelRefused("“学生信息”工作表是空的：第 1 行应为表头，从第 2 行起每行一名学生。", code="wrong_layout")
    positions = _header_positions(rows[0])
    if package.scan.formulas:
        raise ExcelRefused(_formula_message(package.scan, rows[0]), code="formulas")
    return _data_rows(rows, positions)


# --- the package: zip directory, parts, content types ---------------------------------------------

@dataclass
class _SheetScan:
    """What the byte scan of the pupil sheet found."""

    formulas: list[tuple[int, int]] = field(default_factory=list)  # (row, column), 1-based
    formula_count: int = 0


@dataclass
class _Package:
    defined_names: dict[str, int]
    scan: _SheetScan


def _inspect_package(data: bytes) -> _Package:
    _refuse_other_formats(data)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError):
        raise ExcelRefused("文件不是有效的 .xlsx 表格（压缩包已损坏或不是 Excel 文件）。" + REUPLOAD, code="not_xlsx") from None
    _check_directory(infos)
    by_name = {info.filename: info for info in infos}
    if "[Content_Types].xml" not in by_name:
        if "mimetype" in by_name or "content.xml" in by_name:
            raise ExcelRefused("这是 WPS/LibreOffice 的 .ods 表格，不是 .xlsx。" + REUPLOAD, code="not_xlsx")
        raise ExcelRefused("文件不是 Excel 表格（.xlsx）。" + REUPLOAD, code="not_xlsx")

    content_types = _read_small_part(data, by_name["[Content_Types].xml"])
    _check_content_types(content_types)
    workbook_part = _workbook_part(data, by_name)
    if workbook_part not in by_name:
        raise ExcelRefused("文件不是完整的 Excel 工作簿（缺少工作簿部分）。" + REUPLOAD, code="not_xlsx")
    sheets, defined_names = _parse_workbook(_read_small_part(data, by_name[workbook_part]))
    relationships = _parse_relationships(data, by_name, workbook_part)
    if any(kind.endswith("/externalLink") for kind, _ in relationships.values()):
        raise ExcelRefused("文件含有外部链接（引用了其他工作簿），为安全起见不能导入。" + REUPLOAD, code="external_links")
    if DATA_SHEET not in sheets:
        raise ExcelRefused(
            f"找不到“{DATA_SHEET}”工作表：请使用本系统下载的模板填写，不要修改工作表名称。", code="wrong_layout"
        )
    relation = relationships.get(sheets[DATA_SHEET])
    sheet_part = _resolve(workbook_part, relation[1]) if relation else None
    if sheet_part not in by_name:
        raise ExcelRefused(f"“{DATA_SHEET}”工作表的内容缺失，文件可能已损坏。", code="not_xlsx")

    # The sheets calamine may load get the row and column limits: the pupil sheet, and the hidden
    # code sheet (read for the year when the defined name is gone). Only the pupil sheet's
    # formulas matter.
    scan = _SheetScan()
    scans = {sheet_part: scan}
    codes_relation = relationships.get(sheets.get(CODES_SHEET, ""))
    if codes_relation:
        scans.setdefault(_resolve(workbook_part, codes_relation[1]), _SheetScan())
    for info in infos:
        if info.is_dir():
            continue
        scanner = _SheetScanner(scans[info.filename]) if info.filename in scans else None
        xml = not info.filename.lower().endswith(BINARY_SUFFIXES)
        _scan_part(data, info, xml=xml, sheet=scanner)
    return _Package(defined_names=defined_names, scan=scan)


def _refuse_other_formats(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise ExcelRefused(f"文件太大（{len(data) // (1024 * 1024)} MB），上限为 {MAX_FILE_BYTES // (1024 * 1024)} MB。",
                           code="too_large")
    if data.startswith(OLE2_MAGIC):
        raise ExcelRefused("这是旧版 .xls 文件（或加了密码的文件）：请在 Excel 中去掉密码并“另存为” .xlsx 格式后再上传。",
                           code="not_xlsx")
    if data.startswith(b"%PDF"):
        raise ExcelRefused("这是 PDF 文件，不是 Excel 表格。" + REUPLOAD, code="not_xlsx")
    if not data.startswith(b"PK\x03\x04"):
        raise ExcelRefused("文件不是 Excel 表格（.xlsx），可能是 CSV、文本或改了扩展名的其他文件。" + REUPLOAD,
                           code="not_xlsx")


def _check_directory(infos: list[zipfile.ZipInfo]) -> None:
    """Everything the zip directory says, checked before a single byte is inflated."""
    if len(infos) > MAX_PARTS:
        raise ExcelRefused(f"文件结构异常（含 {len(infos)} 个部件），不像正常的 Excel 表格。", code="zip_bomb")
    names = [info.filename for info in infos]
    if len(set(names)) != len(names):
        # Two parts of one name: one reader may take the first, another the last.
        raise ExcelRefused("文件结构异常（压缩包中有重名的部件），为安全起见不能导入。", code="not_xlsx")
    total = sum(info.file_size for info in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise ExcelRefused(
            f"文件解压后约 {total // (1024 * 1024)} MB，超过上限 {MAX_UNCOMPRESSED_BYTES // (1024 * 1024)} MB："
            "可能是恶意构造的压缩包（zip 炸弹），已拒绝。",
            code="zip_bomb",
        )
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > RATIO_CHECKED_ABOVE and ratio > MAX_COMPRESSION_RATIO:
            raise ExcelRefused(
                f"文件的压缩比异常（{ratio:.0f} 倍）：可能是恶意构造的压缩包（zip 炸弹），已拒绝。", code="zip_bomb"
            )
        if info.flag_bits & 0x1:
            raise ExcelRefused("文件加了密码，请去掉密码后另存为 .xlsx 再上传。", code="not_xlsx")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ExcelRefused("文件使用了 Excel 不会使用的压缩方式，不像正常的 Excel 表格。", code="not_xlsx")
        lowered = info.filename.lower()
        if lowered.endswith("vbaproject.bin") or lowered.startswith("xl/activex/"):
            raise ExcelRefused("文件含有宏或控件（.xlsm），为安全起见不能导入：请另存为不含宏的 .xlsx 再上传。",
                               code="macros")
        if lowered.startswith("xl/externallinks/"):
            raise ExcelRefused("文件含有外部链接（引用了其他工作簿），为安全起见不能导入。" + REUPLOAD,
                               code="external_links")


def _check_content_types(content_types: bytes) -> None:
    lowered = content_types.lower()
    if b"spreadsheetml" not in lowered and b"ms-excel" not in lowered:
        raise ExcelRefused("文件不是 Excel 表格（可能是改了扩展名的 Word 或其他 Office 文件）。" + REUPLOAD,
                           code="not_xlsx")
    if b"sheet.binary" in lowered:
        raise ExcelRefused("这是 .xlsb 二进制工作簿，请在 Excel 中另存为 .xlsx 后再上传。", code="not_xlsx")
    if b"macroenabled" in lowered or b"vbaproject" in lowered:
        raise ExcelRefused("文件含有宏（.xlsm），为安全起见不能导入：请另存为不含宏的 .xlsx 再上传。", code="macros")
    if b"externallink" in lowered:
        raise ExcelRefused("文件含有外部链接（引用了其他工作簿），为安全起见不能导入。" + REUPLOAD, code="external_links")
    if b"spreadsheetml.sheet.main" not in lowered and b"spreadsheetml.template.main" not in lowered:
        raise ExcelRefused("文件不是 Excel 工作簿（.xlsx）。" + REUPLOAD, code="not_xlsx")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(part: bytes):
    try:
        return SafeElementTree.fromstring(part)
    except DefusedXmlException:
        raise _entities_refused() from None
    except SafeElementTree.ParseError:
        raise ExcelRefused("文件内部的 XML 已损坏，无法读取。" + REUPLOAD, code="unreadable") from None


def _workbook_part(data: bytes, by_name: dict[str, zipfile.ZipInfo]) -> str:
    """The workbook's part name, from the package's root relationships (xl/workbook.xml as a rule)."""
    info = by_name.get("_rels/.rels")
    if info is not None:
        for element in _parse_xml(_read_small_part(data, info)).iter():
            if _local(element.tag) == "Relationship" and element.get("Type", "").endswith("/officeDocument"):
                return element.get("Target", "").lstrip("/")
    return "xl/workbook.xml"


def _parse_workbook(part: bytes) -> tuple[dict[str, str], dict[str, int]]:
    """Sheet name → relationship id, and the workbook-level defined names that hold a year."""
    sheets, years = {}, {}
    for element in _parse_xml(part).iter():
        name = _local(element.tag)
        if name == "sheet":
            relation = next((value for key, value in element.attrib.items() if _local(key) == "id"), None)
            sheets[element.get("name", "")] = relation
        elif name == "definedName" and element.get("localSheetId") is None:
            text = (element.text or "").strip().lstrip("=").strip('"')
            if text.isdigit():
                years[element.get("name", "")] = int(text)
    return sheets, years


def _parse_relationships(data: bytes, by_name: dict[str, zipfile.ZipInfo], part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target) of one part."""
    rels_name = posixpath.join(posixpath.dirname(part), "_rels", posixpath.basename(part) + ".rels")
    info = by_name.get(rels_name)
    if info is None:
        return {}
    relationships = {}
    for element in _parse_xml(_read_small_part(data, info)).iter():
        if _local(element.tag) == "Relationship":
            relationships[element.get("Id", "")] = (element.get("Type", ""), element.get("Target", ""))
    return relationships


def _resolve(source_part: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(source_part), target))


# --- inflating a part ourselves -------------------------------------------------------------------

def _inflate(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The part's bytes in chunks, never more than the directory declared: a part that inflates to
    more, or to something whose CRC differs, is refused as soon as that is seen. What calamine
    reads afterwards is therefore exactly what was checked here."""
    start = info.header_offset
    header = data[start:start + 30]
    if len(header) < 30 or header[:4] != b"PK\x03\x04":
        raise _corrupt()
    name_length, extra_length = struct.unpack("<HH", header[26:30])
    stored_name = data[start + 30:start + 30 + name_length]
    expected_name = info.orig_filename.encode("utf-8" if info.flag_bits & 0x800 else "cp437", errors="replace")
    if stored_name != expected_name:
        raise _corrupt()  # the local header names another part than the directory
    begin = start + 30 + name_length + extra_length
    compressed = memoryview(data)[begin:begin + info.compress_size]
    if len(compressed) != info.compress_size:
        raise _corrupt()

    produced, crc = 0, 0
    if info.compress_type == zipfile.ZIP_STORED:
        chunks: Iterator[bytes] = (bytes(compressed[i:i + CHUNK]) for i in range(0, len(compressed), CHUNK))
    else:
        chunks = _deflate_chunks(compressed)
    for chunk in chunks:
        produced += len(chunk)
        if produced > info.file_size:
            raise ExcelRefused("文件中有部件解压后比声明的大得多：可能是恶意构造的压缩包（zip 炸弹），已拒绝。",
                               code="zip_bomb")
        crc = zlib.crc32(chunk, crc)
        yield chunk
    if produced != info.file_size or crc != info.CRC:
        raise _corrupt()


def _deflate_chunks(compressed: memoryview) -> Iterator[bytes]:
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    position, pending = 0, b""
    try:
        while not inflater.eof:
            if not pending:
                if position >= len(compressed):
                    raise _corrupt()  # the stream ends before its end marker
                pending = compressed[position:position + CHUNK]
                position += CHUNK
            # max_length bounds what one call can produce, whatever the input.
            output = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            if output:
                yield output
    except zlib.error:
        raise _corrupt() from None


def _corrupt() -> ExcelRefused:
    return ExcelRefused("文件已损坏（压缩包内容与目录不符），无法读取。" + REUPLOAD, code="not_xlsx")


def _read_small_part(data: bytes, info: zipfile.ZipInfo) -> bytes:
    """A part read whole (content types, relationships, the workbook), after the same XML checks."""
    chunks = []
    scanner = _MarkupScanner()
    for chunk in _inflate(data, info):
        scanner.feed(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


def _scan_part(data: bytes, info: zipfile.ZipInfo, *, xml: bool, sheet: "_SheetScanner | None") -> None:
    markup = _MarkupScanner() if xml else None
    for chunk in _inflate(data, info):
        if markup is not None:
            markup.feed(chunk)
        if sheet is not None:
            sheet.feed(chunk)
    if sheet is not None:
        sheet.finish()


# --- the scanners ---------------------------------------------------------------------------------

# A DTD is where entities live; neither has any business in a spreadsheet. Matched without regard
# to case, as some parsers are lenient about it.
_DECLARATION = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ENCODING = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?encoding\s*=\s*["']([^"']+)["']""")


def _entities_refused() -> ExcelRefused:
    return ExcelRefused("文件含有 XML 实体或文档类型声明（DOCTYPE），可能是恶意构造的文件，已拒绝。" + REUPLOAD,
                        code="xml_entities")


class _MarkupScanner:
    """Refuses a part with a DOCTYPE or ENTITY declaration, or one not in UTF-8 (a UTF-16 part
    would hide its declarations from a byte scan)."""

    def __init__(self):
        self.tail = b""
        self.started = False

    def feed(self, chunk: bytes) -> None:
        if not self.started:
            self.started = True
            head = chunk[:200]
            if head.startswith((b"\xff\xfe", b"\xfe\xff")) or b"\x00" in head[:4]:
                raise ExcelRefused("文件内部的 XML 使用了 UTF-8 以外的编码，不像正常的 Excel 表格，已拒绝。", code="xml_entities")
            match = _ENCODING.match(head)
            if match and match.group(1).lower().replace(b"-", b"").replace(b"_", b"") != b"utf8":
                raise ExcelRefused("文件内部的 XML 使用了 UTF-8 以外的编码，不像正常的 Excel 表格，已拒绝。", code="xml_entities")
        window = self.tail + chunk
        if _DECLARATION.search(window):
            raise _entities_refused()
        self.tail = window[-16:]


_ROW_START = re.compile(rb"<row\b([^>]*)>|<[\w.-]+:row\b([^>]*)>")
_ROW_END = re.compile(rb"</row\s*>|</[\w.-]+:row\s*>")
_CELL = re.compile(rb"<(?:[\w.-]+:)?c\b([^>]*)>")
_VALUE = re.compile(rb"<(?:[\w.-]+:)?(?:v|is)[\s>]")
_FORMULA = re.compile(rb"<f[\s/>]|<[\w.-]+:f[\s/>]")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["'](\d+)["']""")
_CELL_REF = re.compile(rb"""\br\s*=\s*["']\$?([A-Za-z]{1,3})\$?(\d+)["']""")
# A cell past column GR (200); a cell start tag that does not begin with its reference (Excel
# and openpyxl always write r first; without it, columns are counted). Split so that each
# alternative starts with a literal and the search stays in C at full speed.
_WIDE_CELL = re.compile(rb"""r\s*=\s*["']\$?(?:[A-Za-z]{3}|[Gg][S-Zs-z]|[H-Zh-z][A-Za-z])\$?\d+["']""")
_UNNAMED_CELL = re.compile(rb"<c(?:>|/>|\s+(?!r\s*=))|<[\w.-]+:c(?:>|/>|\s+(?!r\s*=))")
# A cell whose own reference puts it at row 10,000 or below, whatever its row element says:
# calamine places a cell by its reference and builds one dense grid from A1 to the farthest cell,
# so a lone "A5000000" would cost gigabytes.
_DEEP_CELL = re.compile(rb"""r\s*=\s*["']\$?[A-Za-z]{1,3}\$?\d{5,}["']""")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


class _SheetScanner:
    """Reads the pupil sheet's XML as it is inflated, row by row, without building anything:
    a value past row 10,001 or column 200 is refused at once, and the formulas are noted with
    their places. Rows are cut at their closing tags, so a tag is never split between two
    pieces."""

    def __init__(self, scan: _SheetScan):
        self.scan = scan
        self.buffer = b""
        self.row_number = 0

    def feed(self, chunk: bytes) -> None:
        # Only the new bytes (and a tag's length before them) can hold a new closing row tag:
        # what was kept from the last chunk had none.
        searched_from = max(len(self.buffer) - 64, 0)
        self.buffer += chunk
        last_end = None
        for last_end in _ROW_END.finditer(self.buffer, searched_from):
            pass
        if last_end is not None:
            self._rows(self.buffer[:last_end.end()])
            self.buffer = self.buffer[last_end.end():]

    def finish(self) -> None:
        self._rows(self.buffer)
        self.buffer = b""

    def _rows(self, piece: bytes) -> None:
        # A common piece (no formula, every cell named and within column GR) needs no look inside
        # its rows below the row limit: two searches in C settle it, and only the row numbers are
        # followed in Python. Otherwise each row is walked cell by cell.
        suspicious = any(pattern.search(piece) for pattern in (_FORMULA, _WIDE_CELL, _UNNAMED_CELL, _DEEP_CELL))
        starts = list(_ROW_START.finditer(piece))
        if not starts and suspicious:
            self._walk_cells(piece)  # cells outside any row: look at them all the same
        for index, start in enumerate(starts):
            attributes = start[start.lastindex]  # of whichever alternative matched
            number = _ROW_NUMBER.search(attributes)
            self.row_number = int(number.group(1)) if number else self.row_number + 1
            if attributes.rstrip().endswith(b"/"):
                continue  # <row r="7"/>: no cells
            if suspicious or self.row_number - 1 > MAX_DATA_ROWS:
                end = starts[index + 1].start() if index + 1 < len(starts) else len(piece)
                self._row(piece[start.end():end])

    def _row(self, content: bytes) -> None:
        if self.row_number - 1 > MAX_DATA_ROWS and _VALUE.search(content):
            raise ExcelRefused(
                f"数据超过 {MAX_DATA_ROWS} 行：一个文件最多导入 {MAX_DATA_ROWS} 名学生，请分成几个文件导入。",
                code="too_many_rows",
            )
        self._walk_cells(content)

    def _walk_cells(self, content: bytes) -> None:
        cells = list(_CELL.finditer(content))
        column = 0
        for index, cell in enumerate(cells):
            reference = _CELL_REF.search(cell.group(1))
            column = _column_number(reference.group(1)) if reference else column + 1
            row = int(reference.group(2)) if reference else self.row_number
            if cell.group(1).rstrip().endswith(b"/"):
                continue  # <c r="B7" s="1"/>: an empty, formatted cell (calamine skips it too)
            end = cells[index + 1].start() if index + 1 < len(cells) else len(content)
            body = content[cell.end():end]
            if row - 1 > MAX_DATA_ROWS and _VALUE.search(body):
                raise ExcelRefused(
                    f"数据超过 {MAX_DATA_ROWS} 行：一个文件最多导入 {MAX_DATA_ROWS} 名学生，请分成几个文件导入。",
                    code="too_many_rows",
                )
            if column > MAX_COLUMNS and _VALUE.search(body):
                raise ExcelRefused(
                    f"表格超过 {MAX_COLUMNS} 列（第 {self.row_number} 行第 {column} 列有内容），不是本系统的模板。"
                    + REUPLOAD,
                    code="too_many_columns",
                )
            if _FORMULA.search(body):
                self._formula(row, column)

    def _formula(self, row: int, column: int) -> None:
        self.scan.formula_count += 1
        if len(self.scan.formulas) < MAX_FORMULAS_LISTED:
            self.scan.formulas.append((row, column))


# --- the cells, with calamine ---------------------------------------------------------------------

def _open_calamine(data: bytes):
    try:
        return python_calamine.CalamineWorkbook.from_filelike(BytesIO(data))
    except (python_calamine.CalamineError, ValueError, OSError):
        raise ExcelRefused("文件无法读取，可能已损坏。" + REUPLOAD, code="unreadable") from None


def _sheet_values(workbook) -> list[list[Any]]:
    """The pupil sheet's cells from A1 (empty leading rows and columns kept, so positions are
    Excel's), at most the header, the data rows and one more to be sure."""
    try:
        sheet = workbook.get_sheet_by_name(DATA_SHEET)
        rows = sheet.to_python(skip_empty_area=False, nrows=MAX_DATA_ROWS + 2)
    except (python_calamine.CalamineError, ValueError, OSError):
        raise ExcelRefused(f"“{DATA_SHEET}”工作表无法读取，文件可能已损坏。" + REUPLOAD, code="unreadable") from None
    if len(rows) > MAX_DATA_ROWS + 1 and any(_filled(value) for value in rows[MAX_DATA_ROWS + 1]):
        raise ExcelRefused(f"数据超过 {MAX_DATA_ROWS} 行：一个文件最多导入 {MAX_DATA_ROWS} 名学生，请分成几个文件导入。",
                           code="too_many_rows")
    return rows[:MAX_DATA_ROWS + 1]


def _year_from_codes_sheet(workbook) -> int | None:
    """The year on the hidden code sheet, for a file whose defined names were lost on the way."""
    row, column = coordinate_to_tuple(YEAR_CELL)
    try:
        rows = workbook.get_sheet_by_name(CODES_SHEET).to_python(skip_empty_area=False, nrows=row)
        value = rows[row - 1][column - 1]
    except (python_calamine.CalamineError, IndexError, ValueError):
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


def _formula_message(scan: _SheetScan, header: list[Any]) -> list[str]:
    messages = []
    for row, column in scan.formulas:
        title = header[column - 1] if 0 < column <= len(header) else None
        label = normalize_header(title)
        key = HEADER_TO_KEY.get(label)
        where = f"“{COLUMNS_BY_KEY[key].header}”列" if key else f"{get_column_letter(column)}列" if column else ""
        messages.append(f"第{row}行{where}是公式，请粘贴为数值。" if row else "工作表中有公式，请粘贴为数值。")
    if scan.formula_count > len(scan.formulas):
        messages.append(f"（共 {scan.formula_count} 个公式单元格，只列出前 {len(scan.formulas)} 个。）")
    return messages


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
