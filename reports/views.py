"""Pages of reports/: statistics (统计) of a unit with server-drawn charts, and the monthly change
reports (月报): the list, one report with its versions, its PDF and spreadsheet, and a bureau's
regeneration. Units and reports outside the user's area are 404; users without a reporting role
403 (reports.selectors)."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from reports import selectors, services
from reports.charts import bar_chart
from reports.models import MonthlyReport
from reports.monthly import month_bounds, previous_month
from reports.printing import report_tables
from reports.statistics import unit_statistics
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import current_membership
from xueji.documents.job_views import job_start

LIST_PAGE_SIZE = 100


def parse_month(value: str | None) -> date | None:
    """"2026-10" → 2026-10-01; anything else → None."""
    try:
        year, month = (int(part) for part in (value or "").split("-"))
        return date(year, month, 1) if 2000 <= year <= 2100 and 1 <= month <= 12 else None
    except ValueError:
        return None


def statistics_unit(request):
    """The unit the statistics are asked for (?unit=, 404 outside the area), else the user's own."""
    selectors.require_report_role(request.user)
    if request.GET.get("unit"):
        return selectors.get_report_unit_for_user(request.user, request.GET["unit"])
    return selectors.home_unit(request.user, current_membership(request))


@login_required
def statistics_page(request):
    unit = statistics_unit(request)
    stats = unit_statistics(request.user, unit)
    charts = []
    level_chart = [(line.label, line.counts["total"]) for line in stats["breakdown"]]
    if stats["level"] != "class":
        charts.append({"title": f"在籍人数（{stats['breakdown_title']}）", "svg": bar_chart(
            f"{unit.name}在籍人数（{stats['breakdown_title']}）", level_chart, chart_id="chart-breakdown")})
    for dimension in stats["dimensions"]:
        items = [(item["label"], item["count"]) for item in dimension["items"]]
        whole = sum(count for _label, count in items)
        charts.append({
            "key": dimension["key"], "title": dimension["title"],
            "svg": bar_chart(f"{unit.name}在籍学生：{dimension['title']}", items,
                             unit="件" if dimension["key"] == "problems" else "人", chart_id=f"chart-{dimension['key']}"),
            "rows": [{"label": label, "count": count, "share": f"{count * 100 / whole:.1f}%" if whole else "—"}
                     for label, count in items],
            "whole": whole,
        })
    total = stats["total"]
    summary = [(header, total.value(column)) for column, header in stats["columns"]]
    above = unit.ancestors()[::-1]
    visible_above = set(selectors.report_units_visible_to(request.user).filter(pk__in=[u.pk for u in above])
                        .values_list("pk", flat=True))
    return render(request, "reports/statistics.html", {
        "unit": unit, "stats": stats, "charts": charts, "summary": summary,
        "ancestors": [u for u in above if u.pk in visible_above],
    })


@login_required
@require_http_methods(["GET", "POST"])
def statistics_xlsx_view(request):
    """导出统计表: a worker writes it (reports/jobs.py, StatisticsXlsxJob); POST starts the job
    (or finds the kept file) and leads to its page."""
    return job_start(request, "statistics_xlsx", {"unit": statistics_unit(request).pk})


@login_required
def monthly_report_list(request):
    selectors.require_report_role(request.user)
    visible = selectors.reports_visible_to(request.user)
    months = list(visible.order_by("-month").values_list("month", flat=True).distinct()[:36])
    month = parse_month(request.GET.get("month")) or (months[0] if months else previous_month(timezone.localdate()))
    reports = selectors.latest_versions(visible.filter(month=month)).select_related("unit").order_by("unit__path")
    page = Paginator(reports, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    bureau_units = [
        m.unit for m in selectors.report_memberships(request.user) if selectors.may_regenerate(request.user, m.unit)
    ]
    return render(request, "reports/monthly_list.html", {
        "page": page, "month": month, "months": months, "bureau_units": bureau_units,
        "month_over": month_bounds(month)[1] < timezone.localdate(),
        "default_month": previous_month(timezone.localdate()), "query_string": f"month={month:%Y-%m}",
    })


@login_required
def monthly_report_detail(request, report_id: int):
    report = selectors.get_report_for_user(request.user, report_id)
    context = report_tables(report, full_numbers=selectors.sees_full_numbers(request.user, report.unit))
    visible_ids = set(selectors.report_units_visible_to(request.user).values_list("pk", flat=True))
    latest = {r.unit_id: r.pk for r in selectors.latest_versions(
        MonthlyReport.objects.filter(month=report.month, unit_id__in=[u["id"] for u in context["by_unit"]]))}
    context.update({
        "versions": selectors.other_versions(report).select_related("generated_by"),
        "may_regenerate": selectors.may_regenerate(request.user, report.unit),
        "by_unit": [{**line, "link": latest.get(line["id"]) if line["id"] in visible_ids else None}
                    for line in context["by_unit"]],
    })
    return render(request, "reports/monthly_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def monthly_report_pdf_view(request, report_id: int):
    """打印（PDF）: a worker prints it (reports/jobs.py); POST starts the job (or finds the kept
    file) and leads to its page."""
    report = selectors.get_report_for_user(request.user, report_id)
    return job_start(request, "monthly_report_pdf", {"report": report.pk})


@login_required
@require_http_methods(["GET", "POST"])
def monthly_report_xlsx_view(request, report_id: int):
    """导出 Excel, as the PDF."""
    report = selectors.get_report_for_user(request.user, report_id)
    return job_start(request, "monthly_report_xlsx", {"report": report.pk})


@login_required
@require_POST
def monthly_report_regenerate(request):
    selectors.require_report_role(request.user)
    unit = selectors.get_report_unit_for_user(request.user, request.POST.get("unit"))
    month = parse_month(request.POST.get("month"))
    back = request.POST.get("back") or reverse("reports:monthly_report_list")
    if not back.startswith("/") or back.startswith("//"):
        back = reverse("reports:monthly_report_list")
    if month is None:
        messages.error(request, "请选择月份。")
        return redirect(back)
    if not selectors.may_regenerate(request.user, unit):
        raise NotAllowed("只有上级教育局可以重新生成月报。")
    try:
        reports = services.monthly_report_regenerate(actor=request.user, unit=unit, month=month,
                                                     note=request.POST.get("note", ""))
    except ValidationError as error:
        messages.error(request, "；".join(error.messages))
        return redirect(back)
    own = next((r for r in reports if r.unit_id == unit.pk), None)
    messages.success(request, f"已重新生成{month.year}年{month.month}月学籍变动月报：{len(reports)} 个单位各增加一个新版本，原有版本保留。")
    if own is not None:
        return redirect("reports:monthly_report_detail", own.pk)
    return redirect(f"{reverse('reports:monthly_report_list')}?month={month:%Y-%m}")

