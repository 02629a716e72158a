"""Reading an uploaded spreadsheet, safely: the one reader of every .xlsx a user sends.

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
- holding formulas in the sheet read (when the caller refuses them; otherwise their places are
  handed back), more rows or columns than the caller allows — the sheets calamine will load are
  scanned while they are inflated and the scan stops at the first value over a limit (by its row
  element and by its own cell reference: calamine builds one dense grid from A1 to the farthest
  value, so a single far cell would cost gigabytes);
- without the sheet the caller asks for.

Only then does python-calamine (Rust, about ten times faster than openpyxl's read-only mode, see
benchmarks/xlsx_read.py) read the cells, from parts we have verified byte for byte.

What a file must hold beyond that (headers, a template's year, the rows' rules) is the caller's:
the enrolment template (enrollment.intake.xlsx_read), the bureau's admission list
(enrollment.admission.services) and the national system's G numbers (enrollment.national.services)
each say what they read with a SheetRules.
"""

import functools
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from io import BytesIO
from typing import Any

import python_calamine
from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeElementTree
from django.core.exceptions import ValidationError
from openpyxl.utils import get_column_letter

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 100 * 1024 * 1024
# Real sheets compress 5-30 times; deflate cannot do better than about 1,030. A part over 1 MB that
# claims more than 200 is a bomb, or a sheet no person filled in.
MAX_COMPRESSION_RATIO = 200
RATIO_CHECKED_ABOVE = 1024 * 1024
MAX_PARTS = 1000
MAX_ROWS = 10_000
MAX_COLUMNS = 200
MAX_FORMULAS_LISTED = 10
CHUNK = 1024 * 1024

# Parts no XML parser reads; every other part is scanned for DOCTYPE and entities.
BINARY_SUFFIXES = (".bin", ".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".emf", ".wmf", ".wdp")
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ADVICE = "请用 Excel 或 WPS 把数据粘贴为数值，另存为 .xlsx 后再上传。"


class ExcelRefused(ValidationError):
    """The uploaded file is refused whole; ``code`` says why (here: not_xlsx, too_large, zip_bomb,
    xml_entities, macros, external_links, formulas, too_many_rows, too_many_columns,
    wrong_layout, unreadable; callers add their own, such as the enrolment template's
    wrong_year) and the messages say it to the user in Chinese."""

    def __init__(self, messages: str | list[str], *, code: str):
        messages = [messages] if isinstance(messages, str) else messages
        super().__init__([ValidationError(message, code=code) for message in messages])
        self.code = code


@dataclass(frozen=True)
class SheetRules:
    """What a caller reads, and allows.

    ``sheet``: the sheet's name, or None for the first sheet of the workbook. ``max_rows``: the
    rows allowed below the first (a header row; the rows above a header further down count as
    rows too); ``max_columns``: the columns allowed. A value past either refuses the file.
    ``refuse_formulas``: a formula in the sheet refuses the file; when False, the formulas'
    places are handed back (Spreadsheet.formulas) for the caller to name them in its words.
    ``also_limited``: other sheets the caller will read (Spreadsheet.other_sheet_rows), held to
    the same limits. ``expected`` and ``advice``: the caller's words for what the file should
    have been ("……，不是{expected}。") and what to do instead, ending the refusals that need it.
    """

    sheet: str | None = None
    max_rows: int = MAX_ROWS
    max_columns: int = MAX_COLUMNS
    refuse_formulas: bool = True
    also_limited: tuple[str, ...] = ()
    expected: str = "可以导入的表格"
    advice: str = ADVICE


class Spreadsheet:
    """A workbook that passed every check, open in calamine: the chosen sheet's name, the
    workbook's defined names that hold a whole number (a template's year, say), the places of
    the chosen sheet's formulas (row, column; 1-based; the first MAX_FORMULAS_LISTED) and their
    count. The cells are read by ``rows()``."""

    def __init__(self, workbook, rules: SheetRules, package: "_Package"):
        self._workbook = workbook
        self.rules = rules
        self.sheet_name: str = package.sheet_name
        self.defined_names: dict[str, int] = package.defined_names
        self.formulas: list[tuple[int, int]] = package.scan.formulas
        self.formula_count: int = package.scan.formula_count

    def rows(self) -> list[list[Any]]:
        """The chosen sheet's cells from A1 (empty leading rows and columns kept, so positions
        are Excel's; values as calamine gives them: str, float, int, bool, date, datetime, ""
        for an empty cell), at most the first row and ``max_rows`` more, and one more read to be
        sure."""
        limit = self.rules.max_rows
        try:
            sheet = self._workbook.get_sheet_by_name(self.sheet_name)
            rows = sheet.to_python(skip_empty_area=False, nrows=limit + 2)
        except (python_calamine.CalamineError, ValueError, OSError):
            raise ExcelRefused(f"“{self.sheet_name}”工作表无法读取，文件可能已损坏。" + self.rules.advice,
                               code="unreadable") from None
        if len(rows) > limit + 1 and any(_filled(value) for value in rows[limit + 1]):
            raise _too_many_rows(limit)
        return rows[:limit + 1]

    def other_sheet_rows(self, name: str, *, nrows: int) -> list[list[Any]] | None:
        """The first ``nrows`` rows of another sheet from A1; None when the workbook has no such
        sheet or calamine cannot read it. Only the sheets of ``also_limited``: the others were not
        scanned, and calamine would build whatever grid they ask for."""
        if name not in self.rules.also_limited:
            raise ValueError(f"the sheet {name!r} was not held to the limits (SheetRules.also_limited)")
        try:
            return self._workbook.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)
        except (python_calamine.CalamineError, ValueError, OSError):
            return None

    def formula_messages(self, where: Callable[[int], str] | None = None) -> list[str]:
        """The refusal's lines for the sheet's formulas: one per place listed, and the count when
        there are more. ``where`` names a column (1-based) in the caller's words ("“出生日期”列");
        by default its letter ("D列")."""
        return _formula_messages(self.formulas, self.formula_count, where or _column_letter)


