"""Reads of the paper archives, scoped to the user."""

from django.db.models import Q, QuerySet

from archives.handover.models import ArchiveHandover
from xueji.accounts.models import User
from xueji.accounts.scoping import UNIT_ROLES_SEEING_SUBTREE, memberships_of
from xueji.approvals.scoping import REQUEST_SCHOOL_ROLES


def handovers_visible_to(user: User) -> QuerySet[ArchiveHandover]:
    """Both schools of a hand-over, and the bureaus and central schools above either."""
    scope = Q(pk__in=[])
    for membership in memberships_of(user):
        unit = membership.unit
        if membership.role in REQUEST_SCHOOL_ROLES:
            scope |= Q(from_school_id=unit.pk) | Q(to_school_id=unit.pk)
        elif membership.role in UNIT_ROLES_SEEING_SUBTREE:
            scope |= Q(from_school__path__startswith=unit.path) | Q(to_school__path__startswith=unit.path)
    return ArchiveHandover.objects.filter(scope).select_related("pupil", "from_school", "to_school")
