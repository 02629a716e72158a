"""The audit log's pages, the audit admin's alone (三员分立): the entries of its bureau's subtree
(xueji/accounts/scoping.py ``audit_entries_visible_to``), filtered, and exported as a spreadsheet
(every cell through xueji/documents/xlsx.py) or, for long periods, as CSV (the same safe cells),
each export audited. Anyone else gets a 404: the page does not exist for them."""

import csv
from dataclasses import dataclass
from datetime import date
from io import BytesIO

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from xueji.accounts.models import AUDIT_ACTIONS, AuditEntry, Role
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import audit_entries_visible_to, can_read_audit_log, memberships_of
from xueji.paginators import query_without_page

PAGE_SIZE = 50
# An xlsx is built in memory (some 1 KB a row with its styles); a longer export is a CSV,
# streamed. Beyond CSV_MAX_ROWS the period must be narrowed.
XLSX_MAX_ROWS = 20_000
CSV_MAX_ROWS = 500_000
HEADERS = ["时间", "用户名", "角色", "单位", "IP 地址", "操作", "操作代码", "对象类型", "对象编号", "对象", "结果", "说明"]
WIDTHS = [19, 16, 18, 22, 16, 22, 22, 14, 10, 30, 8, 60]


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    username: str = ""
    result: str = ""
    since: date | None = None
    until: date | None = None

    @classmethod
    def read(cls, data) -> "AuditFilters":
        def day(name: str) -> date | None:
            try:
                return date.fromisoformat((data.get(name) or "").strip()[:10])
            except ValueError:
                return None

        result = (data.get("result") or "").strip()
        return cls(
            action=(data.get("action") or "").strip()[:40],
            username=(data.get("user") or "").strip()[:150],
            result=result if result in AuditEntry.Result.values else "",
            since=day("since"),
            until=day("until"),
        )

    def apply(self, entries):
        if self.action:
            entries = entries.filter(action=self.action)
        if self.username:
            entries = entries.filter(username=self.username)
        if self.result:
            entries = entries.filter(result=self.result)
        if self.since:
            entries = entries.filter(at__date__gte=self.since)
        if self.until:
            entries = entries.filter(at__date__lte=self.until)
        return entries

    def as_query(self) -> dict:
        query = {"action": self.action, "user": self.username, "result": self.result,
                 "since": self.since.isoformat() if self.since else "", "until": self.until.isoformat() if self.until else ""}
        return {key: value for key, value in query.items() if value}

    def describe(self) -> str:
        parts = []
        if self.action:
            parts.append(f"操作：{AUDIT_ACTIONS.get(self.action, self.action)}")
        if self.username:
            parts.append(f"用户名：{self.username}")
        if self.result:
            parts.append(f"结果：{AuditEntry.Result(self.result).label}")
        if self.since or self.until:
            parts.append(f"日期：{self.since or '不限'} 至 {self.until or '不限'}")
        return "；".join(parts) or "全部记录"


def _require_auditor(request) -> None:
    """Anyone but an audit admin: the page does not exist for them (a 404), and the refusal is audited."""
    if not can_read_audit_log(request.user):
        raise NotAllowed("只有审计管理员可以查看审计日志。", code="not_auditor", hide=True)


def _scope_label(user) -> str:
    names = [m.unit.name for m in memberships_of(user) if m.role == Role.AUDIT_ADMIN and m.unit is not None]
    return "、".join(names) + "及下级单位"


@login_required
def audit_list(request):
    _require_auditor(request)
    filters = AuditFilters.read(request.GET)
    entries = filters.apply(audit_entries_visible_to(request.user)).select_related("unit").order_by("-at", "-id")
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page, "filters": filters, "action": filters.action, "username": filters.username,
        "actions": sorted(AUDIT_ACTIONS.items()), "results": AuditEntry.Result.choices,
        "query_string": query_without_page(request), "scope_label": _scope_label(request.user),
        "xlsx_max": XLSX_MAX_ROWS,
    }
    return render(request, "accounts/audit_list.html", context)


def _row(entry: AuditEntry) -> list:
    return [
        timezone.localtime(entry.at).replace(tzinfo=None), entry.username or "系统", entry.role_label,
        entry.unit.name if entry.unit_id and entry.unit else "", entry.ip or "", entry.action_label, entry.action,
        entry.object_type, entry.object_id, entry.object_repr, entry.get_result_display(), entry.detail,
    ]


def _xlsx(entries, *, title: str, note: str) -> bytes:
    from openpyxl import Workbook

    from xueji.documents.xlsx import Table, put, write_title

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "审计日志"
    write_title(sheet, title, columns=len(HEADERS))
    put(sheet, 2, 1, note)
    table = Table(sheet, HEADERS, row=3, widths=WIDTHS, formats={"时间": "yyyy-mm-dd hh:mm:ss"}, landscape=True)
    for entry in entries.iterator(chunk_size=2000):
        table.add(_row(entry))
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


class _Echo:
    def write(self, value):
        return value


def _csv_rows(entries, *, note: str):
    from xueji.documents.xlsx import safe_text

    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel reads UTF-8 with the mark
    yield writer.writerow([safe_text(note)])
    yield writer.writerow(HEADERS)
    for entry in entries.iterator(chunk_size=2000):
        row = _row(entry)
        row[0] = row[0].strftime("%Y-%m-%d %H:%M:%S")
        yield writer.writerow([safe_text(str(value)) for value in row])


@login_required
@require_POST
def audit_export(request):
    """The entries of the page's filters (posted) leave only through an export request
    (xueji/exports/audit_log.py), approved by the leader in charge of the audit admin's bureau:
    this leads to its form, the filters as the scope."""
    _require_auditor(request)
    filters = AuditFilters.read(request.POST)
    messages.info(request, "导出审计日志须先申请，经本局分管领导审批后下载。")
    return redirect(reverse("exports:export_new") + "?" + urlencode({"kind": "audit", "scope": urlencode(filters.as_query())}))