def read_spreadsheet(data: bytes, rules: SheetRules) -> Spreadsheet:
    """The uploaded ``data`` checked for every hostile-file rule (see the module's docstring) and
    opened in calamine. Raises ExcelRefused; nothing else is done with a refused file."""
    with _advising(rules.advice):
        package = _inspect_package(data, rules)
        if rules.refuse_formulas and package.scan.formula_count:
            raise ExcelRefused(_formula_messages(package.scan.formulas, package.scan.formula_count, _column_letter),
                               code="formulas")
        workbook = _open_calamine(data)
    return Spreadsheet(workbook, rules, package)


# --- what the caller is told to do instead ------------------------------------------------------

class _Unadvised(ExcelRefused):
    """A refusal whose message is to end with the caller's advice (SheetRules.advice): raised
    deep in the checks, which do not know the caller, and completed by _advising at the door."""


@contextmanager
def _advising(advice: str):
    try:
        yield
    except _Unadvised as refused:
        raise ExcelRefused([message + advice for message in refused.messages], code=refused.code) from None


# --- the package: zip directory, parts, content types ---------------------------------------------

@dataclass
class _SheetScan:
    """What the byte scan of a sheet found."""

    formulas: list[tuple[int, int]] = field(default_factory=list)  # (row, column), 1-based
    formula_count: int = 0


@dataclass
class _Package:
    sheet_name: str
    defined_names: dict[str, int]
    scan: _SheetScan


