"""Who may see what. Every list a page or the API shows starts from a ``*_visible_to(user)``
selector here, and every single object is loaded through a ``get_*_for_user`` helper that
answers 404 for anything outside the user's scope (an object one may not see does not exist).

A user's scope is the union of the scopes of their memberships:
- registrar, headmaster: their school's pupils;
- head teacher: the pupils of the classes they head;
- central-school registrar: the pupils of the schools under the central school;
- county, city, province officer: the pupils of every school under the bureau, including
  records deleted as problem records (删除 keeps them visible to the bureau);
- system administrator: no pupil records (they manage divisions, units, users and the calendar).
"""

from django.db.models import Q, QuerySet
from django.http import Http404

from xueji.models import (
    BUREAU_ROLES,
    ApprovalStep,
    Attachment,
    AuditEntry,
    ChangeRequest,
    Membership,
    Notice,
    Pupil,
    RequestParty,
    Role,
    StepStatus,
    SchoolClass,
    Unit,
    UnitKind,
    User,
)

# Roles that see ID numbers, health and household registration in full; the others see them
# masked (head teachers, and city and province officers who work with statistics).
FULL_RECORD_ROLES = {Role.REGISTRAR, Role.HEADMASTER, Role.CENTRAL_REGISTRAR, Role.COUNTY_OFFICER}
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


def object_id(value) -> int:
    """A primary key from a URL or a query string, or Http404."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise Http404("编号无效。") from None
    if not 0 < number <= MAX_ID:
        raise Http404("编号无效。")
    return number


def _pupil_scope(membership: Membership, user: User) -> Q | None:
    role, unit = membership.role, membership.unit
    if role in (Role.REGISTRAR, Role.HEADMASTER):
        return Q(school_id=unit.pk, deleted_at__isnull=True)
    if role == Role.HEAD_TEACHER:
        return Q(school_id=unit.pk, school_class__head_teacher_id=user.pk, deleted_at__isnull=True)
    if role == Role.CENTRAL_REGISTRAR:
        return Q(school__path__startswith=unit.path, deleted_at__isnull=True)
    if role in BUREAU_ROLES:
        return Q(school__path__startswith=unit.path)
    return None


def _union(scopes: list[Q | None]) -> Q | None:
    combined = None
    for scope in scopes:
        if scope is not None:
            combined = scope if combined is None else combined | scope
    return combined


def pupils_visible_to(user: User) -> QuerySet[Pupil]:
    scope = _union([_pupil_scope(m, user) for m in memberships_of(user)])
    if scope is None:
        return Pupil.objects.none()
    return Pupil.objects.filter(scope)


def get_pupil_for_user(user: User, pupil_id) -> Pupil:
    try:
        return pupils_visible_to(user).select_related("school", "school_class").get(pk=object_id(pupil_id))
    except Pupil.DoesNotExist:
        raise Http404("没有找到这名学生，或您无权查看。") from None


def sees_full_record(user: User, pupil: Pupil) -> bool:
    """Whether the user sees the pupil's ID number, health and household registration unmasked."""
    for membership in memberships_of(user):
        if membership.role not in FULL_RECORD_ROLES:
            continue
        unit = membership.unit
        if unit.pk == pupil.school_id or (
            membership.role in UNIT_ROLES_SEEING_SUBTREE and pupil.school.path.startswith(unit.path)
        ):
            return True
    return False


def units_visible_to(user: User) -> QuerySet[Unit]:
    """The units a user works in or above: their own units and everything under a bureau or a
    central school they belong to."""
    scopes = []
    for membership in memberships_of(user):
        if membership.unit is None:
            continue
        if membership.role in UNIT_ROLES_SEEING_SUBTREE:
            scopes.append(Q(path__startswith=membership.unit.path))
        else:
            scopes.append(Q(pk=membership.unit.pk))
    if is_system_admin(user):
        return Unit.objects.all()
    scope = _union(scopes)
    return Unit.objects.filter(scope) if scope is not None else Unit.objects.none()


def schools_visible_to(user: User) -> QuerySet[Unit]:
    return units_visible_to(user).filter(kind=UnitKind.SCHOOL)


def get_school_for_user(user: User, school_id) -> Unit:
    try:
        return schools_visible_to(user).get(pk=object_id(school_id))
    except Unit.DoesNotExist:
        raise Http404("没有找到这所学校，或您无权查看。") from None


