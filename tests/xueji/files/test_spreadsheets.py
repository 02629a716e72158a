"""The safe reader of every uploaded spreadsheet, on its own: the hostile-file corpus
(tests/enrollment/corpus/) through it, the caller's rules (which sheet, its limits, formulas,
the other sheets it reads, its words), and what it hands back. No database."""

import io
import re
import struct
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

from tests.enrollment.corpus.make_corpus import EXPECTED, HOSTILE_FILES, expected_refusal, part, rezip
from xueji.files.spreadsheets import ExcelRefused, SheetRules, read_spreadsheet

CORPUS = Path(__file__).resolve().parents[2] / "enrollment" / "corpus"
SHEET_PART = "xl/worksheets/sheet1.xml"
FIRST_SHEET = SheetRules()


def workbook_bytes(*sheets: tuple[str, dict[str, object]], defined: dict[str, str] | None = None) -> bytes:
    """A workbook of the named sheets, each with its cells (coordinate → value)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, cells in sheets:
        sheet = workbook.create_sheet(title)
        for coordinate, value in cells.items():
            sheet[coordinate] = value
    for name, value in (defined or {}).items():
        workbook.defined_names[name] = DefinedName(name, attr_text=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def with_row(data: bytes, row_xml: bytes, sheet_part: str = SHEET_PART) -> bytes:
    """The workbook with a row written into a sheet's XML by hand, as a hostile writer would."""
    sheet = part(data, sheet_part)
    if b"</sheetData>" in sheet:
        sheet = sheet.replace(b"</sheetData>", row_xml + b"</sheetData>")
    else:
        sheet = sheet.replace(b"<sheetData/>", b"<sheetData>" + row_xml + b"</sheetData>")
    return rezip(data, replace={sheet_part: sheet})


def refusal(data: bytes, rules: SheetRules = FIRST_SHEET) -> ExcelRefused:
    with pytest.raises(ExcelRefused) as caught:
        read_spreadsheet(data, rules).rows()
    return caught.value


# --- the corpus -----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_corpus_file_is_refused_with_its_reason(name):
    code, message = expected_refusal(name)
    error = refusal((CORPUS / name).read_bytes())
    assert error.code == code
    assert any(message in text for text in error.messages), error.messages


@pytest.mark.parametrize("name", [name for name in EXPECTED if name not in HOSTILE_FILES])
def test_files_that_are_only_another_layout_are_read(name):
    """A sheet of another name, other headers, another year: honest files, the callers' to judge."""
    spreadsheet = read_spreadsheet((CORPUS / name).read_bytes(), FIRST_SHEET)
    rows = spreadsheet.rows()
    assert rows[0][0] == "*姓名"
    assert spreadsheet.sheet_name in ("学生信息", "Sheet1")


def test_the_formula_is_placed_by_row_and_column_letter():
    error = refusal((CORPUS / "formula.xlsx").read_bytes())
    assert error.messages == ["第5行D列是公式，请粘贴为数值。"]


# --- which sheet ----------------------------------------------------------------------------------

def test_the_first_sheet_is_read_unless_one_is_named():
    data = workbook_bytes(("名单", {"A1": "学校代码", "B2": "王小雨"}), ("说明", {"A1": "填写说明"}))
    first = read_spreadsheet(data, FIRST_SHEET)
    assert first.sheet_name == "名单"
    assert first.rows() == [["学校代码", ""], ["", "王小雨"]]
    assert read_spreadsheet(data, SheetRules(sheet="说明")).rows() == [["填写说明"]]


def test_a_named_sheet_that_is_missing_refuses_the_file():
    error = refusal(workbook_bytes(("Sheet1", {"A1": "x"})), SheetRules(sheet="学生信息"))
    assert error.code == "wrong_layout"
    assert error.messages == ["找不到“学生信息”工作表：请使用本系统下载的模板填写，不要修改工作表名称。"]


def test_positions_are_excels_whatever_the_first_filled_cell():
    rows = read_spreadsheet(workbook_bytes(("名单", {"C3": "x", "D4": 5})), FIRST_SHEET).rows()
    assert rows[2][2] == "x" and rows[3][3] == 5
    assert rows[0] == ["", "", "", ""]


# --- the caller's limits --------------------------------------------------------------------------

def rows_of(count: int) -> bytes:
    return workbook_bytes(("名单", {"A1": "姓名", **{f"A{row}": "王小雨" for row in range(2, count + 2)}}))