def _inspect_package(data: bytes, rules: SheetRules) -> _Package:
    _refuse_other_formats(data)
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, NotImplementedError):
        # NotImplementedError: a directory entry asking for a zip version Python does not know.
        raise _Unadvised("文件不是有效的 .xlsx 表格（压缩包已损坏或不是 Excel 文件）。", code="not_xlsx") from None
    _check_directory(infos)
    by_name = {info.filename: info for info in infos}
    if "[Content_Types].xml" not in by_name:
        if "mimetype" in by_name or "content.xml" in by_name:
            raise _Unadvised("这是 WPS/LibreOffice 的 .ods 表格，不是 .xlsx。", code="not_xlsx")
        raise _Unadvised("文件不是 Excel 表格（.xlsx）。", code="not_xlsx")

    content_types = _read_small_part(data, by_name["[Content_Types].xml"])
    _check_content_types(content_types)
    workbook_part = _workbook_part(data, by_name)
    if workbook_part not in by_name:
        raise _Unadvised("文件不是完整的 Excel 工作簿（缺少工作簿部分）。", code="not_xlsx")
    sheets, defined_names = _parse_workbook(_read_small_part(data, by_name[workbook_part]))
    relationships = _parse_relationships(data, by_name, workbook_part)
    if any(kind.endswith("/externalLink") for kind, _ in relationships.values()):
        raise _Unadvised("文件含有外部链接（引用了其他工作簿），为安全起见不能导入。", code="external_links")
    sheet_name = _chosen_sheet(sheets, rules)
    relation = relationships.get(sheets[sheet_name])
    sheet_part = _resolve(workbook_part, relation[1]) if relation else None
    if sheet_part not in by_name:
        raise ExcelRefused(f"“{sheet_name}”工作表的内容缺失，文件可能已损坏。", code="not_xlsx")

    # The sheets calamine may load get the row and column limits: the chosen sheet, and those the
    # caller will also read (the enrolment template's hidden code sheet, read for the year when
    # the defined name is gone). Only the chosen sheet's formulas matter.
    scan = _SheetScan()
    scans = {sheet_part: scan}
    for other in rules.also_limited:
        other_relation = relationships.get(sheets.get(other, ""))
        if other_relation:
            scans.setdefault(_resolve(workbook_part, other_relation[1]), _SheetScan())
    for info in infos:
        if info.is_dir():
            continue
        scanner = _SheetScanner(scans[info.filename], rules) if info.filename in scans else None
        xml = not info.filename.lower().endswith(BINARY_SUFFIXES)
        _scan_part(data, info, xml=xml, sheet=scanner)
    return _Package(sheet_name=sheet_name, defined_names=defined_names, scan=scan)


def _chosen_sheet(sheets: dict[str, str | None], rules: SheetRules) -> str:
    """The name of the sheet the caller reads: the one it names, or the workbook's first."""
    if rules.sheet is None:
        if not sheets:
            raise _Unadvised("文件中没有工作表。", code="not_xlsx")
        return next(iter(sheets))
    if rules.sheet not in sheets:
        raise ExcelRefused(
            f"找不到“{rules.sheet}”工作表：请使用本系统下载的模板填写，不要修改工作表名称。", code="wrong_layout"
        )
    return rules.sheet


def _refuse_other_formats(data: bytes) -> None:
    if len(data) > MAX_FILE_BYTES:
        raise ExcelRefused(f"文件太大（{len(data) // (1024 * 1024)} MB），上限为 {MAX_FILE_BYTES // (1024 * 1024)} MB。",
                           code="too_large")
    if data.startswith(OLE2_MAGIC):
        raise ExcelRefused("这是旧版 .xls 文件（或加了密码的文件）：请在 Excel 中去掉密码并“另存为” .xlsx 格式后再上传。",
                           code="not_xlsx")
    if data.startswith(b"%PDF"):
        raise _Unadvised("这是 PDF 文件，不是 Excel 表格。", code="not_xlsx")
    if not data.startswith(b"PK\x03\x04"):
        raise _Unadvised("文件不是 Excel 表格（.xlsx），可能是 CSV、文本或改了扩展名的其他文件。", code="not_xlsx")


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
            raise _Unadvised("文件含有外部链接（引用了其他工作簿），为安全起见不能导入。", code="external_links")


def _check_content_types(content_types: bytes) -> None:
    lowered = content_types.lower()
    if b"spreadsheetml" not in lowered and b"ms-excel" not in lowered:
        raise _Unadvised("文件不是 Excel 表格（可能是改了扩展名的 Word 或其他 Office 文件）。", code="not_xlsx")
    if b"sheet.binary" in lowered:
        raise ExcelRefused("这是 .xlsb 二进制工作簿，请在 Excel 中另存为 .xlsx 后再上传。", code="not_xlsx")
    if b"macroenabled" in lowered or b"vbaproject" in lowered:
        raise ExcelRefused("文件含有宏（.xlsm），为安全起见不能导入：请另存为不含宏的 .xlsx 再上传。", code="macros")
    if b"externallink" in lowered:
        raise _Unadvised("文件含有外部链接（引用了其他工作簿），为安全起见不能导入。", code="external_links")
    if b"spreadsheetml.sheet.main" not in lowered and b"spreadsheetml.template.main" not in lowered:
        raise _Unadvised("文件不是 Excel 工作簿（.xlsx）。", code="not_xlsx")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _parse_xml(part: bytes):
    try:
        return SafeElementTree.fromstring(part)
    except DefusedXmlException:
        raise _entities_refused() from None
    except SafeElementTree.ParseError:
        raise _Unadvised("文件内部的 XML 已损坏，无法读取。", code="unreadable") from None


