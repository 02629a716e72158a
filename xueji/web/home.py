"""The home page: what waits for the user, by role.

Each app adds its own panels (an approval inbox, overdue archives, …) by registering a provider
in its AppConfig.ready(); xueji imports no app. A provider takes (user, membership) and returns
panels, or nothing when it has nothing for that role.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from xueji.accounts.models import ADMIN_ROLES, BUREAU_ROLES, Membership, Role, User
from xueji.accounts.scoping import schools_visible_to
from xueji.calendar import workdays
from xueji.codes import NumberKind, PupilStatus
from xueji.pupils.models import ProblemRecord
from xueji.pupils.scoping import classes_visible_to, pupils_visible_to
from xueji.pupils.selectors import class_cap


@dataclass
class HomeItem:
    label: str
    value: str | int = ""
    url: str = ""
    warn: bool = False


@dataclass
class HomePanel:
    title: str
    items: list[HomeItem] = field(default_factory=list)
    note: str = ""
    order: int = 50


HomeProvider = Callable[[User, Membership | None], list[HomePanel]]
_providers: list[HomeProvider] = []


def register_home_panel(provider: HomeProvider) -> HomeProvider:
    _providers.append(provider)
    return provider


def home_panels(user: User, membership: Membership | None) -> list[HomePanel]:
    panels = [panel for provider in _providers for panel in provider(user, membership)]
    return sorted(panels, key=lambda panel: panel.order)


def _pupils_url(**params) -> str:
    from urllib.parse import urlencode

    query = urlencode({k: v for k, v in params.items() if v not in (None, "")})
    return reverse("pupils:pupil_list") + (f"?{query}" if query else "")


@register_home_panel
def to_do_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """Work the records themselves ask for: problem records, pupils without a class, temporary
    numbers, classes over their cap."""
    if membership is None or membership.role in ADMIN_ROLES:
        return []
    pupils = pupils_visible_to(user)
    enrolled = pupils.filter(status=PupilStatus.ENROLLED, deleted_at__isnull=True)
    counts = enrolled.aggregate(
        total=Count("id"),
        without_class=Count("id", filter=Q(school_class__isnull=True)),
        temporary=Count("id", filter=Q(student_number__startswith=NumberKind.TEMPORARY)),
    )
    problems = ProblemRecord.objects.filter(pupil__in=pupils, resolution="").count()
    items = [HomeItem("在籍在校学生", counts["total"], _pupils_url(status=PupilStatus.ENROLLED))]
    if membership.role != Role.HEAD_TEACHER:
        items += [
            HomeItem("未分班的在校学生", counts["without_class"], warn=counts["without_class"] > 0),
            HomeItem("仍为临时学籍号（L）的学生", counts["temporary"], _pupils_url(number_kind=NumberKind.TEMPORARY), warn=counts["temporary"] > 0),
            HomeItem("待处理的问题学籍", problems, warn=problems > 0),
        ]
    over_cap = [c for c in _classes_with_size(user) if c.size > class_cap(c)]
    for school_class in over_cap[:10]:
        items.append(HomeItem(f"{school_class.school.name} {school_class.name} 超出班额", f"{school_class.size} 人", warn=True))
    return [HomePanel("待办事项", items, order=10)]


def _classes_with_size(user: User):
    return (
        classes_visible_to(user)
        .select_related("school")
        .annotate(size=Count("pupils", filter=Q(pupils__status=PupilStatus.ENROLLED, pupils__deleted_at__isnull=True)))
    )


@register_home_panel
def my_classes_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """A head teacher's classes, with their sizes."""
    if membership is None or membership.role != Role.HEAD_TEACHER:
        return []
    items = [
        HomeItem(f"{c.name}", f"{c.size} 人", _pupils_url(school_class=c.pk))
        for c in _classes_with_size(user).order_by("grade", "number")
    ]
    return [HomePanel("我的班级", items or [HomeItem("您目前没有担任班主任的班级")], order=5)]


