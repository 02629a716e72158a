"""The kinds of request of transfers/: a transfer between schools, studying abroad and coming
back, and leaving the system (转出). Their chains, decision checks, effects and follow-ups.

中小学生学籍管理办法 and 农安县办法 第四章: the receiving school starts a transfer; across counties the
chain is 转入校 → 转入局 → 转出校 → 转出局, within one county 转入校 → 转出校 → 县局, and across
provinces the two provinces' offices join; each party decides within 10 working days.
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from transfers.left.services import left_copy_keep
from xueji.accounts.models import BUREAU_ROLES, Role, Unit, User
from xueji.accounts.permissions import holds
from xueji.approvals.chains import StepSpec, receiving_then_sending, school_then_bureau
from xueji.approvals.kinds import RequestKind
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import notify
from xueji.codes import PupilStatus, nationality_label
from xueji.pupils.models import SchoolClass
from xueji.pupils.selectors import class_seats_left
from xueji.pupils.services import pupil_move, pupil_set_status

GROUNDS = {
    "residence": "户籍或住所迁移",
    "job": "父母工作调动",
    "migrant": "进城务工人员随迁子女",
    "other": "其他特殊情况",
}
# The kinds of this app: a transfer between schools, studying abroad, coming back, leaving the system.
TRANSFER_KINDS = ("transfer", "study_abroad", "abroad_return", "transfer_out")
# Grounds that may transfer in the middle of a semester.
MID_SEMESTER_GROUNDS = {"residence", "job"}


def _unit(pk: int) -> Unit:
    return Unit.objects.select_related("parent").get(pk=pk)


def _exception_reason(details: dict) -> str:
    return (details.get("exception_reason") or "").strip()


def _class(pk: int | None) -> SchoolClass | None:
    return SchoolClass.objects.select_related("school").filter(pk=pk).first() if pk else None


def _prepare_target_classes(requests: list[ChangeRequest]) -> None:
    """The target classes of a page of requests in one query, for their summaries."""
    wanted = {request.payload.get("to_class") for request in requests} - {None}
    classes = SchoolClass.objects.select_related("school").in_bulk(wanted)
    for request in requests:
        request._target_classes = classes


def _target_class(request: ChangeRequest) -> SchoolClass | None:
    """The request's target class: from _prepare_target_classes when it ran, else a query."""
    pk = request.payload.get("to_class")
    prepared = getattr(request, "_target_classes", None)
    return prepared.get(pk) if prepared is not None else _class(pk)


class TransferKind(RequestKind):
    code = "transfer"
    label = "转学"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return receiving_then_sending(_unit(request.payload["to_school"]), _unit(request.payload["from_school"]))

    def involved_units(self, request: ChangeRequest) -> list[Unit]:
        return [_unit(request.payload["to_school"]), _unit(request.payload["from_school"])]

    def check_decision(self, request, step: ApprovalStep, actor: User, approve: bool, details: dict):
        """A pupil in a graduating grade transfers only by a bureau's exception, with a reason,
        given at its step (the first bureau that approves grants it for the rest of the chain)."""
        if self._exception_asked(request, step, approve) and not _exception_reason(details):
            return {"exception_reason": ValidationError(
                "该生在毕业年级，原则上不准转学；如确需特批，请填写特批理由后再同意。", code="exception_required"
            )}
        return None

    def decision_record(self, request, step: ApprovalStep, actor: User, approve: bool, details: dict) -> dict:
        if not self._exception_asked(request, step, approve):
            return {}
        return {"exception": {"reason": _exception_reason(details)[:300], "by": actor.pk, "unit": step.unit.name}}

    @staticmethod
    def _exception_asked(request, step: ApprovalStep, approve: bool) -> bool:
        payload = request.payload
        return bool(approve and payload.get("needs_exception") and not payload.get("exception") and step.role in BUREAU_ROLES)

    def apply(self, request: ChangeRequest, actor: User) -> None:
        """The pupil moves: school and class (if the class still has room), same grade, same
        status (a pupil coming from 出国/其他离校/退学 becomes 在籍在校 when the school confirms
        arrival), status and field history."""
        payload = request.payload
        to_school = _unit(payload["to_school"])
        left_copy_keep(request, destination=to_school.name)  # the sending school's copy, before the move
        target = _class(payload.get("to_class"))
        if target is not None and class_seats_left(target) <= 0:
            target = None  # full by now: the receiving school seats the pupil in another class
            payload["class_full_on_arrival"] = True
        pupil_move(
            actor=actor, pupil=request.pupil, school=to_school, school_class=target,
            effective_date=timezone.localdate(), change_request_id=request.pk,
            reason=f"转学：由{_unit(payload['from_school']).name}转入{to_school.name}",
        )

    def follow_up(self, request: ChangeRequest) -> None:
        """The receiving school is told to seat the pupil. (The sending school's paper archive
        follows the pupil: the archives app opens the hand-over when a pupil changes school.)"""
        seat = "（原定班级已满，请另行安排班级）" if request.payload.get("class_full_on_arrival") else ""
        notify(request, key=f"seat:{request.pk}", unit=_unit(request.payload["to_school"]),
               message=f"{request.pupil.name}的转学已审批完成，请通知学生报到并在系统中确认{seat}。")

    def prepare_summaries(self, requests: list[ChangeRequest]) -> None:
        _prepare_target_classes(requests)

    def summary(self, request: ChangeRequest) -> str:
        payload = request.payload
        target = _target_class(request)
        where = f"{target.school.name}{target.name}" if target else _unit(payload["to_school"]).name
        return f"由{payload.get('from_school_name', '')}转入{where}，理由：{GROUNDS.get(payload.get('grounds'), '')}"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        target = _class(payload.get("to_class"))
        rows = [
            ("转出学校", payload.get("from_school_name", "")),
            ("转入学校", _unit(payload["to_school"]).name),
            ("转入班级", target.name if target else "—"),
            ("转学理由", GROUNDS.get(payload.get("grounds"), "")),
            ("情况说明", payload.get("grounds_note") or "—"),
        ]
        if payload.get("needs_exception"):
            exception = payload.get("exception")
            rows.append(("毕业年级特批", f"{exception['unit']}特批：{exception['reason']}" if exception else "待教育局特批"))
        if payload.get("arrived_on"):
            rows.append(("报到日期", payload["arrived_on"]))
        return rows

    def decision_fields(self, request: ChangeRequest, step: ApprovalStep) -> list[tuple[str, str]]:
        payload = request.payload
        if payload.get("needs_exception") and not payload.get("exception") and step.role in BUREAU_ROLES:
            return [("exception_reason", "毕业年级特批理由（同意时必填）")]
        return []

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("transfers:transfer_start") + f"?resubmit={request.pk}"

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        """The papers (where the bureaus use them: transfers/printing.py), for whoever sees the
        request; once approved, the receiving registrar's 确认学生报到."""
        from transfers.printing import paper_links  # printing imports this module

        links = paper_links(request)
        if request.status == "approved" and not request.payload.get("arrived_on") and holds(
                user, Role.REGISTRAR, request.payload["to_school"]):
            links.append(("确认学生报到", reverse("transfers:transfer_arrive", args=[request.pk])))
        return links


