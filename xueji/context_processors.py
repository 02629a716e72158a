"""Template context shared by every page: the user's current role and the navigation for it."""

from dataclasses import dataclass

from django.urls import reverse

from xueji.models import Role
from xueji.scoping import can_read_audit_log, current_membership, memberships_of, steps_waiting_for


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str] | None = None  # None: every role

    def visible_for(self, roles: set[str]) -> bool:
        return self.roles is None or bool(self.roles & roles)


PUPIL_ROLES = frozenset(set(Role.values) - {Role.SYSTEM_ADMIN})

# Apps append their entries in AppConfig.ready() (xueji imports no app).
DECIDING_ROLES = frozenset({Role.HEADMASTER, Role.CENTRAL_REGISTRAR, Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER})
REQUEST_ROLES = PUPIL_ROLES - {Role.HEAD_TEACHER}

NAV_ITEMS: list[NavItem] = [
    NavItem("首页", "home"),
    NavItem("待我审批", "inbox", DECIDING_ROLES),
    NavItem("学生", "pupil_list", PUPIL_ROLES),
    NavItem("变动申请", "request_list", REQUEST_ROLES),
    NavItem("打印学籍卡", "cards_home", PUPIL_ROLES),
    NavItem("文书核验", "document_verify", PUPIL_ROLES),
]


def register_nav_item(item: NavItem) -> None:
    NAV_ITEMS.append(item)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    memberships = memberships_of(user)
    roles = {m.role for m in memberships}
    items = [(item.label, reverse(item.url_name), "") for item in NAV_ITEMS if item.visible_for(roles)]
    if roles & DECIDING_ROLES:
        # What waits for the user's decision, on every page (one indexed count).
        waiting = steps_waiting_for(user).count()
        items = [(label, url, waiting if url == reverse("inbox") and waiting else "") for label, url, _ in items]
    if can_read_audit_log(user):
        items.append(("审计日志", reverse("audit_list"), ""))
    if Role.SYSTEM_ADMIN in roles:
        items.append(("系统管理", reverse("admin:index"), ""))
    current = current_membership(request)
    return {
        "nav_items": items,
        "current_membership": current,
        "memberships": memberships,
        "current_path": request.path,
    }
