"""Reads of the sending school's copies of pupils who left, scoped: the school the pupil left
(its registrar and headmaster) and the central schools and bureaus above it; nobody else, not
the receiving school (it has the living record)."""

import re
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from transfers.left.models import LeftPupilCopy
from xueji.accounts.models import User
from xueji.accounts.scoping import UNIT_ROLES_SEEING_SUBTREE, NotInScope, memberships_of, object_id, scope_union
from xueji.approvals.models import ApprovalStep, Attachment
from xueji.approvals.request_facts import RequestFacts, request_facts
from xueji.approvals.scoping import REQUEST_SCHOOL_ROLES
from xueji.pupils.models import Guardian, Pupil, StudentNumber
from xueji.pupils.selectors import guardians_up_to_event, pupil_at_event, search_kind


def _scope(membership) -> Q | None:
    if membership.unit is None:
        return None
    if membership.role in REQUEST_SCHOOL_ROLES:
        return Q(school_id=membership.unit.pk)
    if membership.role in UNIT_ROLES_SEEING_SUBTREE:
        return Q(school__path__startswith=membership.unit.path)
    return None


def left_copies_visible_to(user: User) -> QuerySet[LeftPupilCopy]:
    scope = scope_union([_scope(m) for m in memberships_of(user)])
    if scope is None:
        return LeftPupilCopy.objects.none()
    # A departure reversed (撤销审批: a 转出 or studying abroad undone, the pupil back in school) is
    # no departure: its copy leaves the list (the reversal marks the original's payload).
    return (LeftPupilCopy.objects.filter(scope).exclude(change_request__payload__has_key="reversed_by")
            .select_related("school"))


def get_left_copy_for_user(user: User, copy_id) -> LeftPupilCopy:
    try:
        return left_copies_visible_to(user).select_related("pupil", "change_request").get(pk=object_id(copy_id))
    except LeftPupilCopy.DoesNotExist:
        raise NotInScope("没有找到这名已转出的学生，或您无权查看。", what="leftpupilcopy", object_id=copy_id) from None


def left_copy_list(user: User, query: str = "") -> QuerySet[LeftPupilCopy]:
    """The copies the user sees, the latest departures first, narrowed by a 学籍号 (or its
    beginning) or a name (or part of it) as they stood when the pupil left."""
    copies = left_copies_visible_to(user).order_by("-left_on", "-id")
    compact = re.sub(r"\s+", "", query or "")
    if not compact:
        return copies
    if search_kind(compact) in ("student_number", "id_number"):
        # Digits alone may be the ID number inside a G number ("G" + the ID number).
        number = compact.upper()
        return copies.filter(Q(student_number__startswith=number) | Q(student_number__startswith=f"G{number}"))
    return copies.filter(name__contains=compact)


@dataclass
class LeftRecord:
    """What the copy's page and the API show: the record as it stood, its guardians and numbers
    then, the request's decisions and proofs, and what other apps tell of it (the hand-over)."""

    pupil: Pupil | None
    guardians: list[Guardian]
    numbers: list[StudentNumber]
    steps: list[ApprovalStep]
    attachments: list[Attachment]
    facts: list[RequestFacts]


def left_record(copy: LeftPupilCopy) -> LeftRecord:
    shown = pupil_at_event(copy.pupil, copy.pupil_event_id)
    guardians = guardians_up_to_event(copy.pupil, copy.guardian_event_id)
    numbers = []
    for number in copy.pupil.numbers.filter(assigned_at__lte=copy.created_at).order_by("assigned_at", "id"):
        if number.retired_at and number.retired_at > copy.created_at:
            number.retired_at = None  # retired later, at the new school: still current that day
        numbers.append(number)
    request = copy.change_request
    return LeftRecord(
        pupil=shown, guardians=guardians, numbers=numbers,
        steps=list(request.steps.select_related("unit", "decided_by").order_by("position")),
        attachments=list(request.attachments.all()),
        facts=request_facts(request),
    )
