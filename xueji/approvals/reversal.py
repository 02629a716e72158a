"""撤销审批 (reversal): a bureau undoes a status change it approved.

Within 10 working days of its approval, the bureau that gave the last approval of a request that
changed a pupil's status (休学, 复学, 缓学, 注销, 出境学习 …) may reverse it. The reversal is a new
request of the engine with the same chain as the original (the school's headmaster, a rural
school's central school, the bureau); its last approval puts the pupil back into the state the
engine recorded just before the original took effect (``ChangeRequest.state_before``: status,
class, grade) and marks the original as reversed.

What cannot be reversed this way: a request that changed no status (an information change, a
renewal), one that moved the pupil to another school (a transfer: the other school and bureau
are parties to it), a batch, a reversal, and a change the pupil's record has moved on from (a
later status change, or what other apps register with ``register_moved_on_check``: the year's
promotion of the pupil's school, which moved the pupil to next year's grade and class).

The bureau starts the reversal and, after the school has signed, confirms it itself: the engine's
four-eyes rule (the starter never decides) is lifted for this kind only (``starter_may_decide``),
since a county bureau often has one 学籍 officer and the school's signature is the second pair of
eyes.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from xueji.accounts.models import User
from xueji.accounts.permissions import holds
from xueji.approvals.chains import StepSpec
from xueji.approvals.kinds import RequestKind, get_kind, kind_label
from xueji.approvals.models import ChangeRequest, RequestStatus
from xueji.approvals.services import notify, request_start
from xueji.calendar import workdays
from xueji.codes import PupilStatus
from xueji.pupils.models import StatusChange
from xueji.pupils.services import pupil_restore_state

KIND = "reversal"
REVERSAL_WORKING_DAYS = 10

# Checks of other apps that the record has moved on since a request took effect: each takes the
# original request and returns why it cannot be reversed, or None.
_MOVED_ON_CHECKS: list = []


def register_moved_on_check(check) -> None:
    """Add ``check(original) -> str | None`` (from an AppConfig.ready())."""
    if check not in _MOVED_ON_CHECKS:
        _MOVED_ON_CHECKS.append(check)


def _original(request: ChangeRequest) -> ChangeRequest:
    return ChangeRequest.objects.select_related("pupil").get(pk=request.payload["original"])


def _status_label(code: str) -> str:
    return PupilStatus(code).label if code in PupilStatus.values else code


class ReversalKind(RequestKind):
    code = KIND
    label = "撤销审批"
    starter_may_decide = True

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        """The original's chain, unit by unit."""
        original = _original(request)
        return [StepSpec(step.unit, f"撤销：{step.label}") for step in original.steps.select_related("unit").order_by("position")]

    def check_decision(self, request, step, actor: User, approve: bool, details: dict):
        """The record must not have moved on since the reversal was asked for."""
        if approve:
            try:
                _check_unchanged(_original(request))
            except ValidationError as error:
                return {"__all__": error}
        return None

    def apply(self, request: ChangeRequest, actor: User) -> None:
        original = _original(request)
        pupil_restore_state(
            actor=actor, pupil=request.pupil, state=request.payload["restore"], effective_date=timezone.localdate(),
            reason=f"撤销{kind_label(original.kind)}（申请 #{original.pk}）：{request.payload['reason']}"[:200],
            change_request_id=request.pk,
        )
        # The original stays approved (it happened) and says it was reversed; the apps' reads of
        # approved requests (a suspension's current period) leave reversed ones out.
        original.payload["reversed_by"] = request.pk
        ChangeRequest.objects.filter(pk=original.pk).update(payload=original.payload)

    def follow_up(self, request: ChangeRequest) -> None:
        notify(request, key=f"{KIND}:{request.pk}", unit=request.pupil.school,
               message=f"{request.pupil.name}的{request.payload.get('original_label', '')}已撤销，学籍状态恢复为"
                       f"“{_status_label(request.payload['restore']['status'])}”。")

    def summary(self, request: ChangeRequest) -> str:
        payload = request.payload
        return (f"撤销 #{payload.get('original')} {payload.get('original_label', '')}，"
                f"恢复为“{_status_label(payload.get('restore', {}).get('status', ''))}”")

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        return [
            ("撤销的申请", f"#{payload.get('original')} {payload.get('original_label', '')}（{payload.get('original_approved_on', '')} 批准）"),
            ("撤销后的学籍状态", _status_label(payload.get("restore", {}).get("status", ""))),
            ("撤销理由", payload.get("reason", "")),
        ]