def test_rows_are_counted_below_the_first_up_to_the_callers_limit():
    assert len(read_spreadsheet(rows_of(5), SheetRules(max_rows=5)).rows()) == 6
    error = refusal(rows_of(6), SheetRules(max_rows=5))
    assert error.code == "too_many_rows"
    assert error.messages == ["数据超过 5 行：一个文件最多导入 5 名学生，请分成几个文件导入。"]


@pytest.mark.parametrize("reference, refused", [("A7", False), ("A8", True), ("A70", True), ("$A$1000000", True)])
def test_a_far_cell_is_found_by_its_own_reference(reference, refused):
    """Inside row element 3, a cell whose reference says row 8 is past 1 + 6 rows."""
    data = with_row(workbook_bytes(("名单", {"A1": "姓名"})),
                    f'<row r="3"><c r="{reference}" t="inlineStr"><is><t>x</t></is></c></row>'.encode())
    rules = SheetRules(max_rows=6)
    if refused:
        assert refusal(data, rules).code == "too_many_rows"
    else:
        assert read_spreadsheet(data, rules).rows()[6][0] == "x"


def test_empty_formatted_cells_past_the_limit_do_not_count():
    data = with_row(rows_of(2), b'<row r="50"><c r="A50" s="1"/></row>')
    assert len(read_spreadsheet(data, SheetRules(max_rows=5)).rows()) == 3


@pytest.mark.parametrize("limit", [6, 26, 30, 52, 200])
def test_columns_past_the_callers_limit_are_refused(limit):
    last = get_column_letter(limit)
    beyond = get_column_letter(limit + 1)
    rules = SheetRules(max_columns=limit, expected="录取名单模板", advice="请重新下载模板。")
    assert read_spreadsheet(workbook_bytes(("名单", {f"{last}2": "x"})), rules).rows()[1][limit - 1] == "x"
    error = refusal(workbook_bytes(("名单", {f"{beyond}2": "x"})), rules)
    assert error.code == "too_many_columns"
    assert error.messages == [
        f"表格超过 {limit} 列（第 2 行第 {limit + 1} 列有内容），不是录取名单模板。请重新下载模板。",
    ]


def test_columns_without_references_are_counted():
    cells = b'<c t="inlineStr"><is><t>x</t></is></c>' * 7
    data = with_row(workbook_bytes(("名单", {"A1": "姓名"})), b"<row>" + cells + b"</row>")
    assert refusal(data, SheetRules(max_columns=6)).code == "too_many_columns"
    assert len(read_spreadsheet(data, SheetRules(max_columns=7)).rows()[1]) == 7


MAIN_NAMESPACE = b"http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def prefixed_row(row: int, cells: bytes) -> bytes:
    """A row whose elements carry a namespace prefix declared on the spot (legal XML that Excel
    never writes): the reader's quick look must see through it as through the plain tags."""
    return b'<x:row xmlns:x="' + MAIN_NAMESPACE + b'" r="' + str(row).encode() + b'">' + cells + b"</x:row>"


@pytest.mark.parametrize("cells, rules, code", [
    (b'<x:c r="B2"><x:f>1+1</x:f><x:v>2</x:v></x:c>', FIRST_SHEET, "formulas"),
    (b'<x:c r="A2" t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c>', SheetRules(max_rows=0), "too_many_rows"),
    (b'<x:c t="inlineStr"><x:is><x:t>x</x:t></x:is></x:c>' * 7, SheetRules(max_columns=6), "too_many_columns"),
])
def test_prefixed_rows_cells_and_formulas_are_seen_as_the_plain_ones(cells, rules, code):
    data = with_row(workbook_bytes(("名单", {"A1": "姓名"})), prefixed_row(2, cells))
    error = refusal(data, rules)
    assert error.code == code
    if code == "formulas":
        assert error.messages == ["第2行B列是公式，请粘贴为数值。"]


# --- formulas -------------------------------------------------------------------------------------

def formulas(count: int) -> bytes:
    return workbook_bytes(("名单", {"A1": "姓名", **{f"B{row}": f"=1+{row}" for row in range(2, count + 2)}}))


def test_formulas_are_refused_up_to_ten_listed():
    error = refusal(formulas(12))
    assert error.code == "formulas"
    assert error.messages[0] == "第2行B列是公式，请粘贴为数值。"
    assert len(error.messages) == 11
    assert error.messages[-1] == "（共 12 个公式单元格，只列出前 10 个。）"


