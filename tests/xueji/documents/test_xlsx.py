"""xueji/documents/xlsx.py: safe cells, and the one way the exports draw a table (read back from
the saved file, as Excel would open it)."""

from datetime import date, datetime
from io import BytesIO
from types import SimpleNamespace

from openpyxl import Workbook, load_workbook
from openpyxl.styles import PatternFill

from xueji.documents.xlsx import (
    DATE_FORMAT,
    TEXT_FORMAT,
    Table,
    put_row,
    safe_text,
    set_widths,
    title_stamp,
    write_header,
    write_title,
)


def saved(workbook: Workbook):
    """The workbook as a file and opened again: what the user gets."""
    output = BytesIO()
    workbook.save(output)
    return load_workbook(BytesIO(output.getvalue()))


def test_texts_that_excel_would_evaluate_stay_text():
    assert safe_text("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert [safe_text(t) for t in ("+1", "-1", "@a", "\tx", "张三")] == ["'+1", "'-1", "'@a", "'\tx", "张三"]
    workbook = Workbook()
    put_row(workbook.active, ["=1+1", 3, date(2026, 9, 1)])
    sheet = saved(workbook).active
    assert (sheet["A1"].value, sheet["A1"].data_type) == ("'=1+1", "s")
    assert sheet["B1"].value == 3 and sheet["C1"].value == datetime(2026, 9, 1)


def test_a_table_with_a_title_a_frozen_header_borders_formats_and_widths():
    workbook = Workbook()
    sheet = workbook.active
    stamp = SimpleNamespace(display_code="ABCD-2345", printed_by="王老师", printed_at=datetime(2026, 9, 1, 8, 30))
    write_title(sheet, "=花名册" + title_stamp(stamp), columns=3, height=30)
    table = Table(sheet, ["姓名", "学籍号", "出生日期"], row=2, widths=[10, 22, 12],
                  formats={"学籍号": TEXT_FORMAT, "出生日期": DATE_FORMAT}, landscape=True)
    table.add(["张小明", 220122201803141234, date(2018, 3, 14)])
    table.add(["合计", "", None], bold=True)
    table.note("核对：一致")

    sheet = saved(workbook).active
    title = sheet["A1"]
    assert title.value == "'=花名册　核验码：ABCD-2345　导出：王老师 2026-09-01 08:30"  # never a formula
    assert title.font.b and title.font.sz == 14 and title.alignment.horizontal == "center"
    assert [str(r) for r in sheet.merged_cells.ranges] == ["A1:C1"] and sheet.row_dimensions[1].height == 30

    for cell in sheet[2]:
        assert cell.font.b and cell.fill.fgColor.rgb == "00E0E0E0" and cell.border.left.style == "thin"
        assert (cell.alignment.horizontal, cell.alignment.vertical) == ("center", "center")
    assert sheet.freeze_panes == "A3" and sheet.print_title_rows == "$2:$2"  # repeated on every printed page
    assert [sheet.column_dimensions[letter].width for letter in "ABC"] == [10, 22, 12]
    assert sheet.page_setup.orientation == "landscape" and sheet.sheet_properties.pageSetUpPr.fitToPage

    name, number, born = sheet[3]
    assert all(cell.border.bottom.style == "thin" for cell in sheet[3])
    assert (number.value, number.data_type, number.number_format) == ("220122201803141234", "s", TEXT_FORMAT)
    assert born.number_format == DATE_FORMAT and born.value == datetime(2018, 3, 14)
    assert all(cell.font.b for cell in sheet[4]) and not name.font.b
    assert sheet["A6"].value == "核对：一致"


def test_a_template_header_keeps_its_own_look():
    workbook = Workbook()
    sheet = workbook.active
    cells = write_header(sheet, 1, ["学校代码", "姓名"], fill=PatternFill("solid", fgColor="DDEBF7"), border=None,
                         alignment=None)
    set_widths(sheet, [16, 14], number_format=TEXT_FORMAT)
    assert [cell.coordinate for cell in cells] == ["A1", "B1"]

    sheet = saved(workbook).active
    header = sheet["A1"]
    assert header.font.b and header.fill.fgColor.rgb == "00DDEBF7"
    assert header.border.left.style is None and header.alignment.horizontal is None
    assert sheet.column_dimensions["B"].width == 14 and sheet.column_dimensions["B"].number_format == TEXT_FORMAT
    assert sheet.freeze_panes is None  # a template freezes where it wants
