"""Which pupils and classes a user sees (see xueji.accounts.scoping for the whole picture), and
whether a record is shown in full or masked."""

from django.db.models import Q, QuerySet
from django.http import Http404

from xueji.accounts.models import BUREAU_ROLES, Membership, Role, User
from xueji.accounts.scoping import FULL_RECORD_ROLES, UNIT_ROLES_SEEING_SUBTREE, memberships_of, object_id, scope_union
from xueji.pupils.models import Pupil, SchoolClass


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


def pupils_visible_to(user: User) -> QuerySet[Pupil]:
    scope = scope_union([_pupil_scope(m, user) for m in memberships_of(user)])
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
        raise Http404("没有找到这个班级，或您无权查看。") from None
