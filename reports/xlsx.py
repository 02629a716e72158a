"""The spreadsheets of reports/: the statistics of a unit and a monthly report, every table of the
page on a sheet of its own. Exported through ``xueji.documents.printing.export_xlsx``: each sheet's title
line carries the verification code, who exported it and when (the ``stamp``).

Every cell is written through ``xueji.documents.xlsx.put``: numbers are numbers, texts are string
cells that Excel never evaluates (formula injection).
"""

from io import BytesIO

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

from reports.monthly import grade_label
from xueji.documents.xlsx import TEXT_FORMAT, Table, safe_text, title_stamp, write_title
from xueji.identity import mask_student_number

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
_TITLE_FONT = Font(size=13, bold=True)
_HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)


def _table_sheet(workbook: Workbook, name: str, title: str, headers: list[str], widths: list[int] | None = None,
                 *, stamp=None, formats: dict[str, str] | None = None) -> Table:
    """A sheet of its own for one table (xueji.documents.xlsx.Table): a title line with the stamp,
    the header row frozen, rows with thin borders; printed landscape."""
    sheet = workbook.create_sheet(safe_text(name)[:31])
    write_title(sheet, title + title_stamp(stamp), columns=len(headers), font=_TITLE_FONT, alignment=None, height=24)
    return Table(sheet, headers, row=2, widths=widths or [], formats=formats, header_alignment=_HEADER_ALIGNMENT,
                 landscape=True)


def _new_workbook() -> Workbook:
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def _bytes(workbook: Workbook) -> bytes:
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


# Statistics -------------------------------------------------------------------------------------

def statistics_xlsx(stats: dict, stamp=None) -> bytes:
    """Every table of a unit's statistics page: the breakdown, by grade, and each dimension."""
    workbook = _new_workbook()
    unit, as_of = stats["unit"]["name"], stats["as_of"]
    headers = [header for _key, header in stats["columns"]]
    first = {"class": "班级", "school": "学校", "child": "单位"}[stats["level"]]
    sheet = _table_sheet(workbook, stats["breakdown_title"], f"{unit} 在籍学生统计（{stats['breakdown_title']}，{as_of}）",
                         [first, *headers], [28, *[10] * len(headers)], stamp=stamp)
    for line in stats["breakdown"]:
        sheet.add([line.label, *line.values()])
    sheet.add([stats["total"].label, *stats["total"].values()], bold=True)

    sheet = _table_sheet(workbook, "按年级", f"{unit} 在籍学生统计（按年级，{as_of}）", ["年级", *headers],
                         [12, *[10] * len(headers)], stamp=stamp)
    for line in stats["by_grade"]:
        sheet.add([line.label, *line.values()])
    sheet.add([stats["total"].label, *stats["total"].values()], bold=True)

    for dimension in stats["dimensions"]:
        sheet = _table_sheet(workbook, dimension["title"][:31], f"{unit} 在籍学生统计（{dimension['title']}，{as_of}）",
                             [dimension["title"], "人数", "占比"], [24, 10, 10], stamp=stamp)
        whole = sum(item["count"] for item in dimension["items"])
        for item in dimension["items"]:
            share = f"{item['count'] * 100 / whole:.1f}%" if whole else "—"
            sheet.add([item["label"], item["count"], share])
        sheet.add(["合计", whole, "100.0%" if whole else "—"], bold=True)
    return _bytes(workbook)


# Monthly report --------------------------------------------------------------------------------

def monthly_report_xlsx(report, *, full_numbers: bool, stamp=None) -> bytes:
    """A monthly report's tables: the roll at both ends and the changes by grade, the check, the
    breakdown by unit, the approved requests and (schools, central schools) the changes by pupil.
    学籍号 are masked unless ``full_numbers``."""
    figures = report.figures
    workbook = _new_workbook()
    unit = figures["unit"]["name"]
    title = f"{unit} {report.month_label}学籍变动月报（第{report.version}版）"
    grades = [str(g) for g in figures["grades"]]
    grade_headers = [grade_label(g) for g in grades]

    sheet = _table_sheet(workbook, "月初月末人数", f"{title}：月初、月末在籍人数",
                         ["时点", "学籍状态", *grade_headers, "合计"], [10, 14, *[10] * len(grades), 10], stamp=stamp)
    for side, label in (("start", f"月初（{figures['period']['start']}）"), ("end", f"月末（{figures['period']['end']}）")):
        data = figures[side]
        for status in figures["statuses"]:
            counts = data["by_status"].get(status["code"], {"total": 0, "by_grade": {}})
            sheet.add([label, status["label"], *[counts["by_grade"].get(g, 0) for g in grades], counts["total"]])
        sheet.add([label, "在籍合计", *[data["by_grade"].get(g, 0) for g in grades], data["total"]], bold=True)
        sheet.add([label, "借读（不计入在籍）", *[data.get("visiting_by_grade", {}).get(g, 0) for g in grades], data["visiting"]])

    sheet = _table_sheet(workbook, "本月变动", f"{title}：本月学籍变动（按类别和年级）",
                         ["变动类别", *grade_headers, "合计", "增加在籍", "减少在籍"], [22, *[10] * len(grades), 10, 10, 10], stamp=stamp)
    for change in figures["changes"]:
        sheet.add([change["label"], *[change["by_grade"].get(g, 0) for g in grades], change["count"], change["in"],
                   change["out"]])
    totals = figures["totals"]
    sheet.add(["合计", *[sum(c["by_grade"].get(g, 0) for c in figures["changes"]) for g in grades], totals["changes"],
               totals["in"], totals["out"]], bold=True)
    check = figures["check"]
    sheet.note(f"核对：月初 {check['start']} + 增加 {check['in']} − 减少 {check['out']} = {check['expected_end']}；"
               f"月末 {check['end']}；{'一致' if check['ok'] else '不一致，相差 ' + str(check['difference'])}")

    if figures.get("by_unit"):
        sheet = _table_sheet(workbook, "分单位", f"{title}：分单位", ["单位", "月初", "增加", "减少", "月末", "核对"],
                             [28, 10, 10, 10, 10, 10], stamp=stamp)
        for line in figures["by_unit"]:
            sheet.add([line["name"], line["start"], line["in"], line["out"], line["end"], "一致" if line["ok"] else "不一致"])

    sheet = _table_sheet(workbook, "审批事项", f"{title}：本月审批通过的申请", ["申请类型", "件数"], [24, 10], stamp=stamp)
    for item in figures["requests"]:
        sheet.add([item["label"], item["count"]])

    if "details" in figures:
        sheet = _table_sheet(workbook, "变动明细", f"{title}：变动明细",
                             ["日期", "姓名", "学籍号", "年级", "变动类别", "增减", "转出/转入学校", "说明"],
                             [12, 10, 24, 10, 16, 8, 24, 40], stamp=stamp, formats={"学籍号": TEXT_FORMAT})
        for detail in figures["details"]:
            number = detail["student_number"] if full_numbers else mask_student_number(detail["student_number"])
            delta = {1: "增加", -1: "减少"}.get(detail["delta"], "")
            sheet.add([detail["date"], detail["name"], number, grade_label(detail["grade"]), detail["label"], delta,
                       detail["other_school"], detail["reason"]])
    return _bytes(workbook)
