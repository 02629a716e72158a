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
from xueji.pupils.national_form import ITEMS_BY_KEY, NOT_IN_TEMPLATE
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
        "2. 请在“学生信息”工作表中填写，第 1 行是表头，每名学生一行，从第 2 行开始；不要改动表头和工作表名称。"
        "各列的顺序和名称与全国学籍系统的《学生基本信息表》一致，“序号”是该表的项目序号。",
        "3. 标红并带 * 的列必须填写。“全国系统必填”标 ★ 的是全国学籍系统要求的项目：其中不带 * 的，"
        "不填时按下面第 5 条补齐，或在建籍后补录。",
        "4. 家庭成员：“成员1”一般是监护人，必须填写；有第二位家庭成员的填写“成员2”，没有则整组留空。"
        "“是否监护人”不填按“是”；是监护人的成员，该组的必填项都要填写；不是监护人的成员（如同住的祖父母）"
        "只需填写关系和姓名。至少要有一位家庭成员是监护人。",
        "5. 不填时的处理：通信地址、家庭地址不填按现住址；家庭成员的现住址不填按学生的现住址；"
        "联系电话不填按成员1的联系电话；是否需要乘坐校车不填按上下学距离（超过 2 公里为“是”）；"
        "政治面貌不填按“群众”；其他“是否”项不填按“否”。",
        "6. 各列已设为文本格式：身份证件号、电话号码请按文本输入；从别处复制时请用“选择性粘贴—数值”，不要粘贴公式。",
        f"7. 不得使用公式、宏和外部链接；一个文件最多 {MAX_DATA_ROWS} 名学生。",
        "8. 有错误的文件会整份退回，并附带标注了错误单元格的文件，改正后重新导入即可。",
    ]
    for row, line in enumerate(general, start=2):
        sheet.cell(row=row, column=1, value=line)
    header_row = len(general) + 3
    write_header(sheet, header_row, RULES_HEADERS, fill=HEADER_FILL, border=None, alignment=None)
    top = Alignment(wrap_text=True, vertical="top")
    row = header_row
    for row, column in enumerate(COLUMNS, start=header_row + 1):
        sheet.cell(row=row, column=1, value=item_number(column))
        sheet.cell(row=row, column=2, value=column.header)
        required = sheet.cell(row=row, column=3, value="必填" if column.required else "选填")
        if column.required:
            required.font = Font(color="C00000")
        sheet.cell(row=row, column=4, value="★" if column.national_required else None)
        sheet.cell(row=row, column=5, value=column.note).alignment = top
        options = column.options()
        shown = "、".join(options) if len(options) <= 20 else "见下拉列表（共 %d 项）" % len(options)
        sheet.cell(row=row, column=6, value=shown).alignment = top
    # The national items that are not columns: a registrar comparing with the national form
    # should not wonder where 照片 or 班级 went.
    row += 2
    sheet.cell(row=row, column=1, value=NOT_IN_TEMPLATE_TITLE).font = Font(bold=True)
    for key, reason in NOT_IN_TEMPLATE.items():
        row += 1
        item = ITEMS_BY_KEY[key]
        sheet.cell(row=row, column=1, value=item.number)
        sheet.cell(row=row, column=2, value=item.label)
        sheet.cell(row=row, column=4, value="★" if item.required else None)
        sheet.cell(row=row, column=5, value=reason).alignment = top
    set_widths(sheet, [8, 26, 10, 12, 60, 60])


# The table of 填写说明, one row per column of 学生信息.
RULES_HEADERS = ["序号", "列名", "是否必填", "全国系统必填", "填写规则", "可选值"]
NOT_IN_TEMPLATE_TITLE = "全国《学生基本信息表》中以下项目不在本模板中："


def item_number(column: Column) -> int | str | None:
    """The 序号 of a column in 填写说明: the national item's number, "成员1"/"成员2" for the family
    block, blank for 户籍地址 (ours, not a national item)."""
    if column.guardian_position:
        return f"成员{column.guardian_position}"
    return column.item