def classes_visible_to(user: User) -> QuerySet[SchoolClass]:
    scopes = []
    for membership in memberships_of(user):
        if membership.role == Role.HEAD_TEACHER:
            scopes.append(Q(school_id=membership.unit.pk, head_teacher_id=user.pk))
        elif membership.role in (Role.REGISTRAR, Role.HEADMASTER):
            scopes.append(Q(school_id=membership.unit.pk))
        elif membership.role in UNIT_ROLES_SEEING_SUBTREE:
            scopes.append(Q(school__path__startswith=membership.unit.path))
    scope = _union(scopes)
    return SchoolClass.objects.filter(scope) if scope is not None else SchoolClass.objects.none()


def get_class_for_user(user: User, class_id) -> SchoolClass:
    try:
        return classes_visible_to(user).select_related("school", "school_year").get(pk=object_id(class_id))
    except SchoolClass.DoesNotExist:
        raise Http404("没有找到这个班级，或您无权查看。") from None


def can_read_audit_log(user: User) -> bool:
    return any(m.role in BUREAU_ROLES or m.role == Role.SYSTEM_ADMIN for m in memberships_of(user))


def audit_entries_visible_to(user: User) -> QuerySet[AuditEntry]:
    """A bureau officer reads the log of its jurisdiction; the system administrator all of it."""
    if is_system_admin(user):
        return AuditEntry.objects.all()
    scope = _union(
        [Q(unit_path__startswith=m.unit.path) for m in memberships_of(user) if m.role in BUREAU_ROLES]
    )
    return AuditEntry.objects.filter(scope) if scope is not None else AuditEntry.objects.none()


# Change requests ------------------------------------------------------------------------------
# A request is seen by the people of every unit involved in it (the starting school, the pupil's
# school, a transfer's target school, every deciding unit), and by the bureaus and central
# schools above them. A counterpart school sees the request and the pupil's details it needs,
# not the pupil's whole record (that stays with pupils_visible_to).

REQUEST_SCHOOL_ROLES = {Role.REGISTRAR, Role.HEADMASTER}


def _party_scope(membership: Membership) -> Q | None:
    if membership.role in REQUEST_SCHOOL_ROLES:
        return Q(unit_id=membership.unit.pk)
    if membership.role in UNIT_ROLES_SEEING_SUBTREE:
        return Q(unit__path__startswith=membership.unit.path)
    return None


def requests_visible_to(user: User) -> QuerySet[ChangeRequest]:
    scope = _union([_party_scope(m) for m in memberships_of(user)])
    if scope is None:
        return ChangeRequest.objects.none()
    return ChangeRequest.objects.filter(pk__in=RequestParty.objects.filter(scope).values("request_id"))


def get_request_for_user(user: User, request_id) -> ChangeRequest:
    try:
        return requests_visible_to(user).select_related("pupil__school", "started_by", "started_unit").get(
            pk=object_id(request_id)
        )
    except ChangeRequest.DoesNotExist:
        raise Http404("没有找到这项申请，或您无权查看。") from None


def get_attachment_for_user(user: User, attachment_id) -> Attachment:
    try:
        return Attachment.objects.select_related("request").get(
            pk=object_id(attachment_id), request__in=requests_visible_to(user)
        )
    except Attachment.DoesNotExist:
        raise Http404("没有找到这个附件，或您无权查看。") from None


def steps_waiting_for(user: User) -> QuerySet[ApprovalStep]:
    """The pending steps the user decides: those of the roles they hold at the steps' units."""
    scope = _union([Q(unit_id=m.unit.pk, role=m.role) for m in memberships_of(user) if m.unit is not None])
    if scope is None:
        return ApprovalStep.objects.none()
    # One does not decide a request one started. Excluded with NOT IN (the ids of the user's own
    # requests, a hashed list) rather than a join to every step's request: counting and paging the
    # thousands of steps waiting at a bureau then read the step_inbox index and the steps alone.
    own = ChangeRequest.objects.filter(started_by=user).values("pk")
    return ApprovalStep.objects.filter(scope, status=StepStatus.PENDING).exclude(request__in=own)


def notices_for(user: User) -> QuerySet[Notice]:
    """Notices to the units (and roles) the user holds."""
    scope = _union([Q(unit_id=m.unit.pk) & (Q(role="") | Q(role=m.role)) for m in memberships_of(user) if m.unit is not None])
    return Notice.objects.filter(scope) if scope is not None else Notice.objects.none()
