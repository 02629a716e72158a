"""Writes of the paper archives."""

import re
from datetime import date

from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from archives.handover.models import TRACKED_METHODS, ArchiveHandover, DispatchMethod
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Role, Unit, User
from xueji.accounts.permissions import holds
from xueji.approvals.models import ChangeRequest
from xueji.approvals.request_facts import RequestFacts
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


_TRACKING_NUMBER = re.compile(r"^[A-Za-z0-9-]{6,40}$")


def clean_dispatch(*, method: str, tracking_number: str = "", carrier: str = "") -> dict[str, str]:
    """How the file travels, checked: a method of DispatchMethod; post and courier with the slip's
    number (letters, digits and "-", 6 to 40), which in person has none. Errors keyed by field."""
    method, tracking_number, carrier = (method or "").strip(), (tracking_number or "").strip(), (carrier or "").strip()
    errors = {}
    if method not in DispatchMethod.values:
        errors["method"] = ValidationError("请选择移交方式：专人送达、邮寄或快递。", code="method_required")
    elif method in TRACKED_METHODS:
        if not tracking_number:
            errors["tracking_number"] = ValidationError("邮寄或快递移交的，请填写单号。", code="tracking_required")
        elif not _TRACKING_NUMBER.match(tracking_number):
            errors["tracking_number"] = ValidationError("单号只能由字母、数字和“-”组成，6 到 40 位。", code="tracking_invalid")
    else:
        tracking_number, carrier = "", ""  # carried by hand: no slip
    if len(carrier) > 40:
        errors["carrier"] = ValidationError("快递公司名称不能超过 40 个字。", code="carrier_too_long")
    if errors:
        raise ValidationError(errors)
    return {"method": method, "tracking_number": tracking_number.upper(), "carrier": carrier}


@transaction.atomic
def handover_mark_sent(*, actor: User, handover_id: int, method: str, tracking_number: str = "",
                       carrier: str = "") -> ArchiveHandover:
    """The sending school records that the file left, and how (clean_dispatch)."""
    handover = ArchiveHandover.objects.select_for_update().get(pk=handover_id)
    if not _registrar_of(actor, handover.from_school_id):
        raise ValidationError("只有转出学校可以登记档案已移交。")
    if handover.sent_at:
        raise ValidationError("已登记过移交。")
    dispatch = clean_dispatch(method=method, tracking_number=tracking_number, carrier=carrier)
    handover.sent_at, handover.sent_by = timezone.now(), actor
    for field, value in dispatch.items():
        setattr(handover, field, value)
    handover.save(update_fields=["sent_at", "sent_by", "method", "tracking_number", "carrier"])
    audit_record(action="archive.sent", obj=handover.pupil, user=actor,
                 detail=f"纸质档案移交至{handover.to_school}：{handover.dispatch_label}")
    return handover


@transaction.atomic
def handover_confirm_received(*, actor: User, handover_id: int, receiver_name: str) -> ArchiveHandover:
    """The receiving school confirms the file arrived, naming who took it."""
    handover = ArchiveHandover.objects.select_for_update().get(pk=handover_id)
    if not _registrar_of(actor, handover.to_school_id):
        raise ValidationError("只有转入学校可以确认收到档案。")
    if handover.received_at:
        raise ValidationError("已确认收到。")
    receiver_name = (receiver_name or "").strip()
    if not receiver_name:
        raise ValidationError({"receiver_name": ValidationError("请填写接收人姓名。", code="receiver_required")})
    if len(receiver_name) > 50:
        raise ValidationError({"receiver_name": ValidationError("接收人姓名不能超过 50 个字。", code="receiver_too_long")})
    now = timezone.now()
    handover.received_at, handover.received_by, handover.receiver_name = now, actor, receiver_name
    handover.sent_at = handover.sent_at or now
    handover.save(update_fields=["received_at", "received_by", "receiver_name", "sent_at"])
    audit_record(action="archive.received", obj=handover.pupil, user=actor, detail=f"收到{handover.from_school}移交的纸质档案")
    return handover


def handover_facts(request: ChangeRequest) -> list[RequestFacts]:
    """The hand-over of a request's paper file as rows, for the sending school's copy of a pupil
    who left (xueji.approvals.request_facts; registered in ArchivesConfig.ready)."""
    handover = ArchiveHandover.objects.filter(change_request=request).select_related("to_school").first()
    if handover is None:
        return []
    rows = [
        ("状态", handover.state_label), ("移交至", handover.to_school.name), ("移交期限", f"{handover.due_date:%Y-%m-%d}"),
        ("移交方式", handover.dispatch_label),
        ("移交时间", f"{timezone.localtime(handover.sent_at):%Y-%m-%d %H:%M}" if handover.sent_at else ""),
        ("接收人", handover.receiver_name),
        ("接收时间", f"{timezone.localtime(handover.received_at):%Y-%m-%d %H:%M}" if handover.received_at else ""),
    ]
    return [RequestFacts("纸质档案移交", rows)]
