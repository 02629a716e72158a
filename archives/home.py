"""Home-page panel of archives/: paper files to hand over or to receive, overdue ones first."""

from django.urls import reverse
from django.utils import timezone

from archives.selectors import handovers_visible_to
from xueji.home import HomeItem, HomePanel, register_home_panel
from xueji.models import Membership, User


@register_home_panel
def handover_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    if membership is None or membership.unit is None:
        return []
    open_ = handovers_visible_to(user).filter(received_at__isnull=True)
    total = open_.count()
    if not total:
        return []
    overdue = open_.filter(due_date__lt=timezone.localdate()).count()
    url = reverse("handover_list")
    items = [HomeItem("未办结的档案移交", total, url)]
    if overdue:
        items.append(HomeItem("超过一个月未移交", overdue, url, warn=True))
    return [HomePanel("纸质档案", items, order=30)]
