"""The year's enrolment template (新生信息采集模板), built with openpyxl.

Layout, kept as plain as the reader wants it: sheet 学生信息 has the headers in row 1 and one pupil
per row from row 2; 填写说明 lists every column's rule; the hidden sheet 代码表 holds the code
lists that the drop-downs point at, and the template's intake year. The year is also a defined
name (XUEJI_TEMPLATE_YEAR), which the reader checks: the national system refuses last year's
template, and so do we.
"""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.datavalidation import DataValidation

from enrollment.intake.columns import BOOL, CODE, COLUMNS, Column
from xueji.documents.xlsx import TEXT_FORMAT, set_widths, write_header

DATA_SHEET = "学生信息"
RULES_SHEET = "填写说明"
CODES_SHEET = "代码表"
YEAR_NAME = "XUEJI_TEMPLATE_YEAR"
# Where the year also sits on the hidden sheet (for a program that drops defined names on save).
YEAR_CELL = "A2"
MAX_DATA_ROWS = 10_000
FIRST_DATA_ROW = 2

# The header: bold (red where required) on light grey, a grey line under and beside each name.
REQUIRED_FONT = Font(bold=True, color="C00000")
HEADER_FILL = PatternFill("solid", fgColor="F2F2F2")
THIN = Side(style="thin", color="BFBFBF")
HEADER_BORDER = Border(bottom=THIN, right=THIN)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)


def build_template(intake_year: int) -> bytes:
    """The .xlsx template of ``intake_year``'s intake, as bytes to send to the browser."""
    workbook = Workbook()
    data_sheet = workbook.active
    data_sheet.title = DATA_SHEET
    codes_sheet = workbook.create_sheet(CODES_SHEET)
    rules_sheet = workbook.create_sheet(RULES_SHEET, index=1)

    option_ranges = _write_code_lists(codes_sheet, intake_year)
    _write_data_sheet(data_sheet, option_ranges)
    _write_rules_sheet(rules_sheet, intake_year)
    workbook.defined_names[YEAR_NAME] = DefinedName(YEAR_NAME, attr_text=str(intake_year))
    codes_sheet.sheet_state = "hidden"
    workbook.active = 0

    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _options_key(column: Column):
    """Columns sharing a code table share one list on the hidden sheet."""
    return "bool" if column.kind == BOOL else column.codes


def _write_code_lists(sheet, intake_year: int) -> dict:
    """Column A: the year; then one column per code table, its name in row 1 and the options
    below. Returns the absolute range of each table's options, for the drop-downs."""
    sheet["A1"] = "模板年份"
    sheet[YEAR_CELL] = intake_year
    ranges = {}
    next_column = 2
    for column in COLUMNS:
        key = _options_key(column)
        if column.kind not in (CODE, BOOL) or key in ranges:
            continue
        letter = get_column_letter(next_column)
        sheet[f"{letter}1"] = column.header
        options = column.options()
        for row, option in enumerate(options, start=2):
            sheet[f"{letter}{row}"] = option
        ranges[key] = f"{quote_sheetname(CODES_SHEET)}!${letter}$2:${letter}${len(options) + 1}"
        sheet.column_dimensions[letter].width = 24
        next_column += 1
    return ranges


def _write_data_sheet(sheet, option_ranges: dict) -> None:
    last_row = FIRST_DATA_ROW + MAX_DATA_ROWS - 1
    headers = write_header(sheet, 1, [column.display_header for column in COLUMNS], fill=HEADER_FILL,
                           border=HEADER_BORDER, alignment=HEADER_ALIGNMENT)
    # Every column is text: Excel then keeps ID numbers, phone numbers, codes with leading
    # zeros and dates exactly as typed (no 1.1E+17, no lost 0, no date serials).
    set_widths(sheet, [column.width for column in COLUMNS], number_format=TEXT_FORMAT)
    for index, (column, cell) in enumerate(zip(COLUMNS, headers, strict=True), start=1):
        letter = get_column_letter(index)
        if column.required:
            cell.font = REQUIRED_FONT
        # The rule on hover, so nobody has to switch to 填写说明 for it.
        comment = Comment(column.note, "学籍系统")
        comment.width, comment.height = 240, 90
        cell.comment = comment

        if column.kind in (CODE, BOOL):
            validation = DataValidation(
                type="list",
                formula1=option_ranges[_options_key(column)],  # no "=": OOXML stores it bare
                allow_blank=True,
                showDropDown=False,  # (sic) False shows the arrow
                showErrorMessage=True,
                # A warning, not a stop: a typed code ("01") or label ("汉族") is read correctly too.
                errorStyle="warning",
                errorTitle="不在下拉列表中",
                error="请从下拉列表中选择；也可以只填代码或名称。",
                showInputMessage=True,
                promptTitle=column.header,
                prompt=column.note[:250],  # Excel's limit for an input message
            )
            validation.add(f"{letter}{FIRST_DATA_ROW}:{letter}{last_row}")
            sheet.add_data_validation(validation)
    sheet.row_dimensions[1].height = 36
    sheet.freeze_panes = "B2"  # the header row and the name column stay in view


def _write_rules_sheet(sheet, intake_year: int) -> None:
    sheet["A1"] = f"{intake_year}年新生学籍信息采集模板 填写说明"
    sheet["A1"].font = Font(bold=True, size=14)
    general = [
        f"1. 本模板只用于{intake_year}年新生建籍；其他年份的模板不能导入。",
        "2. 请在“学生信息”工作表中填写，第 1 行是表头，每名学生一行，从第 2 行开始；不要改动表头和工作表名称。",
        "3. 标红并带 * 的列必须填写；有两位监护人的，第二位监护人的各列也都必须填写。",
        "4. 各列已设为文本格式：身份证件号、电话号码请按文本输入；从别处复制时请用“选择性粘贴—数值”，不要粘贴公式。",
        f"5. 不得使用公式、宏和外部链接；一个文件最多 {MAX_DATA_ROWS} 名学生。",
        "6. 有错误的文件会整份退回，并附带标注了错误单元格的文件，改正后重新导入即可。",
    ]
    for row, line in enumerate(general, start=2):
        sheet.cell(row=row, column=1, value=line)
    header_row = len(general) + 3
    write_header(sheet, header_row, ["列名", "是否必填", "填写规则", "可选值"], fill=HEADER_FILL, border=None, alignment=None)
    for row, column in enumerate(COLUMNS, start=header_row + 1):
        sheet.cell(row=row, column=1, value=column.header)
        required = sheet.cell(row=row, column=2, value="必填" if column.required else "选填")
        if column.required:
            required.font = Font(color="C00000")
        sheet.cell(row=row, column=3, value=column.note).alignment = Alignment(wrap_text=True, vertical="top")
        options = column.options()
        shown = "、".join(options) if len(options) <= 20 else "见下拉列表（共 %d 项）" % len(options)
        sheet.cell(row=row, column=4, value=shown).alignment = Alignment(wrap_text=True, vertical="top")
    set_widths(sheet, [26, 10, 60, 60])
