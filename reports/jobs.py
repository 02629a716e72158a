"""The heavy documents of reports/, printed by a worker (xueji/documents/jobs.py): a unit's
statistics spreadsheet (a county's or a city's counts every pupil under it) and a monthly
report's PDF and spreadsheet (a county's lists every change of the month)."""

import hashlib

from django.db.models import Count, Max, Q
from django.utils import timezone

from reports import selectors
from reports.printing import monthly_report_pdf, printed_pupils, report_tables, report_title
from reports.statistics import unit_statistics
from reports.xlsx import monthly_report_xlsx, statistics_xlsx
from xueji.accounts.models import Unit
from xueji.accounts.scoping import memberships_of
from xueji.documents.jobs import DocumentJobKind, JobTarget
from xueji.documents.printing import export_xlsx
from xueji.pupils.models import ProblemRecord, SchoolClass
from xueji.pupils.models.pupils import PupilEvent


class StatisticsXlsxJob(DocumentJobKind):
    """导出统计表: a unit's statistics as a spreadsheet. Params: {"unit": id}. Kept per user for
    the day while no pupil, problem record, class or unit changed anywhere: a watermark of the
    whole tables (their latest history event, ids and counts), which cannot miss a pupil's change
    under the unit (every insert, update and delete of a pupil writes a history event); a change
    elsewhere only prints the spreadsheet again. A unit renamed shows in the next day's."""

    code = "statistics_xlsx"
    label = "统计表"
    file_format = "xlsx"

    def _unit(self, user, params):
        selectors.require_report_role(user)
        return selectors.get_report_unit_for_user(user, params.get("unit"))

    def target(self, user, params):
        unit = self._unit(user, params)
        return JobTarget(unit=unit, title=f"{unit.name}在籍学生统计")

    def fingerprint(self, user, params, target):
        parts = [
            timezone.localdate().isoformat(), target.unit.pk,
            sorted((m.role, m.unit_id) for m in memberships_of(user)),
            PupilEvent.objects.aggregate(last=Max("pgh_id"))["last"],
            sorted(ProblemRecord.objects.aggregate(n=Count("pk"), last=Max("pk"), resolved=Max("resolved_at"),
                                                   open=Count("pk", filter=Q(resolution=""))).items()),
            sorted(SchoolClass.objects.aggregate(n=Count("pk"), last=Max("pk")).items()),
            sorted(Unit.objects.aggregate(n=Count("pk"), last=Max("pk")).items()),
        ]
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def build(self, user, params, target, progress):
        unit = self._unit(user, params)
        stats = unit_statistics(user, unit)
        progress(1, 2)
        return export_xlsx(
            user=user, kind="statistics_xlsx", title=f"{unit.name}在籍学生统计", unit=unit,
            subject=stats["breakdown_title"], build=lambda stamp: statistics_xlsx(stats, stamp),
            audit_action="report.statistics.xlsx", audit_obj=unit,
        )

    def filename(self, target, printed):
        return f"在籍学生统计-{target.unit.name}-{timezone.localdate():%Y%m%d}.xlsx"


class MonthlyReportJob(DocumentJobKind):
    """打印 / 导出 a monthly report (a stored version, which never changes: a new one is a new
    version). Params: {"report": id}. Kept per user as long as the user sees its numbers the same
    way (in full or masked)."""

    def __init__(self, file_format: str):
        self.file_format = file_format
        self.code = f"monthly_report_{file_format}"
        self.label = "月报" + ("（Excel）" if file_format == "xlsx" else "")

    def _report(self, user, params):
        selectors.require_report_role(user)
        return selectors.get_report_for_user(user, params.get("report"))

    def target(self, user, params):
        report = self._report(user, params)
        return JobTarget(unit=report.unit, title=f"{report.unit.name}{report.month:%Y年%m月}学籍变动月报（第{report.version}版）")

    def fingerprint(self, user, params, target):
        report = self._report(user, params)
        parts = [report.pk, report.version, selectors.sees_full_numbers(user, report.unit), report.unit.name]
        return hashlib.sha256(repr(parts).encode()).hexdigest()

    def build(self, user, params, target, progress):
        report = self._report(user, params)
        full = selectors.sees_full_numbers(user, report.unit)
        if self.file_format == "pdf":
            return monthly_report_pdf(report, user=user, full_numbers=full, audit_action="report.monthly.pdf")
        tables = report_tables(report, full_numbers=full)
        return export_xlsx(
            user=user, kind="monthly_report_xlsx", title=report_title(report), unit=report.unit,
            subject=f"{report.month_label}（第{report.version}版）", pupils=printed_pupils(tables),
            build=lambda stamp: monthly_report_xlsx(report, full_numbers=full, stamp=stamp),
            audit_action="report.monthly.xlsx", audit_obj=report.unit,
        )

    def filename(self, target, printed):
        return f"学籍变动月报-{target.title}.{self.file_format}"
