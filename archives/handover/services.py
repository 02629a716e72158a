"""Writes of the paper archives."""

from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from archives.handover.models import ArchiveHandover
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Role, Unit, User
from xueji.accounts.permissions import holds
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import notify
from xueji.pupils.models import Pupil


def handover_open(*, pupil: Pupil, from_school: Unit, to_school: Unit, change_request: ChangeRequest, start: date) -> ArchiveHandover:
    """The sending school's task to hand the paper file over, due one month after the transfer.
    Idempotent: one task per transfer."""
    handover, _ = ArchiveHandover.objects.get_or_create(
        change_request=change_request,
        defaults={"pupil": pupil, "from_school": from_school, "to_school": to_school, "due_date": start + relativedelta(months=1)},
    )
    return handover


def handover_open_after_approval(request: ChangeRequest) -> ArchiveHandover | None:
    """The paper archive follows the pupil: when an approval moved a pupil to another school (a
    transfer), the sending school hands the file over, due a month after the approval, and is told
    so. Idempotent (one hand-over per request, one notice per key): the sweep may ask again."""
    before = request.state_before or {}
    if request.pupil_id is None or not before.get("school") or before["school"] == request.pupil.school_id:
        return None
    from_school = Unit.objects.get(pk=before["school"])
    to_school = request.pupil.school
    handover = handover_open(
        pupil=request.pupil, from_school=from_school, to_school=to_school, change_request=request,
        start=timezone.localdate(request.finished_at),
    )
    notify(request, key=f"handover:{request.pk}", unit=from_school,
           message=f"{request.pupil.name}已转入{to_school.name}，请在 {handover.due_date:%Y-%m-%d} 前移交纸质学籍档案。")
    return handover


def _registrar_of(actor: User, school_id: int) -> bool:
    """The school's registrar or headmaster: they hand the paper file over and receive it."""
    return holds(actor, (Role.REGISTRAR, Role.HEADMASTER), school_id)


@transaction.atomic
def handover_mark_sent(*, actor: User, handover_id: int) -> ArchiveHandover:
    handover = ArchiveHandover.objects.select_for_update().get(pk=handover_id)
    if not _registrar_of(actor, handover.from_school_id):
        raise ValidationError("只有转出学校可以登记档案已移交。")
    if handover.sent_at:
        raise ValidationError("已登记过移交。")
    handover.sent_at, handover.sent_by = timezone.now(), actor
    handover.save(update_fields=["sent_at", "sent_by"])
    audit_record(action="archive.sent", obj=handover.pupil, user=actor, detail=f"纸质档案移交至{handover.to_school}")
    return handover


@transaction.atomic
def handover_confirm_received(*, actor: User, handover_id: int) -> ArchiveHandover:
    handover = ArchiveHandover.objects.select_for_update().get(pk=handover_id)
    if not _registrar_of(actor, handover.to_school_id):
        raise ValidationError("只有转入学校可以确认收到档案。")
    if handover.received_at:
        raise ValidationError("已确认收到。")
    now = timezone.now()
    handover.received_at, handover.received_by = now, actor
    handover.sent_at = handover.sent_at or now
    handover.save(update_fields=["received_at", "received_by", "sent_at"])
    audit_record(action="archive.received", obj=handover.pupil, user=actor, detail=f"收到{handover.from_school}移交的纸质档案")
    return handover