# Who may reverse what ------------------------------------------------------------------------

def reversal_deadline(original: ChangeRequest) -> date:
    """The last day to reverse: the 10th working day after the day of the approval."""
    return workdays.add_working_days(timezone.localtime(original.finished_at).date(), REVERSAL_WORKING_DAYS)


def _status_changes(original: ChangeRequest) -> list[StatusChange]:
    return list(StatusChange.objects.filter(pupil_id=original.pupil_id, change_request_id=original.pk).order_by("id"))


def _state_before(original: ChangeRequest, changes: list[StatusChange]) -> dict:
    """The recorded state; for requests approved before the engine recorded it, the status before
    the first change with the pupil's present class and grade."""
    if original.state_before:
        return original.state_before
    pupil = original.pupil
    return {"status": changes[0].from_status, "school": pupil.school_id, "school_class": pupil.school_class_id,
            "grade": pupil.grade}


def _check_unchanged(original: ChangeRequest) -> None:
    changes = _status_changes(original)
    if changes and StatusChange.objects.filter(pupil_id=original.pupil_id, pk__gt=changes[-1].pk).exists():
        raise ValidationError("该学生在这项变动之后已有其他学籍变动，不能撤销。", code="changed_since")
    for check in _MOVED_ON_CHECKS:
        reason = check(original)
        if reason:
            raise ValidationError(reason, code="changed_since")


def reversal_refusal(*, user: User, original: ChangeRequest, today: date | None = None) -> str | None:
    """Why ``user`` may not reverse ``original`` today, or None if they may."""
    today = today or timezone.localdate()
    if original.kind == KIND:
        return "撤销申请本身不能再撤销。"
    if original.status != RequestStatus.APPROVED or original.pupil_id is None:
        return "只有已全部通过、针对单个学生的申请可以撤销。"
    if original.payload.get("reversed_by"):
        return "该申请已经撤销。"
    last = original.steps.select_related("unit").order_by("-position").first()
    if last is None or not last.unit.is_bureau or not holds(user, last.role, last.unit_id):
        return "只有批准该申请的教育局可以撤销。"
    changes = _status_changes(original)
    if not changes or any(not change.from_status for change in changes):
        return "该申请没有改变学籍状态，不能撤销。"
    before = _state_before(original, changes)
    if before["school"] != original.pupil.school_id or any(c.school_id != before["school"] for c in changes):
        return "涉及转学的变动不能撤销。"
    deadline = reversal_deadline(original)
    if today > deadline:
        return f"只能在批准后 {REVERSAL_WORKING_DAYS} 个工作日内（{deadline:%Y-%m-%d} 前）撤销，已超过期限。"
    try:
        _check_unchanged(original)
    except ValidationError as error:
        return error.messages[0]
    if ChangeRequest.objects.filter(pupil_id=original.pupil_id, status=RequestStatus.PENDING).exists():
        return "该学生有正在办理的变动申请，办结或撤回后才能撤销。"
    return None


@transaction.atomic
def reversal_start(*, actor: User, original_id: int, reason: str, today: date | None = None) -> ChangeRequest:
    """The bureau asks to reverse an approved status change; refused with the reason when it may
    not (see reversal_refusal). The original is locked so that two reversals cannot both start."""
    original = ChangeRequest.objects.select_for_update(of=("self",)).select_related("pupil__school").get(pk=original_id)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("请填写撤销理由。", code="reason_required")})
    refusal = reversal_refusal(user=actor, original=original, today=today)
    if refusal:
        raise ValidationError(refusal, code="not_reversible")
    last = original.steps.order_by("-position").first()
    payload = {
        "original": original.pk,
        "original_label": get_kind(original.kind).label,
        "original_approved_on": timezone.localtime(original.finished_at).date().isoformat(),
        "restore": _state_before(original, _status_changes(original)),
        "reason": reason[:300],
    }
    return request_start(kind=KIND, actor=actor, unit=last.unit, pupil=original.pupil, payload=payload)


ALL_KINDS = (ReversalKind,)
