"""A monthly report as its page and its PDF show it: the stored figures laid out in rows (the
templates cannot look numbers up by grade themselves), 学籍号 masked for those who see records
masked. Printed through ``xueji.documents.printing.print_pdf`` (one WeasyPrint render per report, A4
landscape, the verification code and who printed it in the footer, recorded and audited)."""

from reports.models import MonthlyReport
from reports.monthly import grade_label
from xueji.accounts.models import User
from xueji.documents.printing import PrintedPdf, PrintedPupil, print_pdf
from xueji.identity import mask_student_number


def report_tables(report: MonthlyReport, *, full_numbers: bool) -> dict:
    figures = report.figures
    grades = [str(g) for g in figures["grades"]]
    roll = []
    for side, label, day in (("start", "月初", figures["period"]["start"]), ("end", "月末", figures["period"]["end"])):
        data = figures[side]
        rows = []
        for status in figures["statuses"]:
            counts = data["by_status"].get(status["code"], {"total": 0, "by_grade": {}})
            rows.append({"label": status["label"], "cells": [counts["by_grade"].get(g, 0) for g in grades],
                         "total": counts["total"]})
        rows.append({"label": "在籍合计", "cells": [data["by_grade"].get(g, 0) for g in grades], "total": data["total"],
                     "strong": True})
        rows.append({"label": "借读（不计入在籍）", "cells": [data.get("visiting_by_grade", {}).get(g, 0) for g in grades],
                     "total": data["visiting"], "muted": True})
        roll.append({"label": label, "day": day, "rows": rows})
    changes = [
        {"label": c["label"], "cells": [c["by_grade"].get(g, 0) for g in grades], "count": c["count"], "in": c["in"],
         "out": c["out"]}
        for c in figures["changes"]
    ]
    change_total = {"cells": [sum(c["by_grade"].get(g, 0) for c in figures["changes"]) for g in grades],
                    **figures["totals"]}
    details = [
        {**d, "student_number": d["student_number"] if full_numbers else mask_student_number(d["student_number"]),
         "grade_label": grade_label(d["grade"]), "delta_label": {1: "增加", -1: "减少"}.get(d["delta"], "")}
        for d in figures.get("details", [])
    ]
    previous_end = figures.get("previous_end")
    return {
        "report": report,
        "figures": figures,
        "grade_labels": [grade_label(g) for g in grades],
        "roll": roll,
        "changes": changes,
        "change_total": change_total,
        "check": figures["check"],
        "by_unit": figures.get("by_unit", []),
        "requests": figures["requests"],
        "details": details,
        "has_details": "details" in figures,
        "previous_end": previous_end,
        "previous_differs": previous_end is not None and previous_end != figures["check"]["start"],
    }


def report_title(report: MonthlyReport) -> str:
    return f"{report.unit.name} {report.month_label}学籍变动月报（第{report.version}版）"


def printed_pupils(tables: dict) -> list[PrintedPupil]:
    """The pupils the report names (its list of changes), as printed, once each."""
    seen = {}
    for detail in tables["details"]:
        seen.setdefault(detail["pupil_id"], PrintedPupil(detail["pupil_id"], detail["name"], detail["student_number"]))
    return list(seen.values())


def monthly_report_pdf(report: MonthlyReport, *, user: User, full_numbers: bool, audit_action: str) -> PrintedPdf:
    """The report printed by ``user``: recorded under its verification code and audited."""
    tables = report_tables(report, full_numbers=full_numbers)
    return print_pdf(
        user=user, kind="monthly_report", title=report_title(report), template="reports/monthly_report.html",
        context=tables, unit=report.unit, subject=f"{report.month_label}（第{report.version}版）",
        pupils=printed_pupils(tables), audit_action=audit_action, audit_obj=report.unit,
    )