class StudyAbroadKind(RequestKind):
    """出境学习: asked at the current school, decided by the bureau; country and date recorded."""

    code = "study_abroad"
    label = "出境学习"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(request.pupil.school)

    def apply(self, request: ChangeRequest, actor: User) -> None:
        payload = request.payload
        left_copy_keep(request, destination=f"出境学习：{nationality_label(payload['country'])}，{payload['departure_date']}出境")
        pupil_set_status(
            actor=actor, pupil=request.pupil, status=PupilStatus.ABROAD,
            effective_date=date.fromisoformat(payload["departure_date"]),
            reason=f"出境学习：{nationality_label(payload['country'])}，{payload['departure_date']}出境",
            change_request_id=request.pk,
        )

    def summary(self, request: ChangeRequest) -> str:
        payload = request.payload
        return f"前往{nationality_label(payload.get('country', ''))}学习，{payload.get('departure_date', '')}出境"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        return [("前往国家或地区", nationality_label(payload.get("country", ""))), ("出境日期", payload.get("departure_date", "")),
                ("说明", payload.get("note") or "—")]

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("transfers:pupil_request_start", args=[request.pupil_id, self.code]) + f"?resubmit={request.pk}"


class AbroadReturnKind(RequestKind):
    """A pupil back from abroad continues the same record at the school, in a class."""

    code = "abroad_return"
    label = "出境学习回国复学"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(request.pupil.school)

    def apply(self, request: ChangeRequest, actor: User) -> None:
        target = _class(request.payload["to_class"])
        pupil_move(
            actor=actor, pupil=request.pupil, school=request.pupil.school, school_class=target,
            status=PupilStatus.ENROLLED, effective_date=timezone.localdate(), change_request_id=request.pk,
            reason=f"回国复学：{request.payload.get('return_date', '')}回国，编入{target.name}",
        )

    def prepare_summaries(self, requests: list[ChangeRequest]) -> None:
        _prepare_target_classes(requests)

    def summary(self, request: ChangeRequest) -> str:
        target = _target_class(request)
        return f"回国复学，编入{target.name if target else ''}"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        target = _class(request.payload.get("to_class"))
        return [("回国日期", request.payload.get("return_date", "")), ("编入班级", target.name if target else "—")]

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("transfers:pupil_request_start", args=[request.pupil_id, self.code]) + f"?resubmit={request.pk}"


class TransferOutKind(RequestKind):
    """转出: leaving the system (to a province that does not use it); the destination is kept."""

    code = "transfer_out"
    label = "转出（系统外）"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(request.pupil.school)

    def apply(self, request: ChangeRequest, actor: User) -> None:
        payload = request.payload
        left_copy_keep(request, destination=payload["destination"])
        pupil_move(
            actor=actor, pupil=request.pupil, school=request.pupil.school, school_class=None,
            status=PupilStatus.TRANSFERRED_OUT, effective_date=timezone.localdate(), change_request_id=request.pk,
            reason=f"转出至{payload['destination']}",
        )

    def summary(self, request: ChangeRequest) -> str:
        return f"转出至{request.payload.get('destination', '')}"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        return [("转往", request.payload.get("destination", "")), ("原因", request.payload.get("reason") or "—")]

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("transfers:pupil_request_start", args=[request.pupil_id, self.code]) + f"?resubmit={request.pk}"
