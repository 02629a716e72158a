"""降级 (moving a special-education pupil down one grade, 2025 中小学生学籍管理办法 第十四条): compulsory
education has no repeating of a year (农安县办法 第二十六条: 不留级), except that a pupil receiving
special education may, at the guardian's request, move down a grade where the pupil's condition
calls for it.

Who counts as a special-education pupil (``is_special_education``): a pupil whose record has a
disability type (残疾类型 other than 无残疾, however taught: 随班就读, 送教上门 or at a special
school), or any pupil of a special-education school (特殊教育学校). Every other pupil is refused
with that reason.

The chain: the guardian's written request with the proof (a 残疾证, a diagnosis or an assessment
of the pupil's learning) is filed by the registrar of the pupil's school; its headmaster (and a
rural school's central school) verifies, the county bureau approves. The last approval moves the
pupil down one grade into the class the school chose (of that grade, with room then), in the
status and field history (xueji.pupils.services.pupil_move).

Everything lives in the request's payload (no table of its own).
"""

from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from xueji.accounts.models import BUREAU_ROLES, User
from xueji.approvals.chains import StepSpec, school_then_bureau
from xueji.approvals.kinds import RequestKind
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import notify
from xueji.codes import GRADE_LABELS, Disability, SchoolType
from xueji.pupils.models import Pupil, SchoolClass
from xueji.pupils.selectors import class_cap, class_seats_left
from xueji.pupils.services import pupil_move
from xueji.pupils.visibility import MASK, visibility_for

KIND = "grade_down"
NOT_SPECIAL_EDUCATION = (
    "只有特殊教育学生可以申请降级（登记了残疾类型的学生，或特殊教育学校的学生）；"
    "义务教育阶段其他学生实行不留级制度。"
)
PROOF = "残疾证、县级以上医疗机构的诊断证明或教育评估意见"
# The rows of the request that tell of the pupil's disability.
DISABILITY_ROWS = {"特殊教育学生", "申请理由"}


def is_special_education(pupil: Pupil) -> bool:
    """A pupil with a disability type on the record, or any pupil of a special-education school."""
    disabled = bool(pupil.disability) and pupil.disability != Disability.NONE
    return disabled or pupil.school.school_type == SchoolType.SPECIAL


def _class(pk) -> SchoolClass | None:
    return SchoolClass.objects.select_related("school").filter(pk=pk).first() if pk else None


class GradeDownKind(RequestKind):
    code = KIND
    label = "降级"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(request.pupil.school, school_label="学校审核：", bureau_label="审批")

    def check_decision(self, request, step: ApprovalStep, actor: User, approve: bool, details: dict):
        """At the bureau's step, which applies: the pupil still in the grade asked from (a
        promotion since moves it on), and the chosen class still with room."""
        if not approve or step.role not in BUREAU_ROLES:
            return None
        payload, pupil = request.payload, request.pupil
        if pupil.grade != payload["from_grade"]:
            return {"__all__": ValidationError(
                f"该生现为{GRADE_LABELS.get(pupil.grade, '')}，已不是申请时的{GRADE_LABELS[payload['from_grade']]}，"
                "请退回由学校重新申请。", code="grade_changed")}
        target = _class(payload["to_class"])
        if target is None or target.school_id != pupil.school_id:
            return {"__all__": ValidationError("申请编入的班级已不存在，请退回由学校另选班级。", code="class_gone")}
        if class_seats_left(target) <= 0:
            return {"__all__": ValidationError(
                f"{target.name}已满（班额上限 {class_cap(target)} 人），请退回由学校另选班级。", code="class_full")}
        return None

    def apply(self, request: ChangeRequest, actor: User) -> None:
        payload = request.payload
        target = _class(payload["to_class"])
        pupil_move(
            actor=actor, pupil=request.pupil, school=request.pupil.school, school_class=target,
            effective_date=timezone.localdate(), change_request_id=request.pk,
            reason=f"降级：由{GRADE_LABELS[payload['from_grade']]}降至{GRADE_LABELS[target.grade]}，编入{target.name}",
        )

    def follow_up(self, request: ChangeRequest) -> None:
        target = _class(request.payload.get("to_class"))
        notify(request, key=f"{KIND}:{request.pk}", unit=request.started_unit,
               message=f"{request.pupil.name}的降级申请已审批完成，已编入{target.name if target else ''}。")

    def summary(self, request: ChangeRequest) -> str:
        payload = request.payload
        return (f"降级：{GRADE_LABELS.get(payload.get('from_grade'), '')}"
                f" → {GRADE_LABELS.get(payload.get('to_grade'), '')}")

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        target = _class(payload.get("to_class"))
        return [
            ("原年级", GRADE_LABELS.get(payload.get("from_grade"), "")),
            ("降至", GRADE_LABELS.get(payload.get("to_grade"), "")),
            ("编入班级", target.name if target else "—"),
            ("特殊教育学生", payload.get("special_education", "")),
            ("申请理由", payload.get("reason") or "—"),
            ("监护人书面申请", "已附"),
        ]

    def details_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        """Why the pupil is a special-education pupil and the reason (the pupil's condition) are
        the disability group's: "***" for those who do not see it (a city officer, a head
        teacher: xueji.pupils.visibility)."""
        rows = self.details(request)
        if visibility_for(user, request.pupil).sees["disability"]:
            return rows
        return [(label, MASK if label in DISABILITY_ROWS else value) for label, value in rows]

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("special_education:grade_down_pupil_start", args=[request.pupil_id]) + f"?resubmit={request.pk}"

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        """打印申请表, for the guardian, the headmaster and the bureau to sign and stamp."""
        return [("打印申请表", reverse("special_education:grade_down_request_form", args=[request.pk]))]
