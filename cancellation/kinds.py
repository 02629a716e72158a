"""注销学籍 (cancellation of a pupil's record): the request kind and its start service.

Only on the listed grounds (000 四.4; 农安县办法 第二十七、二十八条): death; a court's judgment or
ruling that the pupil is missing; loss of the capacity to learn; imprisonment whose term ends when
the pupil is over 16; settling abroad with no return to school. The guardian's written request and
the proof for the grounds are attached; the school verifies (its headmaster, and a rural school's
central school), the bureau confirms. The last approval sets the status: 死亡 for death, 注销
otherwise.

Never for a dropout (two weeks' unexcused absence is a 辍学, whose record stays), and there is no
withdrawal (退学) or expulsion (开除) in compulsory education: those grounds cannot be chosen, and
asking for them is refused with the reason.

Death is reported within 10 working days of the date of death (农安县办法 第二十八条). The request
records the date of death and that due date; a later report is still accepted (the record must be
closed all the same) but is marked late on the request for the bureau to see.

Everything lives in the request's payload (no table of its own).
"""

from datetime import date

from django.urls import reverse
from django.utils import timezone

from xueji.accounts.models import User
from xueji.approvals.chains import StepSpec, school_then_bureau
from xueji.approvals.kinds import RequestKind
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import notify
from xueji.calendar import workdays
from xueji.codes import PupilStatus
from xueji.pupils.services import pupil_set_status

KIND = "cancellation"

# The only grounds (000 四.4).
GROUNDS = {
    "death": "学生死亡",
    "disappearance": "经人民法院判决或裁定宣告失踪",
    "incapacity": "因故丧失学习能力",
    "imprisonment": "因违法犯罪服刑，服刑期满时已满十六周岁",
    "emigration": "出国（境）定居，不能复学",
}
# The proof each ground needs, besides the guardian's written request.
GROUNDS_PROOF = {
    "death": "医学死亡证明或公安机关出具的死亡证明",
    "disappearance": "人民法院宣告失踪的判决书或裁定书",
    "incapacity": "县级以上（含县级）医疗机构出具的诊断证明（或残疾证）",
    "imprisonment": "人民法院的刑事判决书（载明刑期）",
    "emigration": "出国（境）定居的证明：护照（或通行证）、签证或境外居留证明",
}
# Grounds that are asked for and must be refused, with the reason (000 四.4; 农安县办法 第二十七条).
REFUSED_GROUNDS = {
    "dropout": "辍学学生不得注销学籍：在校学生无故旷课达到 2 周视为辍学，应当劝返复学，不得注销其学籍。",
    "withdrawal": "义务教育阶段学生不得以任何理由退学，不能以退学为由注销学籍。",
    "expulsion": "义务教育阶段学校不得劝退、开除学生，不能以开除为由注销学籍。",
}
DEATH_REPORT_WORKING_DAYS = 10
ADULT_AGE = 16  # 服刑期满超过十六周岁
# Whose record may be cancelled: pupils on the school's roll (in school, suspended, deferred, on
# record as dropped out or abroad). A dropout can still be cancelled on a listed ground (a death),
# never for the dropping out.
CANCELLABLE = {
    PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.DEFERRED, PupilStatus.DROPPED_OUT, PupilStatus.ABROAD,
}


def death_report_due(date_of_death: date) -> date:
    """The last day to report a death: the 10th working day after it."""
    return workdays.add_working_days(date_of_death, DEATH_REPORT_WORKING_DAYS)


class CancellationKind(RequestKind):
    code = KIND
    label = "注销学籍"

    def chain(self, request: ChangeRequest) -> list[StepSpec]:
        return school_then_bureau(request.pupil.school, school_label="学校核实：", bureau_label="确认")

    def apply(self, request: ChangeRequest, actor: User) -> None:
        """死亡 from the date of death; 注销 from the day the bureau confirms."""
        payload = request.payload
        death = payload["grounds"] == "death"
        pupil_set_status(
            actor=actor, pupil=request.pupil,
            status=PupilStatus.DECEASED if death else PupilStatus.CANCELLED,
            effective_date=date.fromisoformat(payload["date_of_death"]) if death else timezone.localdate(),
            reason=f"注销学籍：{GROUNDS[payload['grounds']]}", change_request_id=request.pk,
        )

    def follow_up(self, request: ChangeRequest) -> None:
        notify(request, key=f"{KIND}:{request.pk}", unit=request.started_unit,
               message=f"{request.pupil.name}的注销学籍申请已确认，学籍状态为“{PupilStatus(request.pupil.status).label}”。")

    def summary(self, request: ChangeRequest) -> str:
        payload = request.payload
        late = "，逾期报告" if payload.get("late") else ""
        return f"注销学籍（{GROUNDS.get(payload.get('grounds'), '')}{late}）"

    def details(self, request: ChangeRequest) -> list[tuple[str, str]]:
        payload = request.payload
        rows = [("注销原因", GROUNDS.get(payload.get("grounds"), "")), ("报告日期", payload.get("reported_on", ""))]
        if payload.get("grounds") == "death":
            rows += [
                ("死亡日期", payload.get("date_of_death", "")),
                (f"应报时限（死亡之日起 {DEATH_REPORT_WORKING_DAYS} 个工作日内）", payload.get("report_due", "")),
                ("是否逾期", f"逾期报告：超过时限 {payload.get('late_working_days')} 个工作日" if payload.get("late") else "按时报告"),
            ]
        if payload.get("release_date"):
            rows.append(("刑满日期", f"{payload['release_date']}（届时 {payload.get('age_at_release')} 周岁）"))
        if payload.get("country"):
            rows.append(("定居国家（地区）", payload["country"]))
        rows += [("监护人书面申请", "已附"), ("情况说明", payload.get("note") or "—")]
        return rows

    def resubmit_url(self, request: ChangeRequest) -> str | None:
        return reverse("cancellation:cancellation_pupil_start", args=[request.pupil_id]) + f"?resubmit={request.pk}"

    def links_for(self, request: ChangeRequest, user: User) -> list[tuple[str, str]]:
        """打印申请表: for the guardian, the headmaster and the bureau to sign and stamp, at any
        stage (whoever sees the request's page may print it: cancellation/printing.py)."""
        return [("打印申请表", reverse("cancellation:cancellation_request_form", args=[request.pk]))]


ALL_KINDS = (CancellationKind,)
