"""The paper archive follows the pupil: when an approval has moved a pupil to another school (a
transfer), the sending school is given the hand-over to do, due one month after the approval, and
told so. Listens to the engine's request_approved; idempotent (one hand-over per request, one
notice per key), as the sweep may send the signal again."""

from django.utils import timezone

from archives.handover.services import handover_open
from xueji.accounts.models import Unit
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import notify


def open_handover_when_pupil_changed_school(sender, *, request: ChangeRequest, **kwargs) -> None:
    before = request.state_before or {}
    if request.pupil_id is None or not before.get("school") or before["school"] == request.pupil.school_id:
        return
    from_school = Unit.objects.get(pk=before["school"])
    to_school = request.pupil.school
    handover = handover_open(
        pupil=request.pupil, from_school=from_school, to_school=to_school, change_request=request,
        start=timezone.localdate(request.finished_at),
    )
    notify(request, key=f"handover:{request.pk}", unit=from_school,
           message=f"{request.pupil.name}已转入{to_school.name}，请在 {handover.due_date:%Y-%m-%d} 前移交纸质学籍档案。")
