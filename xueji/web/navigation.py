"""Template context shared by every page: the user's current role and the navigation for it."""

from dataclasses import dataclass

from django.urls import reverse

from xueji.accounts.gate import GATE_PASSED
from xueji.accounts.models import ADMIN_ROLES, Role
from xueji.accounts.scoping import current_membership, memberships_of
from xueji.approvals.scoping import steps_waiting_for

# The navigation's groups, in the order they show: a registrar has some twenty entries, which read
# more easily as a few runs of related ones (a thin line between runs) than in the order the apps
# happened to register them.
NAV_GROUPS = ("常用", "新生", "变动", "档案", "学年", "文书统计", "管理")


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    roles: frozenset[str] | None = None  # None: every role
    group: str = "变动"  # one of NAV_GROUPS

    def visible_for(self, roles: set[str]) -> bool:
        return self.roles is None or bool(self.roles & roles)


# The three admins (三员分立) see no pupil and no request: none of these entries is theirs.
# The leader in charge (分管领导) decides exports and sees no record either.
PUPIL_ROLES = frozenset(set(Role.values) - ADMIN_ROLES - {Role.LEADER})

# Apps append their entries in AppConfig.ready() (xueji imports no app).
DECIDING_ROLES = frozenset({Role.HEADMASTER, Role.CENTRAL_REGISTRAR, Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER,
                            Role.LEADER})
REQUEST_ROLES = (PUPIL_ROLES - {Role.HEAD_TEACHER}) | {Role.LEADER}

NAV_ITEMS: list[NavItem] = [
    NavItem("首页", "web:home", group="常用"),
    NavItem("待我审批", "approvals:inbox", DECIDING_ROLES, group="常用"),
    NavItem("学生", "pupils:pupil_list", PUPIL_ROLES, group="常用"),
    NavItem("变动申请", "approvals:request_list", REQUEST_ROLES, group="常用"),
    NavItem("打印学籍卡", "documents:cards_home", PUPIL_ROLES, group="文书统计"),
    NavItem("文书核验", "documents:document_verify", PUPIL_ROLES, group="文书统计"),
    # Each admin its own pages, and the admin site (which shows each only its own models).
    NavItem("账号安全", "accounts:security_accounts", frozenset({Role.SECURITY_ADMIN}), group="管理"),
    NavItem("登录暂停的地址", "accounts:security_addresses", frozenset({Role.SECURITY_ADMIN}), group="管理"),
    NavItem("审计日志", "accounts:audit_list", frozenset({Role.AUDIT_ADMIN}), group="管理"),
    NavItem("系统管理", "admin:index", frozenset(ADMIN_ROLES), group="管理"),
]


def register_nav_item(item: NavItem) -> None:
    NAV_ITEMS.append(item)


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if not request.session.get(GATE_PASSED):
        # Half logged in (the code, a forced password change, enrolment): only "退出" is offered.
        return {"nav_items": [], "memberships": [], "current_path": request.path}
    memberships = memberships_of(user)
    roles = {m.role for m in memberships}
    visible = sorted((item for item in NAV_ITEMS if item.visible_for(roles)), key=lambda item: NAV_GROUPS.index(item.group))
    entries = [(item.label, reverse(item.url_name), item.group) for item in visible]
    if user.is_superuser and not roles & ADMIN_ROLES:  # break-glass: the admin site only
        entries.append(("系统管理", reverse("admin:index"), "管理"))
    # What waits for the user's decision, on every page (one indexed count); the inbox has counted
    # the same steps for its pager and hands its count over (xueji.approvals.views.inbox).
    waiting = getattr(request, "steps_waiting_count", None)
    if waiting is None:
        waiting = steps_waiting_for(user).count() if roles & DECIDING_ROLES else 0
    inbox = reverse("approvals:inbox")
    # (label, url, badge, whether a new group starts here: the template draws the line)
    items = [(label, url, waiting if url == inbox and waiting else "", index > 0 and group != entries[index - 1][2])
             for index, (label, url, group) in enumerate(entries)]
    current = current_membership(request)
    return {
        "nav_items": items,
        "current_membership": current,
        "memberships": memberships,
        "current_path": request.path,
    }
