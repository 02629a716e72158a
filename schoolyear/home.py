"""Home-page panel of schoolyear/: in the summer, what still blocks graduation and when promotion
comes (for the registrars, headmasters, central schools and bureaus who follow schools)."""

from django.urls import reverse
from django.utils import timezone

from schoolyear.dates import school_year_start
from schoolyear.selectors import follows_any_school, graduation_rows
from xueji.accounts.models import Membership, User
from xueji.web.home import HomeItem, HomePanel, register_home_panel

SUMMER_MONTHS = (6, 7, 8)


@register_home_panel
def summer_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    today = timezone.localdate()
    if membership is None or today.month not in SUMMER_MONTHS or not follows_any_school(user):
        return []
    rows = graduation_rows(user, today, school_year_start(today))
    if not rows:
        return []
    url = reverse("schoolyear:graduation_overview")
    pending = sum(len(r.pending) for r in rows)
    clear_by = min(r.summer.clear_by for r in rows)
    items = [
        HomeItem("毕业年级未办结的申请", pending, url, warn=pending > 0),
        HomeItem(f"待办业务清理截止（{clear_by:%m-%d}）", f"还剩 {(clear_by - today).days} 天" if clear_by >= today else "已过", url,
                 warn=pending > 0 and (clear_by - today).days <= 7),
        HomeItem("待办理毕业的学校", sum(1 for r in rows if r.to_graduate and not r.done), url),
        HomeItem("升级日期", f"{min(r.summer.promotion_on for r in rows):%Y-%m-%d}", reverse("schoolyear:promotion_overview")),
    ]
    return [HomePanel("毕业和升级", items, order=20)]
