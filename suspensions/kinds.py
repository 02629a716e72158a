"""The kinds of request of suspensions/: 休学 (suspension, and its renewal), 复学 (resumption) and
缓学 (deferred entry). Each is asked at the pupil's school: its headmaster signs (a rural school's
central school too), then the county bureau approves (农安县办法 第二十二、二十四条; 000 四.2–3).

The period and what the bureau granted live in the request's payload; the app's one table keeps the
reminders sent before a period ends (models.SuspensionReminder).
"""

from datetime import date

from django.core.exceptions import ValidationError
from django.urls import reverse

from suspensions.quota import cap_percent, pupil_over_cap
from xueji.accounts.models import BUREAU_ROLES, User
from xueji.approvals.chains import StepSpec, school_then_bureau
from xueji.approvals.kinds import RequestKind
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import notify
from xueji.codes import GRADE_LABELS, PupilStatus
from xueji.pupils.models import SchoolClass
from xueji.pupils.selectors import class_cap, class_seats_left
from xueji.pupils.services import pupil_move, pupil_set_status

GROUNDS = {
    "illness": "伤病",
    "abroad": "出国（境）就读",
    "other": "其他特殊原因",
}
# The proof each ground needs (农安县办法 第二十二条; 000 四.2(1)).
GROUNDS_PROOF = {
    "illness": "县级以上（含县级）医院出具的诊断证明、病历和医疗收费票据",
    "abroad": "护照（或港澳台通行证）和签证",
    "other": "公安或民政等部门出具的证明",
}
MAX_CONSECUTIVE_YEARS = 2  # 连续休学不得超过两年 (002)

# What the bureau may grant at its step, by the payload flag that asks for it: (the decision
# field, its label, the refusal when approving without a reason). "{percent}" is the bureau's cap.
EXCEPTIONS = {
    "graduating": ("graduating_reason", "毕业年级休学特批理由（同意时必填）",
                   "该生在毕业年级，原则上不准休学；如确需特批，请填写特批理由后再同意。"),
    "over_cap": ("over_cap_reason", "超出年级 {percent}% 休学比例的特批理由（同意时必填）",
                 "本校该年级休学人数将超过年级人数的 {percent}%；如确需批准，请填写理由后再同意。"),
}


def _exception(flag: str, percent: int) -> tuple[str, str, str]:
    field, label, refusal = EXCEPTIONS[flag]
    return field, label.format(percent=percent), refusal.format(percent=percent)


