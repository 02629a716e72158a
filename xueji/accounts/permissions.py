"""Who may act as what, where: the one vocabulary of permissions.

Two questions are asked everywhere, by pages, the API and services alike:

- may this user act as this role (or one of these roles) at this unit? ``holds`` answers,
  ``require`` refuses;
- which school does this user register for now? ``acting_membership`` and ``acting_school``: the
  membership chosen in the session (the role switcher) when it holds one of the roles asked for,
  else the user's first such membership. A token client of the API has no choice in its session,
  and gets the first, as the pages do before one chooses.

A refusal is one exception, ``NotAllowed``, carrying its message in Chinese and a code. A page
turns it into the 403 page, or into a 404 when ``hide`` is set (an object one may not act on and
should not learn about); the API into its JSON with the same status (xueji/web/api.py). Both
record the refusal in the audit log (``NotAllowedMiddleware`` and the API's handler). Whether a
user may *see* an object is the scoping modules' question (xueji/*/scoping.py), answered with a
404 before any of this is asked (``NotInScope``, recorded here too: ``audit_lookup_denied``).
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from xueji.accounts.models import Membership, Role, Unit, User
from xueji.accounts.scoping import NotInScope, current_membership, memberships_of

REGISTRAR_ONLY = "只有本校学籍管理员可以发起申请。"


class NotAllowed(PermissionDenied):
    """This user may not do this here. ``code`` names the rule (not_registrar, not_decider, …)."""

    def __init__(self, message: str, *, code: str = "not_allowed", hide: bool = False):
        super().__init__(message)
        self.message, self.code, self.hide = message, code, hide

    @property
    def status(self) -> int:
        return 404 if self.hide else 403


def _roles(roles: str | Iterable[str]) -> set[str]:
    return {roles} if isinstance(roles, str) else set(roles)


def _unit_id(unit: Unit | int | None) -> int | None:
    return unit.pk if isinstance(unit, Unit) else unit


def _active(user: User) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def holds(user: User, roles: str | Iterable[str], unit: Unit | int | None) -> bool:
    """Whether the user holds one of the roles at the unit (an active user only). Asked of the
    database each time: services are called with user objects that live longer than a request."""
    if not _active(user):
        return False
    return Membership.objects.filter(user=user, role__in=_roles(roles), unit_id=_unit_id(unit)).exists()


def holds_anywhere(user: User, roles: str | Iterable[str]) -> bool:
    """Whether the user holds one of the roles at any unit."""
    return _active(user) and Membership.objects.filter(user=user, role__in=_roles(roles)).exists()


def require(
    user: User, roles: str | Iterable[str], unit: Unit | int | None, *, message: str, code: str = "not_allowed",
    hide: bool = False,
) -> None:
    """Refuse (NotAllowed) unless the user holds one of the roles at the unit."""
    if not holds(user, roles, unit):
        raise NotAllowed(message, code=code, hide=hide)


def require_registrar(user: User, school: Unit | int, *, message: str = REGISTRAR_ONLY, hide: bool = False) -> None:
    """The school's own registrar, and no one else, starts its requests and writes its records."""
    require(user, Role.REGISTRAR, school, message=message, code="not_registrar", hide=hide)


def acting_membership(request, roles: str | Iterable[str]) -> Membership | None:
    """The membership the user acts in for these roles: the one chosen in the session if it holds
    one of them, else the first that does; None when the user holds none."""
    wanted = _roles(roles)
    current = current_membership(request)
    if current is not None and current.role in wanted:
        return current
    return next((m for m in memberships_of(request.user) if m.role in wanted), None)


def require_acting_membership(request, roles: str | Iterable[str], *, message: str, code: str = "not_allowed",
                              hide: bool = False) -> Membership:
    """The membership the user acts in for these roles (acting_membership), or NotAllowed."""
    membership = acting_membership(request, roles)
    if membership is None or membership.unit is None:
        raise NotAllowed(message, code=code, hide=hide)
    return membership


def acting_school(request, role: str | Iterable[str] = Role.REGISTRAR, *, message: str = REGISTRAR_ONLY,
                  hide: bool = False) -> Unit:
    """The school the user acts for in one of these roles (the registrar's, by default), or
    NotAllowed."""
    code = "not_registrar" if role == Role.REGISTRAR else "not_allowed"
    return require_acting_membership(request, role, message=message, code=code, hide=hide).unit


def audit_refusal(refusal: NotAllowed, request=None) -> None:
    """Every refusal is recorded: who was refused what, and why (never any personal data)."""
    from xueji.accounts.audit import audit_record
    from xueji.accounts.models import AuditEntry

    path = getattr(request, "path", "") if request is not None else ""
    audit_record(action="permission.denied", result=AuditEntry.Result.DENIED,
                 detail=f"{refusal.message}（{refusal.code}）{path}"[:500])


def audit_lookup_denied(refusal: NotInScope, request=None) -> None:
    """A scoped lookup refused (no such object, or one outside the user's scope): recorded once,
    with what was asked for and where, never with anything of the object itself."""
    if refusal.audited:
        return
    refusal.audited = True
    from xueji.accounts.audit import audit_record
    from xueji.accounts.models import AuditEntry

    path = getattr(request, "path", "") if request is not None else ""
    audit_record(action="lookup.denied", result=AuditEntry.Result.DENIED, object_type=refusal.what,
                 object_id=refusal.object_id, detail=f"{refusal.message}{path}"[:500])


class NotAllowedMiddleware:
    """A page's NotAllowed becomes the 403 page with its reason, or the 404 page when hidden;
    either way the refusal is audited. A refused scoped lookup (NotInScope) is audited too, and
    answered by Django's 404 page like any other."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, NotInScope):
            audit_lookup_denied(exception, request)
            return None
        if not isinstance(exception, NotAllowed):
            return None
        audit_refusal(exception, request)
        if exception.hide:
            return render(request, "404.html", status=404)
        return render(request, "403.html", {"reason": exception.message}, status=403)