def test_formulas_are_handed_back_when_the_caller_names_them():
    spreadsheet = read_spreadsheet(formulas(2), SheetRules(refuse_formulas=False))
    assert spreadsheet.formulas == [(2, 2), (3, 2)] and spreadsheet.formula_count == 2
    assert spreadsheet.formula_messages(lambda column: "“成绩”列") == [
        "第2行“成绩”列是公式，请粘贴为数值。", "第3行“成绩”列是公式，请粘贴为数值。",
    ]


def test_formulas_of_other_sheets_are_not_the_readers_business():
    data = workbook_bytes(("名单", {"A1": "姓名"}), ("代码表", {"A1": "=1+1"}))
    assert read_spreadsheet(data, SheetRules(also_limited=("代码表",))).formula_count == 0


# --- other sheets the caller reads ----------------------------------------------------------------

def test_other_sheets_are_read_only_when_held_to_the_limits():
    data = workbook_bytes(("名单", {"A1": "姓名"}), ("代码表", {"A1": "年份", "A2": 2026}))
    spreadsheet = read_spreadsheet(data, SheetRules(also_limited=("代码表", "不存在")))
    assert spreadsheet.other_sheet_rows("代码表", nrows=2) == [["年份"], [2026]]
    assert spreadsheet.other_sheet_rows("不存在", nrows=2) is None
    with pytest.raises(ValueError):
        read_spreadsheet(data, FIRST_SHEET).other_sheet_rows("代码表", nrows=2)


def test_a_sheet_held_to_the_limits_may_not_ask_for_a_huge_grid():
    data = with_row(workbook_bytes(("名单", {"A1": "姓名"}), ("代码表", {"A1": 1})),
                    b'<row r="4000000"><c r="A4000000"><v>1</v></c></row>', "xl/worksheets/sheet2.xml")
    assert refusal(data, SheetRules(also_limited=("代码表",))).code == "too_many_rows"
    # A sheet nobody reads is not calamine's to load: no limit applies to it.
    assert read_spreadsheet(data, FIRST_SHEET).rows() == [["姓名"]]


def test_defined_names_holding_a_number_are_handed_back():
    data = workbook_bytes(("名单", {"A1": "姓名"}), defined={"XUEJI_TEMPLATE_YEAR": "2026", "区域": "名单!$A$1"})
    assert read_spreadsheet(data, FIRST_SHEET).defined_names == {"XUEJI_TEMPLATE_YEAR": 2026}


# --- the caller's words ---------------------------------------------------------------------------

def test_refusals_end_with_the_callers_advice_where_they_need_one():
    rules = SheetRules(advice="请从国家学籍系统重新导出。")
    not_xlsx = refusal((CORPUS / "not_a_zip.xlsx").read_bytes(), rules)
    assert not_xlsx.messages == [
        "文件不是 Excel 表格（.xlsx），可能是 CSV、文本或改了扩展名的其他文件。请从国家学籍系统重新导出。",
    ]
    external_link = refusal((CORPUS / "external_link.xlsx").read_bytes(), rules)
    assert external_link.messages[0].endswith("为安全起见不能导入。请从国家学籍系统重新导出。")
    # A refusal that says what to do itself gets no advice after it.
    assert refusal((CORPUS / "zip_bomb_huge.xlsx").read_bytes(), rules).messages[0].endswith("已拒绝。")


# --- damaged zips ---------------------------------------------------------------------------------

def test_a_zip_asking_for_an_unknown_version_is_refused_not_a_crash():
    data = bytearray(workbook_bytes(("名单", {"A1": "姓名"})))
    directory = data.index(b"PK\x01\x02")
    struct.pack_into("<H", data, directory + 6, 0x0962)  # "version needed to extract": 9.8
    error = refusal(bytes(data))
    assert error.code == "not_xlsx"


def test_a_sheet_compressed_otherwise_than_deflate_is_refused():
    data = workbook_bytes(("名单", {"A1": "姓名"}))
    error = refusal(rezip(data, compress_type={SHEET_PART: zipfile.ZIP_BZIP2}))
    assert error.code == "not_xlsx"
    assert "压缩方式" in error.messages[0]


def test_a_lying_directory_is_caught_after_its_declared_size():
    """The sheet inflates to 3 MB while the directory says 60 KB (zip_bomb_lying.xlsx)."""
    data = (CORPUS / "zip_bomb_lying.xlsx").read_bytes()
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.getinfo(SHEET_PART).file_size == 60 * 1024
    error = refusal(data)
    assert error.code == "zip_bomb"
    assert re.search("比声明的大得多", error.messages[0])
