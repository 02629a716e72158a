"""Who sees which reports and statistics (reads scoped to the user, as xueji.accounts.scoping).

Statistics and monthly reports are for the people who answer for a unit's figures: a school's
registrar and headmaster see their school's; a central school's registrar the central school's
and its schools'; a bureau officer the bureau's area, every unit in it. Head teachers (their
classes are on their home page) and the system administrator (no pupil data) have neither: 403.
A unit or a report outside the user's area is a 404, as everywhere.
"""

from django.db.models import Q, QuerySet

from reports.models import MonthlyReport
from xueji.accounts.models import BUREAU_ROLES, Membership, Role, Unit, User
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import UNIT_ROLES_SEEING_SUBTREE, NotInScope, memberships_of, object_id
from xueji.pupils.visibility import numbers_in_full

REPORT_ROLES = frozenset({Role.REGISTRAR, Role.HEADMASTER, Role.CENTRAL_REGISTRAR, *BUREAU_ROLES})


def report_memberships(user: User) -> list[Membership]:
    return [m for m in memberships_of(user) if m.role in REPORT_ROLES and m.unit is not None]


def may_see_reports(user: User) -> bool:
    return bool(report_memberships(user))


def require_report_role(user: User) -> None:
    if not may_see_reports(user):
        raise NotAllowed("只有学校学籍管理员、校长、中心校和教育局的学籍管理员可以查看统计和月报。")


def report_units_visible_to(user: User) -> QuerySet[Unit]:
    """The units whose statistics and reports the user may see: the own school, or everything
    under the central school or bureau."""
    scope = None
    for membership in report_memberships(user):
        unit = membership.unit
        part = Q(path__startswith=unit.path) if membership.role in UNIT_ROLES_SEEING_SUBTREE else Q(pk=unit.pk)
        scope = part if scope is None else scope | part
    return Unit.objects.filter(scope) if scope is not None else Unit.objects.none()


def get_report_unit_for_user(user: User, unit_id) -> Unit:
    try:
        return report_units_visible_to(user).get(pk=object_id(unit_id))
    except Unit.DoesNotExist:
        raise NotInScope("没有找到这个单位，或您无权查看。", what="unit", object_id=unit_id) from None


def home_unit(user: User, membership: Membership | None) -> Unit:
    """The unit a page shows first: the acting role's, else the first the user reports for."""
    require_report_role(user)
    if membership is not None and membership.role in REPORT_ROLES and membership.unit is not None:
        return membership.unit
    return report_memberships(user)[0].unit


def reports_visible_to(user: User) -> QuerySet[MonthlyReport]:
    """Every version of every report of the units the user may see."""
    return MonthlyReport.objects.filter(unit__in=report_units_visible_to(user))


def latest_versions(reports: QuerySet[MonthlyReport]) -> QuerySet[MonthlyReport]:
    """The latest version of each unit's report of each month among ``reports``."""
    latest = reports.order_by("unit_id", "month", "-version").distinct("unit_id", "month").values("pk")
    return MonthlyReport.objects.filter(pk__in=latest)


def get_report_for_user(user: User, report_id) -> MonthlyReport:
    try:
        return reports_visible_to(user).select_related("unit", "generated_by").get(pk=object_id(report_id))
    except MonthlyReport.DoesNotExist:
        raise NotInScope("没有找到这份月报，或您无权查看。", what="monthlyreport", object_id=report_id) from None


def other_versions(report: MonthlyReport) -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.filter(unit_id=report.unit_id, month=report.month).order_by("-version")


def may_regenerate(user: User, unit: Unit) -> bool:
    """A bureau officer, for a unit of the bureau's area."""
    return any(
        m.role in BUREAU_ROLES and m.unit is not None and unit.path.startswith(m.unit.path)
        for m in memberships_of(user)
    )


def sees_full_numbers(user: User, unit: Unit) -> bool:
    """Whether 学籍号 in a report of ``unit`` are shown in full (G numbers hold the ID number): for
    the roles that see the ID numbers of the unit's pupils in full (xueji.pupils.visibility)."""
    return numbers_in_full(user, unit)
