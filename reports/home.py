"""Home-page panel of reports/: the latest monthly change report of the user's unit, and for a
bureau or central school how many reports of its area do not add up."""

from django.urls import reverse

from reports import selectors
from reports.models import MonthlyReport
from xueji.accounts.models import Membership, User
from xueji.web.home import HomeItem, HomePanel, register_home_panel


@register_home_panel
def monthly_report_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    if membership is None or membership.unit is None or membership.role not in selectors.REPORT_ROLES:
        return []
    visible = selectors.reports_visible_to(user)
    latest_month = visible.order_by("-month").values_list("month", flat=True).first()
    if latest_month is None:
        return []
    label = f"{latest_month.year}年{latest_month.month}月"
    list_url = f"{reverse('reports:monthly_report_list')}?month={latest_month:%Y-%m}"
    items = []
    own = (MonthlyReport.objects.filter(unit=membership.unit, month=latest_month).order_by("-version").first())
    if own is not None:
        check = own.figures["check"]
        url = reverse("reports:monthly_report_detail", args=[own.pk])
        items.append(HomeItem(f"{label}：月初在籍", check["start"], url))
        items.append(HomeItem("本月增加 / 减少", f"{check['in']} / {check['out']}", url))
        items.append(HomeItem("月末在籍", check["end"], url))
        if not check["ok"]:
            items.append(HomeItem("核对不一致，请核实", f"相差 {check['difference']} 人", url, warn=True))
    below = selectors.latest_versions(visible.filter(month=latest_month).exclude(unit=membership.unit))
    if below.exists():
        inconsistent = below.filter(figures__check__ok=False).count()
        items.append(HomeItem(f"{label}下属单位月报", f"{below.count()} 份", list_url))
        if inconsistent:
            items.append(HomeItem("其中核对不一致", f"{inconsistent} 份", list_url, warn=True))
    if not items:
        return []
    return [HomePanel("学籍变动月报", items, note="每月1日自动生成上月月报。", order=40)]
