"""The audit log's export leaves through an export request too (2025 办法 第二十四条: the log names
who read which pupil): the audit admin asks, with the page's filters as the scope, and the
leader in charge of the audit admin's bureau approves. Up to XLSX_MAX_ROWS entries the file is a
workbook (the watermark sheet first); beyond, a CSV whose first lines are the watermark."""

import csv
import io

from django.http import QueryDict
from django.utils import timezone
from django.utils.http import urlencode

from xueji.accounts.audit_views import CSV_MAX_ROWS, HEADERS, XLSX_MAX_ROWS, AuditFilters, _row, _xlsx
from xueji.accounts.models import Membership, Role, User
from xueji.accounts.scoping import audit_entries_visible_to
from xueji.exports.registry import ExportField, ExportJob, ExportKind, ExportOutput, ExportScope


def filters_of(value: str) -> AuditFilters:
    return AuditFilters.read(QueryDict(value or ""))


def scope_value(filters: AuditFilters) -> str:
    return urlencode(filters.as_query())


class AuditLogExportKind(ExportKind):
    code = "audit"
    label = "审计日志"
    roles = frozenset({Role.AUDIT_ADMIN})

    def fields(self) -> list[ExportField]:
        # The log's columns, all of them: a trail is read whole.
        return [ExportField("all", "审计日志全部列（" + "、".join(HEADERS) + "）")]

    def scope_choices(self, user: User, membership: Membership) -> list[tuple[str, str]]:
        return [("", f"{membership.unit.name}及下级单位：全部记录")]

    def scope_resolve(self, user: User, membership: Membership, value: str) -> ExportScope:
        filters = filters_of(value)
        return ExportScope(scope_value(filters), membership.unit, f"{membership.unit.name}及下级单位：{filters.describe()}")

    def write(self, job: ExportJob) -> ExportOutput:
        filters = filters_of(job.scope.value)
        entries = filters.apply(audit_entries_visible_to(job.requester)).select_related("unit").order_by("at", "id")
        count = entries.count()
        note = f"范围：{job.scope.label}；共 {count} 条；{job.watermark_text}"
        if count <= XLSX_MAX_ROWS:
            return ExportOutput(_xlsx(entries, title=f"审计日志（{job.scope.label}）", note=note), count)
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        for label, value in job.watermark:
            writer.writerow([label, value])
        writer.writerow(HEADERS)
        for entry in entries[:CSV_MAX_ROWS].iterator(chunk_size=2000):
            row = _row(entry)
            row[0] = timezone.make_naive(row[0]) if timezone.is_aware(row[0]) else row[0]
            row[0] = row[0].strftime("%Y-%m-%d %H:%M:%S")
            writer.writerow([_safe(str(value)) for value in row])
        return ExportOutput(buffer.getvalue().encode("utf-8"), min(count, CSV_MAX_ROWS), extension="csv")


def _safe(text: str) -> str:
    from xueji.documents.xlsx import safe_text

    return safe_text(text)