def _workbook_part(data: bytes, by_name: dict[str, zipfile.ZipInfo]) -> str:
    """The workbook's part name, from the package's root relationships (xl/workbook.xml as a rule)."""
    info = by_name.get("_rels/.rels")
    if info is not None:
        for element in _parse_xml(_read_small_part(data, info)).iter():
            if _local(element.tag) == "Relationship" and element.get("Type", "").endswith("/officeDocument"):
                return element.get("Target", "").lstrip("/")
    return "xl/workbook.xml"


def _parse_workbook(part: bytes) -> tuple[dict[str, str | None], dict[str, int]]:
    """Sheet name → relationship id, in the workbook's order, and the workbook-level defined
    names that hold a whole number (a year)."""
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
    return _Unadvised("文件已损坏（压缩包内容与目录不符），无法读取。", code="not_xlsx")


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
    return _Unadvised("文件含有 XML 实体或文档类型声明（DOCTYPE），可能是恶意构造的文件，已拒绝。", code="xml_entities")


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
# A cell start tag that does not begin with its reference (Excel and openpyxl always write r
# first; without it, columns are counted).
_UNNAMED_CELL = re.compile(rb"<c(?:>|/>|\s+(?!r\s*=))|<[\w.-]+:c(?:>|/>|\s+(?!r\s*=))")

# The look at a whole piece of a sheet (a megabyte) for the rows it must walk: a pattern led by a
# literal ("<f") is searched for in C at full speed, but one led by a namespace prefix
# ("<[\w.-]+:", which Excel does not write) is tried at every "<" of the piece, and there are
# millions. So each pattern is split in two, and the prefixed half is tried only in a piece that
# holds its colon and letter at all (a match must): the same answer, in a third of the time. The
# row tags likewise (_row_tags).
_QUICK_LOOKS = (
    (None, re.compile(rb"<f[\s/>]")),
    (b":f", re.compile(rb"<[\w.-]+:f[\s/>]")),
    (None, re.compile(rb"<c(?:>|/>|\s+(?!r\s*=))")),
    (b":c", re.compile(rb"<[\w.-]+:c(?:>|/>|\s+(?!r\s*=))")),
)
_PLAIN_ROW_START = re.compile(rb"<row\b([^>]*)>")
_PLAIN_ROW_END = re.compile(rb"</row\s*>")


def _row_tags(piece: bytes) -> tuple[re.Pattern, re.Pattern]:
    """The patterns of a row's start and end tags for this piece: the prefixed forms too only
    when the piece holds one (":row")."""
    return (_ROW_START, _ROW_END) if b":row" in piece else (_PLAIN_ROW_START, _PLAIN_ROW_END)


def _formula_or_unnamed_cell(piece: bytes) -> bool:
    """_FORMULA or _UNNAMED_CELL found in the piece (see _QUICK_LOOKS)."""
    return any((marker is None or marker in piece) and pattern.search(piece) for marker, pattern in _QUICK_LOOKS)


@functools.lru_cache(maxsize=16)
def _past_the_limits(max_rows: int, max_columns: int) -> tuple[re.Pattern, re.Pattern]:
    """The two quick searches for a sheet's limits, written out from them.

    A cell past the last column (for 200, past GR: three letters, G followed by S-Z, or H-Z
    followed by any letter). Split so that each alternative starts with a literal and the search
    stays in C at full speed.

    A cell whose own reference has as many digits as the first row past the limit, or more,
    whatever its row element says (for 10,000 rows below the first: row 10,000 or below): calamine
    places a cell by its reference and builds one dense grid from A1 to the farthest cell, so a
    lone "A5000000" would cost gigabytes. Both only pick the pieces to look into cell by cell,
    which then compares the numbers exactly."""
    letters = get_column_letter(max_columns)
    alternatives = [f"[A-Za-z]{{{len(letters) + 1},3}}"] if len(letters) < 3 else []
    for position, letter in enumerate(letters):
        if letter == "Z":
            continue
        after = chr(ord(letter) + 1)
        same = "".join(f"[{earlier}{earlier.lower()}]" for earlier in letters[:position])
        alternatives.append(same + f"[{after}-Z{after.lower()}-z]" + "[A-Za-z]" * (len(letters) - position - 1))
    wide = re.compile(rb"""r\s*=\s*["']\$?(?:""" + "|".join(alternatives).encode() + rb""")\$?\d+["']""")
    digits = len(str(max_rows + 2))
    deep = re.compile(rb"""r\s*=\s*["']\$?[A-Za-z]{1,3}\$?\d{""" + str(digits).encode() + rb""",}["']""")
    return wide, deep


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters.upper():
        number = number * 26 + letter - 64
    return number


