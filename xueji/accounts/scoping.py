"""Who may see what: the user's memberships and the units they see. Every list a page or the API
shows starts from a ``*_visible_to(user)`` selector, and every single object is loaded through a
``get_*_for_user`` helper that answers 404 for anything outside the user's scope (an object one
may not see does not exist): ``NotInScope``, which the pages and the API record in the audit log. This module holds the units' and the audit log's; the pupils' and
classes' are in xueji.pupils.scoping, the requests' in xueji.approvals.scoping, all built on the
memberships read here.

A user's scope is the union of the scopes of their memberships:
- registrar, headmaster: their school's pupils;
- head teacher: the pupils of the classes they head;
- central-school registrar: the pupils of the schools under the central school;
- county, city, province officer: the pupils of every school under the bureau, including
  records deleted as problem records (删除 keeps them visible to the bureau);
- the three admins (system, security, audit): no pupil records; they see the units of their
  bureau's subtree (to manage them, their accounts, or their audit log).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from xueji.accounts.models import ADMIN_ROLES, BUREAU_ROLES, AuditEntry, Membership, Role, Unit, UnitKind, User

UNIT_ROLES_SEEING_SUBTREE = {Role.CENTRAL_REGISTRAR, *BUREAU_ROLES}


def memberships_of(user: User) -> list[Membership]:
    """The user's memberships, loaded once per user object."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_xueji_memberships", None)
    if cached is None:
        cached = list(Membership.objects.filter(user=user).select_related("unit").order_by("id"))
        user._xueji_memberships = cached
    return cached


def current_membership(request) -> Membership | None:
    """The membership the user acts in: the one chosen in the session (the role switcher in the
    navigation), else the first. Scopes are the union of all memberships; this one names the role
    on the home page and in the audit log."""
    memberships = memberships_of(request.user)
    if not memberships:
        return None
    chosen = request.session.get("membership_id") if hasattr(request, "session") else None
    return next((m for m in memberships if m.pk == chosen), memberships[0])


def is_system_admin(user: User) -> bool:
    return any(m.role == Role.SYSTEM_ADMIN for m in memberships_of(user))


MAX_ID = 2**63 - 1  # bigint: a larger number typed into a URL must be a 404, not a database error


class NotInScope(Http404):
    """The refusal of a scoped lookup (the ``get_*_for_user`` helpers): no such object, or one
    outside the user's scope, which is the same thing to the user. Answered as any 404 is (the
    page, or the API's {"detail"}), and recorded once in the audit log ("lookup.denied", with
    ``what`` and the number asked for) by NotAllowedMiddleware and the API's handler. An ordinary
    404 (an unknown address, a malformed number) stays a plain Http404 and is not recorded."""

    def __init__(self, message: str, *, what: str = "", object_id=None):
        super().__init__(message)
        self.message, self.what = message, what
        self.object_id = "" if object_id is None else str(object_id)
        self.audited = False


def object_id(value) -> int:
    """A primary key from a URL or a query string, or Http404."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("编号无效。") from None
    if not 0 < number <= MAX_ID:
        raise Http404("编号无效。")
    return number


def scope_union(scopes: list[Q | None]) -> Q | None:
    combined = None
    for scope in scopes:
        if scope is not None:
            combined = scope if combined is None else combined | scope
    return combined


def unit_ids_under(paths: list[str]) -> list[int]:
    """The ids of the units at or under these paths (each unit's own path included). A big table
    scoped by its unit column is filtered with this list (``unit_id IN (…)``) rather than joined to
    the units' paths: each row is tested against a hashed list instead of having its unit looked
    up, and PostgreSQL knows how many rows the list holds (an array subquery, ``= ANY(ARRAY(SELECT
    …))``, is planned as if ten units were in scope, whatever the subtree)."""
    scope = scope_union([Q(path__startswith=path) for path in paths])
    return [] if scope is None else list(Unit.objects.filter(scope).order_by().values_list("pk", flat=True))


def units_visible_to(user: User) -> QuerySet[Unit]:
    """The units a user works in or above: their own units and everything under a bureau or a
    central school they belong to."""
    scopes = []
    for membership in memberships_of(user):
        if membership.unit is None:
            continue
        if membership.role in UNIT_ROLES_SEEING_SUBTREE or membership.role in ADMIN_ROLES:
            scopes.append(Q(path__startswith=membership.unit.path))
        else:
            scopes.append(Q(pk=membership.unit.pk))
    scope = scope_union(scopes)
    return Unit.objects.filter(scope) if scope is not None else Unit.objects.none()


def schools_visible_to(user: User) -> QuerySet[Unit]:
    return units_visible_to(user).filter(kind=UnitKind.SCHOOL)


def get_school_for_user(user: User, school_id) -> Unit:
    try:
        return schools_visible_to(user).get(pk=object_id(school_id))
    except Unit.DoesNotExist:
        raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=school_id) from None


def can_read_audit_log(user: User) -> bool:
    """The audit log is the audit admin's alone (三员分立): not the bureaus', not the other admins'."""
    return any(m.role == Role.AUDIT_ADMIN and m.unit is not None for m in memberships_of(user))


def audit_scope(user: User) -> Q | None:
    """The entries an audit admin reads: those filed under its bureau's subtree; the audit admin
    of a bureau at the top of the tree (no parent) also reads the entries filed under no unit
    (attempts on unknown usernames, the break-glass superuser's work on global tables)."""
    scopes = []
    for m in memberships_of(user):
        if m.role == Role.AUDIT_ADMIN and m.unit is not None:
            scopes.append(Q(unit_path__startswith=m.unit.path))
            if m.unit.parent_id is None:
                scopes.append(Q(unit_path=""))
    return scope_union(scopes)


def audit_entries_visible_to(user: User) -> QuerySet[AuditEntry]:
    """The audit admin's entries (``audit_scope``); nothing for anyone else."""
    scope = audit_scope(user)
    return AuditEntry.objects.filter(scope) if scope is not None else AuditEntry.objects.none()