@register_home_panel
def schools_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """For bureaus and central schools: each school with its pupil count."""
    if membership is None or membership.role not in {*BUREAU_ROLES, Role.CENTRAL_REGISTRAR}:
        return []
    schools = schools_visible_to(user).annotate(
        size=Count("pupils", filter=Q(pupils__status=PupilStatus.ENROLLED, pupils__deleted_at__isnull=True))
    ).order_by("path")
    items = [HomeItem(s.name, f"{s.size} 人", _pupils_url(school=s.pk)) for s in schools[:50]]
    return [HomePanel("辖区学校", items, order=20)]


@register_home_panel
def calendar_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """Bureaus and the system administrator are told when a year has no official holiday data:
    deadlines in it are then counted Monday–Friday."""
    if membership is None or membership.role not in {*BUREAU_ROLES, Role.SYSTEM_ADMIN}:
        return []
    year = timezone.localdate().year
    flagged = workdays.flagged_years(year, year + 1)
    if not flagged:
        return []
    is_admin = membership.role == Role.SYSTEM_ADMIN
    url = reverse("admin:xueji_calendarday_changelist") if is_admin else ""
    items = [HomeItem(f"{y} 年尚无国务院公布的节假日安排", "期限暂按周一至周五计算", url, warn=True) for y in flagged]
    note = "请在“节假日与调休”中录入，或用 calendar_import_year 命令导入。" if is_admin else "需由系统管理员录入节假日安排。"
    return [HomePanel("工作日历", items, note=note, order=1)]


@register_home_panel
def admin_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """The three admins' (三员分立) work, each its own; the break-glass superuser the admin site."""
    if membership is None:
        if user.is_superuser:
            return [HomePanel("系统管理", [HomeItem("管理后台（应急使用，全部操作记入审计日志）", "进入", reverse("admin:index"))],
                              order=2)]
        return []
    if membership.role == Role.SYSTEM_ADMIN:
        items = [
            HomeItem("单位与学校", "进入", reverse("admin:xueji_unit_changelist")),
            HomeItem("用户与任职", "进入", reverse("admin:xueji_user_changelist")),
            HomeItem("教育局设置", "进入", reverse("admin:xueji_bureausettings_changelist")),
            HomeItem("节假日与调休", "进入", reverse("admin:xueji_calendarday_changelist")),
            HomeItem("学年与学期", "进入", reverse("admin:xueji_schoolyear_changelist")),
        ]
        return [HomePanel("系统管理", items, note="管理员不查看学生信息；账号的锁定、封存、密码由安全管理员处理。", order=2)]
    if membership.role == Role.SECURITY_ADMIN:
        from xueji.accounts.security import security_counts

        counts = security_counts(user)
        url = reverse("accounts:security_accounts")
        items = [
            HomeItem("登录被锁定的账号", counts.locked, f"{url}?state=locked", warn=counts.locked > 0),
            HomeItem("已封存的账号", counts.sealed, f"{url}?state=sealed", warn=counts.sealed > 0),
            HomeItem("未绑定身份验证器的账号", counts.without_otp, f"{url}?state=no_otp"),
            HomeItem("暂停登录的地址", counts.addresses, reverse("accounts:security_addresses"), warn=counts.addresses > 0),
            HomeItem("授予和收回角色", "进入", url),
        ]
        return [HomePanel("账号安全", items, order=2)]
    if membership.role == Role.AUDIT_ADMIN:
        from xueji.accounts.scoping import audit_entries_visible_to

        today = audit_entries_visible_to(user).filter(at__date=timezone.localdate())
        denied = today.filter(result="denied").count()
        url = reverse("accounts:audit_list")
        items = [
            HomeItem("今天的审计记录", today.count(), f"{url}?since={timezone.localdate():%Y-%m-%d}"),
            HomeItem("今天被拒绝的操作", denied, f"{url}?result=denied&since={timezone.localdate():%Y-%m-%d}", warn=denied > 0),
            HomeItem("查看和导出审计日志", "进入", url),
            _audit_chain_item(),
        ]
        return [HomePanel("审计日志", items, order=2)]
    return []


