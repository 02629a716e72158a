"""Which change requests, attachments, pending steps and notices a user sees (see
xueji.accounts.scoping for the whole picture)."""

from django.db.models import Q, QuerySet

from xueji.accounts.models import BUREAU_ROLES, Membership, Role, User
from xueji.accounts.scoping import (
    UNIT_ROLES_SEEING_SUBTREE,
    NotInScope,
    memberships_of,
    object_id,
    scope_union,
    unit_ids_under,
)
from xueji.accounts.selectors import bureau_settings_by_unit
from xueji.approvals.models import ApprovalStep, Attachment, ChangeRequest, Notice, RequestParty, StepStatus

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
        unit = membership.unit
        if unit.parent_id is None:
            # The top of the tree (the province) sees nearly every party: walking the requests
            # newest first finds a page, or 5,001 to count, at once. Its thousands of units as a
            # list would cost more to plan than that (8,000 ids: about 15 ms).
            return Q(unit__path__startswith=unit.path)
        return Q(unit_id__in=unit_ids_under([unit.path]))
    if membership.role == Role.LEADER:
        # The leader in charge sees the requests its bureau decides (exports), not the subtree's.
        return Q(unit_id=membership.unit.pk)
    return None


def requests_visible_to(user: User) -> QuerySet[ChangeRequest]:
    scope = scope_union([_party_scope(m) for m in memberships_of(user)])
    if scope is None:
        return ChangeRequest.objects.none()
    return ChangeRequest.objects.filter(pk__in=RequestParty.objects.filter(scope).values("request_id"))


def get_request_for_user(user: User, request_id) -> ChangeRequest:
    try:
        return requests_visible_to(user).select_related("pupil__school", "started_by", "started_unit").get(
            pk=object_id(request_id)
        )
    except ChangeRequest.DoesNotExist:
        raise NotInScope("没有找到这项申请，或您无权查看。", what="changerequest", object_id=request_id) from None


def get_attachment_for_user(user: User, attachment_id) -> Attachment:
    try:
        return Attachment.objects.select_related("request").get(
            pk=object_id(attachment_id), request__in=requests_visible_to(user)
        )
    except Attachment.DoesNotExist:
        raise NotInScope("没有找到这个附件，或您无权查看。", what="attachment", object_id=attachment_id) from None


def steps_waiting_for(user: User) -> QuerySet[ApprovalStep]:
    """The pending steps the user decides: those of the roles they hold at the steps' units."""
    memberships = [m for m in memberships_of(user) if m.unit is not None]
    scopes = [Q(unit_id=m.unit.pk, role=m.role) for m in memberships]
    # Officers of a bureau that lets them approve exports see its leader's steps too
    # (xueji.approvals.services.officer_stands_in).
    officers = [m for m in memberships if m.role in BUREAU_ROLES]
    if officers:
        settings = bureau_settings_by_unit([m.unit for m in officers])
        scopes += [Q(unit_id=m.unit.pk, role=Role.LEADER) for m in officers
                   if settings[m.unit.pk].export_officers_may_approve]
    scope = scope_union(scopes)
    if scope is None:
        return ApprovalStep.objects.none()
    # One does not decide a request one started. Excluded with NOT IN (the ids of the user's own
    # requests, a hashed list) rather than a join to every step's request: counting and paging the
    # thousands of steps waiting at a bureau then read the step_inbox index and the steps alone.
    own = ChangeRequest.objects.filter(started_by=user).values("pk")
    return ApprovalStep.objects.filter(scope, status=StepStatus.PENDING).exclude(request__in=own)


def notices_for(user: User) -> QuerySet[Notice]:
    """Notices to the units (and roles) the user holds."""
    scope = scope_union([Q(unit_id=m.unit.pk) & (Q(role="") | Q(role=m.role)) for m in memberships_of(user) if m.unit is not None])
    return Notice.objects.filter(scope) if scope is not None else Notice.objects.none()