def _too_many_rows(max_rows: int) -> ExcelRefused:
    return ExcelRefused(f"数据超过 {max_rows} 行：一个文件最多导入 {max_rows} 名学生，请分成几个文件导入。",
                        code="too_many_rows")


class _SheetScanner:
    """Reads a sheet's XML as it is inflated, row by row, without building anything: a value
    past the caller's last row or column is refused at once, and the formulas are noted with
    their places. Rows are cut at their closing tags, so a tag is never split between two
    pieces."""

    def __init__(self, scan: _SheetScan, rules: SheetRules):
        self.scan = scan
        self.rules = rules
        self.max_rows = rules.max_rows
        self.max_columns = rules.max_columns
        self.wide_cell, self.deep_cell = _past_the_limits(rules.max_rows, rules.max_columns)
        self.buffer = b""
        self.row_number = 0

    def feed(self, chunk: bytes) -> None:
        # Only the new bytes (and a tag's length before them) can hold a new closing row tag:
        # what was kept from the last chunk had none.
        searched_from = max(len(self.buffer) - 64, 0)
        self.buffer += chunk
        last_end = None
        for last_end in _row_tags(self.buffer)[1].finditer(self.buffer, searched_from):
            pass
        if last_end is not None:
            self._rows(self.buffer[:last_end.end()])
            self.buffer = self.buffer[last_end.end():]

    def finish(self) -> None:
        self._rows(self.buffer)
        self.buffer = b""

    def _rows(self, piece: bytes) -> None:
        # A common piece (no formula, every cell named and within the last column) needs no look
        # inside its rows below the row limit: a few searches in C settle it, and only the row
        # numbers are followed in Python. Otherwise each row is walked cell by cell.
        suspicious = (_formula_or_unnamed_cell(piece) or self.wide_cell.search(piece) is not None
                      or self.deep_cell.search(piece) is not None)
        starts = list(_row_tags(piece)[0].finditer(piece))
        if not starts and suspicious:
            self._walk_cells(piece)  # cells outside any row: look at them all the same
        for index, start in enumerate(starts):
            attributes = start[start.lastindex]  # of whichever alternative matched
            number = _ROW_NUMBER.search(attributes)
            self.row_number = int(number.group(1)) if number else self.row_number + 1
            if attributes.rstrip().endswith(b"/"):
                continue  # <row r="7"/>: no cells
            if suspicious or self.row_number - 1 > self.max_rows:
                end = starts[index + 1].start() if index + 1 < len(starts) else len(piece)
                self._row(piece[start.end():end])

    def _row(self, content: bytes) -> None:
        if self.row_number - 1 > self.max_rows and _VALUE.search(content):
            raise _too_many_rows(self.max_rows)
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
            if row - 1 > self.max_rows and _VALUE.search(body):
                raise _too_many_rows(self.max_rows)
            if column > self.max_columns and _VALUE.search(body):
                raise _Unadvised(
                    f"表格超过 {self.max_columns} 列（第 {self.row_number} 行第 {column} 列有内容），"
                    f"不是{self.rules.expected}。",
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
        raise _Unadvised("文件无法读取，可能已损坏。", code="unreadable") from None


def _column_letter(column: int) -> str:
    return f"{get_column_letter(column)}列" if column else ""


def _formula_messages(formulas: list[tuple[int, int]], count: int, where: Callable[[int], str]) -> list[str]:
    messages = [
        f"第{row}行{where(column)}是公式，请粘贴为数值。" if row else "工作表中有公式，请粘贴为数值。"
        for row, column in formulas
    ]
    if count > len(formulas):
        messages.append(f"（共 {count} 个公式单元格，只列出前 {len(formulas)} 个。）")
    return messages


def _filled(value: Any) -> bool:
    return not (value is None or (isinstance(value, str) and not value.strip()))