def _audit_chain_item() -> HomeItem:
    """The last walk of the audit log's hash chain (the nightly task, manage.py audit_verify)."""
    from xueji.accounts.models import AuditChainCheck

    check = AuditChainCheck.objects.order_by("-at", "-id").first()
    if check is None:
        return HomeItem("审计日志完整性（哈希链）", "尚未检查")
    when = f"{timezone.localtime(check.at):%Y-%m-%d %H:%M}"
    if check.intact:
        return HomeItem("审计日志完整性（哈希链）", f"{when} 检查完好，共 {check.entries} 条")
    broken_at = f"{timezone.localtime(check.broken_entry_at):%Y-%m-%d %H:%M}" if check.broken_entry_at else "时间不明"
    return HomeItem("审计日志完整性（哈希链）",
                    f"{when} 检查发现断点：第 {check.broken_entry_id} 号记录（{broken_at}）被改动或缺失，请立即报告",
                    warn=True)


@register_home_panel
def early_warning_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """预警 for a bureau's audit and security admins: unusual reads and exports in their subtree
    over the last 30 days (xueji/accounts/early_warning.py)."""
    from xueji.accounts.early_warning import VIEWER_ROLES, warning_text, warnings_visible_to

    if membership is None or membership.role not in VIEWER_ROLES:
        return []
    since = timezone.localdate() - timedelta(days=30)
    warnings = list(warnings_visible_to(membership).filter(day__gte=since).select_related("unit")[:20])
    audit_url = reverse("accounts:audit_list")
    items = []
    for warning in warnings:
        url = ""
        if membership.role == Role.AUDIT_ADMIN:
            until = warning.day + timedelta(days=6 if warning.kind == "exports" else 0)
            query = {"user": warning.username, "since": f"{warning.day:%Y-%m-%d}", "until": f"{until:%Y-%m-%d}"}
            url = f"{audit_url}?{urlencode(query)}"
        unit = f"（{warning.unit.name}）" if warning.unit_id and warning.unit else ""
        items.append(HomeItem(f"{warning.username}{unit}", warning_text(warning), url, warn=True))
    if not items:
        items = [HomeItem("近 30 天没有预警", "")]
    return [HomePanel("预警：异常的查看和导出", items,
                      note="每晚根据审计日志计算：单日查看学籍过多、每周导出过多、夜间查看学籍。", order=3)]


@register_home_panel
def inbox_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """What waits for the user's decision, and the notices of the user's units."""
    from xueji.approvals.scoping import notices_for, steps_waiting_for

    if membership is None or membership.unit is None or membership.role in ADMIN_ROLES:
        return []
    steps = steps_waiting_for(user)
    now = timezone.now()
    counts = steps.aggregate(total=Count("id"), overdue=Count("id", filter=Q(due_at__lt=now)))
    panels = []
    if counts["total"]:
        url = reverse("approvals:inbox")
        items = [HomeItem("待我审批", counts["total"], url, warn=counts["overdue"] > 0)]
        if counts["overdue"]:
            items.append(HomeItem("已超期", counts["overdue"], url, warn=True))
        panels.append(HomePanel("审批", items, order=3))
    notices = list(notices_for(user)[:5])
    if notices:
        items = [
            HomeItem(n.message, "", reverse("approvals:request_detail", args=[n.request_id]) if n.request_id else "", warn=n.kind in ("overdue", "escalation"))
            for n in notices
        ]
        panels.append(HomePanel("最新通知", items, order=4))
    return panels


@register_home_panel
def started_requests_panel(user: User, membership: Membership | None) -> list[HomePanel]:
    """A registrar's own school's requests: those under way, and those sent back to correct."""
    from xueji.approvals.models import ChangeRequest, RequestStatus

    if membership is None or membership.role != Role.REGISTRAR:
        return []
    started = ChangeRequest.objects.filter(started_unit=membership.unit)
    counts = started.aggregate(
        pending=Count("id", filter=Q(status=RequestStatus.PENDING)),
        rejected=Count("id", filter=Q(status=RequestStatus.REJECTED, resubmissions__isnull=True)),
    )
    if not counts["pending"] and not counts["rejected"]:
        return []
    url = reverse("approvals:request_list")
    items = [HomeItem("本校发起、审批中的申请", counts["pending"], f"{url}?status=pending")]
    if counts["rejected"]:
        items.append(HomeItem("被退回、待修改重新提交", counts["rejected"], f"{url}?status=rejected", warn=True))
    return [HomePanel("本校申请", items, order=6)]
