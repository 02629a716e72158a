"""Which pupils and classes a user sees (see xueji.accounts.scoping for the whole picture). What
of a pupil's record they see (in full, masked, not at all) is xueji.pupils.visibility's, the one
masking policy; ``sees_full_record`` is re-exported from there for the callers that ask here."""

from django.db.models import Q, QuerySet

from xueji.accounts.models import BUREAU_ROLES, Membership, Role, Unit, User
from xueji.accounts.scoping import (
    UNIT_ROLES_SEEING_SUBTREE,
    NotInScope,
    memberships_of,
    object_id,
    scope_union,
    unit_ids_under,
)
from xueji.pupils.models import Pupil, SchoolClass
from xueji.pupils.visibility import sees_full_record  # noqa: F401 (re-exported: the one policy)


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


def sees_every_pupil_under(user: User, unit: Unit) -> bool:
    """Whether ``pupils_visible_to(user)`` holds every live pupil of the schools under ``unit``,
    as _pupil_scope decides: then counts kept per school (RollCount) stand for the user's view of
    the unit, and need not be recounted from the pupils the user sees."""
    for membership in memberships_of(user):
        role, scope_unit = membership.role, membership.unit
        if scope_unit is None:
            continue
        if role in (Role.REGISTRAR, Role.HEADMASTER) and scope_unit.pk == unit.pk:
            return True
        if (role == Role.CENTRAL_REGISTRAR or role in BUREAU_ROLES) and unit.path.startswith(scope_unit.path):
            return True
    return False


def pupils_visible_to(user: User) -> QuerySet[Pupil]:
    scope = scope_union([_pupil_scope(m, user) for m in memberships_of(user)])
    if scope is None:
        return Pupil.objects.none()
    return Pupil.objects.filter(scope)


def pupil_scope_school_ids(user: User) -> list[int]:
    """The ids of the units whose pupils ``pupils_visible_to`` may return (a superset: the scope
    itself still decides). A search by an index led by the school (pupil_school_pinyin) is
    answered school by school when the query lists them: the scope's join on the units' paths
    alone lets PostgreSQL read the whole province's matches and keep the city's."""
    ids, paths = set(), []
    for membership in memberships_of(user):
        if membership.role in (Role.REGISTRAR, Role.HEADMASTER, Role.HEAD_TEACHER):
            ids.add(membership.unit.pk)
        elif membership.role == Role.CENTRAL_REGISTRAR or membership.role in BUREAU_ROLES:
            paths.append(membership.unit.path)
    ids.update(unit_ids_under(paths))
    return sorted(ids)


def get_pupil_for_user(user: User, pupil_id) -> Pupil:
    try:
        return pupils_visible_to(user).select_related("school", "school_class").get(pk=object_id(pupil_id))
    except Pupil.DoesNotExist:
        raise NotInScope("没有找到这名学生，或您无权查看。", what="pupil", object_id=pupil_id) from None


def classes_visible_to(user: User) -> QuerySet[SchoolClass]:
    scopes = []
    for membership in memberships_of(user):
        if membership.role == Role.HEAD_TEACHER:
            scopes.append(Q(school_id=membership.unit.pk, head_teacher_id=user.pk))
        elif membership.role in (Role.REGISTRAR, Role.HEADMASTER):
            scopes.append(Q(school_id=membership.unit.pk))
        elif membership.role in UNIT_ROLES_SEEING_SUBTREE:
            scopes.append(Q(school__path__startswith=membership.unit.path))
    scope = scope_union(scopes)
    return SchoolClass.objects.filter(scope) if scope is not None else SchoolClass.objects.none()


def get_class_for_user(user: User, class_id) -> SchoolClass:
    try:
        return classes_visible_to(user).select_related("school", "school_year").get(pk=object_id(class_id))
    except SchoolClass.DoesNotExist:
        raise NotInScope("没有找到这个班级，或您无权查看。", what="schoolclass", object_id=class_id) from None