def _date(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _class(pk: int | None) -> SchoolClass | None:
    return SchoolClass.objects.filter(pk=pk).first() if pk else None


class OwnSchoolKind(RequestKind):
    """A request about a pupil, asked at the pupil's school and decided by its bureau."""

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(request.pupil.school)

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("suspensions:suspension_pupil_start", args=[request.pupil_id, self.code]) + f"?resubmit={request.pk}"

    def follow_up(self, request: ChangeRequest) -> None:
        notify(request, key=f"{self.code}:{request.pk}", unit=request.started_unit,
               message=f"{request.pupil.name}的{self.label}申请已审批完成。{self.done_note(request)}")

    def done_note(self, request: ChangeRequest) -> str:
        return ""

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        """打印申请表: for the guardian, the headmaster and the bureau to sign and stamp, at any
        stage (whoever sees the request's page may print it: suspensions/printing.py)."""
        return [("打印申请表", reverse("suspensions:suspension_request_form", args=[request.pk]))]


class SuspensionKind(OwnSchoolKind):
    code = "suspension"
    label = "休学"

    def check_decision(self, request, step: ApprovalStep, actor: User, approve: bool, details: dict):
        """At the bureau's step: a graduating pupil, or a grade over the cap (counted again now,
        as others may have been suspended since the start), needs the bureau's reason."""
        if not approve or step.role not in BUREAU_ROLES:
            return None
        asked, percent = self._asked(request)
        missing = {}
        for flag in asked:
            field, _label, refusal = _exception(flag, percent)
            if not (details.get(field) or "").strip():
                missing[field] = ValidationError(refusal, code="exception_required")
        return missing or None

    def decision_record(self, request, step: ApprovalStep, actor: User, approve: bool, details: dict) -> dict:
        """The grade counted again, and each exception the bureau granted with its reason."""
        if not approve or step.role not in BUREAU_ROLES:
            return {}
        payload = request.payload
        record = {}
        if not payload.get("renewal_of"):
            record["over_cap"], record["grade_count"] = pupil_over_cap(request.pupil)
        asked, percent = self._asked(request)
        granted = dict(payload.get("exceptions", {}))
        for flag in asked:
            field = _exception(flag, percent)[0]
            granted[flag] = {"reason": details[field].strip()[:300], "by": actor.pk, "unit": step.unit.name}
        return {**record, "exceptions": granted}

    @staticmethod
    def _asked(request) -> tuple[list[str], int]:
        """The exceptions this request still needs from the bureau (the grade counted again,
        unless it renews), and the cap's percent."""
        payload = request.payload
        over_cap, count = (payload.get("over_cap"), payload.get("grade_count", {}))
        if not payload.get("renewal_of"):
            over_cap, count = pupil_over_cap(request.pupil)
        percent = count.get("cap_percent") or cap_percent(request.pupil)
        flags = {"graduating": bool(payload.get("graduating")), "over_cap": bool(over_cap)}
        granted = payload.get("exceptions", {})
        return [flag for flag in EXCEPTIONS if flags[flag] and flag not in granted], percent

    def decision_fields(self, request: ChangeRequest, step: ApprovalStep) -> list[tuple[str, str]]:
        if step.role not in BUREAU_ROLES:
            return []
        payload = request.payload
        asked = {"graduating": bool(payload.get("graduating"))}
        percent = cap_percent(request.pupil)
        if not payload.get("renewal_of"):
            # Counted as check_decision will count it: others may have been suspended since.
            asked["over_cap"] = pupil_over_cap(request.pupil)[0]
        granted = payload.get("exceptions", {})
        return [_exception(flag, percent)[:2] for flag, needed in asked.items() if needed and flag not in granted]

    def apply(self, request: ChangeRequest, actor: User) -> None:
        """The pupil becomes 休学 from the first day of absence; a renewal keeps the status and
        carries the new period in its own payload."""
        payload = request.payload
        if payload.get("renewal_of"):
            return
        pupil_set_status(
            actor=actor, pupil=request.pupil, status=PupilStatus.SUSPENDED,
            effective_date=_date(payload["period_start"]),
            reason=f"休学（{GROUNDS.get(payload['grounds'], '')}）：{payload['period_start']} 至 {payload['period_end']}",
            change_request_id=request.pk,
        )

    def done_note(self, request: ChangeRequest) -> str:
        return f"休学期至 {request.payload['period_end']}，期满当天办理复学或续办休学。"

    def summary(self, request: ChangeRequest) -> str:
        payload = request.payload
        renewal = "续办" if payload.get("renewal_of") else ""
        return f"{renewal}休学（{GROUNDS.get(payload.get('grounds'), '')}），{payload.get('period_start', '')} 至 {payload.get('period_end', '')}"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        rows = [
            ("休学原因", GROUNDS.get(payload.get("grounds"), "")),
            ("情况说明", payload.get("grounds_note") or "—"),
            ("开始缺课日期" if not payload.get("renewal_of") else "续休开始日期", payload.get("period_start", "")),
            ("休学期满（复学日期）", payload.get("period_end", "")),
            ("连续休学", f"第 {payload.get('consecutive_years', 1)} 年"),
        ]
        if payload.get("hospital"):
            rows.append(("出具诊断证明的医院", payload["hospital"]))
        granted = payload.get("exceptions", {})
        if payload.get("graduating"):
            rows.append(("毕业年级特批", _granted_text(granted.get("graduating"))))
        if payload.get("over_cap"):
            count = payload.get("grade_count", {})
            rows.append((f"超出 {count.get('cap_percent', 3)}% 比例",
                         f"{count.get('suspended')}/{count.get('size')} 人；{_granted_text(granted.get('over_cap'))}"))
        return rows


def _granted_text(grant: dict | None) -> str:
    return f"{grant['unit']}特批：{grant['reason']}" if grant else "待教育局特批"


class ResumptionKind(OwnSchoolKind):
    code = "resumption"
    label = "复学"

    def check_decision(self, request, step: ApprovalStep, actor: User, approve: bool, details: dict):
        """The last approval seats the pupil: the class must still have room then."""
        if not approve or step.role not in BUREAU_ROLES:
            return None
        target = _class(request.payload["to_class"])
        if class_seats_left(target) <= 0:
            return {"__all__": ValidationError(
                f"{target.name}已满（班额上限 {class_cap(target)} 人），请退回由学校另选班级。", code="class_full")}
        return None

    def apply(self, request: ChangeRequest, actor: User) -> None:
        payload = request.payload
        target = _class(payload["to_class"])
        pupil_move(
            actor=actor, pupil=request.pupil, school=request.pupil.school, school_class=target,
            status=PupilStatus.ENROLLED, effective_date=_date(payload["resume_date"]), change_request_id=request.pk,
            reason=f"复学：休学期满，编入{target.name}",
        )

    def done_note(self, request: ChangeRequest) -> str:
        target = _class(request.payload["to_class"])
        return f"已编入{target.name if target else ''}。"

    def summary(self, request: ChangeRequest) -> str:
        payload = request.payload
        return f"休学期满复学（{payload.get('resume_date', '')}），回{GRADE_LABELS.get(payload.get('to_grade'), '')}"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        target = _class(payload.get("to_class"))
        return [
            ("休学期满日期", payload.get("resume_date", "")),
            ("原年级", GRADE_LABELS.get(payload.get("from_grade"), "")),
            ("复学编入", target.name if target else "—"),
        ]


class DeferralKind(OwnSchoolKind):
    code = "deferral"
    label = "缓学"

    def apply(self, request: ChangeRequest, actor: User) -> None:
        payload = request.payload
        pupil_set_status(
            actor=actor, pupil=request.pupil, status=PupilStatus.DEFERRED, effective_date=_date(payload["filed_on"]),
            reason=f"缓学：{payload['intake_year']}年秋季延缓入学", change_request_id=request.pk,
        )

    def summary(self, request: ChangeRequest) -> str:
        return f"{request.payload.get('intake_year', '')}年秋季延缓入学"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        return [
            ("入学年份", str(payload.get("intake_year", ""))),
            ("出具医务证明的医院", payload.get("hospital", "")),
            ("情况说明", payload.get("note") or "—"),
        ]


SUSPENSION_KINDS = ("suspension", "resumption", "deferral")
ALL_KINDS = (SuspensionKind, ResumptionKind, DeferralKind)
