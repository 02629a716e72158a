"""Starting 休学, 复学 and 缓学: the rules checked before a request exists, each refusal one
ValidationError with its reason in Chinese. Deciding goes through the engine
(xueji.approvals.services); what only the bureau may grant is checked in suspensions/kinds.py.

Every function takes ``today`` so that the date rules can be tested on any day."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from suspensions.kinds import GROUNDS, GROUNDS_PROOF, MAX_CONSECUTIVE_YEARS
from suspensions.periods import add_months, deferral_deadline, filing_deadline, period_end
from suspensions.quota import pupil_over_cap
from xueji.accounts.models import User
from xueji.accounts.permissions import require_registrar
from xueji.approvals.attachments import attachments_store
from xueji.approvals.models import ChangeRequest, RequestStatus
from xueji.approvals.services import check_no_open_request, request_start
from xueji.codes import ENTRY_GRADES, GRADE_LABELS, PupilStatus
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil, SchoolClass
from xueji.pupils.selectors import class_cap, class_seats_left

# The grades a pupil enters school in, by school type (xueji.codes): only these may defer entry.


def _own_pupil(actor: User, pupil: Pupil) -> None:
    require_registrar(actor, pupil.school_id)
    if pupil.deleted_at:
        raise ValidationError("该学籍已删除。", code="deleted")
    check_no_open_request(pupil)


def _status_refusal(pupil: Pupil, what: str) -> ValidationError:
    return ValidationError(f"该学生目前为“{PupilStatus(pupil.status).label}”状态，不能申请{what}。", code="status")


def _county_level_hospital(hospital: str, county_level: bool, field: str = "hospital") -> str:
    hospital = hospital.strip()
    if len(hospital) < 2:
        raise ValidationError({field: ValidationError("请填写出具证明的医院名称。", code="hospital_required")})
    if not county_level:
        raise ValidationError({field: ValidationError(
            "证明须由县级以上（含县级）医院出具。", code="hospital_level"
        )})
    return hospital[:100]


def last_suspension(pupil: Pupil) -> ChangeRequest | None:
    """The pupil's latest approved suspension (or renewal): its payload holds the current period."""
    # A suspension the bureau reversed (撤销, xueji/approvals/reversal.py) never happened for this purpose.
    approved = ChangeRequest.objects.filter(pupil=pupil, kind="suspension", status=RequestStatus.APPROVED)
    return approved.exclude(payload__has_key="reversed_by").order_by("-finished_at", "-id").first()


def current_period_end(pupil: Pupil) -> date | None:
    """The day the pupil's suspension ends, for a suspended pupil."""
    last = last_suspension(pupil) if pupil.status == PupilStatus.SUSPENDED else None
    return date.fromisoformat(last.payload["period_end"]) if last else None


# 休学 ----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SuspensionApplication:
    grounds: str
    grounds_note: str
    first_absence: date | None  # not asked for a renewal: it continues the current period
    hospital: str = ""
    hospital_county_level: bool = False


@transaction.atomic
def suspension_start(
    *,
    actor: User,
    pupil: Pupil,
    application: SuspensionApplication,
    files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
    today: date | None = None,
) -> ChangeRequest:
    """休学, or its renewal for a pupil already suspended (续办休学): asked at the pupil's school.

    Refused: without proof for the grounds; later than one month after the first day of absence
    (a renewal: outside the last month of the current period); for a third consecutive year.
    A graduating grade, or a grade whose suspended pupils would exceed the cap, is flagged for the
    bureau, which may approve only with a reason (kinds.SuspensionKind.check_decision)."""
    today = today or timezone.localdate()
    _own_pupil(actor, pupil)
    if application.grounds not in GROUNDS:
        raise ValidationError({"grounds": ValidationError("请选择休学原因。", code="grounds")})
    if not files:
        raise ValidationError({"files": ValidationError(
            f"请上传证明材料：{GROUNDS_PROOF[application.grounds]}。", code="proof_required"
        )})
    hospital = ""
    if application.grounds == "illness":
        hospital = _county_level_hospital(application.hospital, application.hospital_county_level)

    previous = last_suspension(pupil)
    if pupil.status == PupilStatus.SUSPENDED and previous is not None:
        renewal_of = previous
        start = date.fromisoformat(previous.payload["period_end"])
        opens = add_months(start, -1)
        if not opens <= today <= start:
            raise ValidationError(
                f"续办休学应在休学期满前一个月内办理（{opens:%Y-%m-%d} 至 {start:%Y-%m-%d}）。", code="renewal_window"
            )
    elif pupil.status == PupilStatus.ENROLLED:
        renewal_of = None
        start = application.first_absence
        if start is None:
            raise ValidationError({"first_absence": ValidationError("请填写开始缺课的日期。", code="first_absence")})
        if start > today:
            raise ValidationError({"first_absence": ValidationError("开始缺课日期不能晚于今天。", code="first_absence")})
        if today > filing_deadline(start):
            raise ValidationError(
                f"休学须在开始缺课之日起一个月内办理（最迟 {filing_deadline(start):%Y-%m-%d}），已超过期限。", code="late"
            )
    else:
        raise _status_refusal(pupil, "休学")

    # A year continues the previous one when it starts the day that one ended.
    continues = previous is not None and previous.payload["period_end"] == start.isoformat()
    consecutive = previous.payload.get("consecutive_years", 1) + 1 if continues else 1
    if consecutive > MAX_CONSECUTIVE_YEARS:
        raise ValidationError("连续休学不得超过两年，不能再续办休学。", code="consecutive")

    payload = {
        "grounds": application.grounds,
        "grounds_note": application.grounds_note.strip()[:500],
        "hospital": hospital,
        "period_start": start.isoformat(),
        "period_end": period_end(start).isoformat(),
        "renewal_of": renewal_of.pk if renewal_of else None,
        "consecutive_years": consecutive,
        "grade": pupil.grade,
        "graduating": pupil.grade == pupil.school.graduating_grade,
        "over_cap": False,
    }
    if renewal_of is None:
        payload["over_cap"], payload["grade_count"] = pupil_over_cap(pupil)
    return request_start(kind="suspension", actor=actor, unit=pupil.school, pupil=pupil, payload=payload,
                         files=files, resubmission_of=resubmission_of)


# 复学 ----------------------------------------------------------------------------------------

def resumption_grades(pupil: Pupil) -> list[int]:
    """The original grade, or the next lower one (农安县办法 第二十四条)."""
    return [grade for grade in (pupil.grade, pupil.grade - 1) if grade in GRADE_LABELS]


@transaction.atomic
def resumption_start(
    *,
    actor: User,
    pupil: Pupil,
    target_class: SchoolClass,
    files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
    today: date | None = None,
) -> ChangeRequest:
    """复学 on the day the suspension ends (not earlier, not later: 000 四.2(2)), with a recovery
    certificate, into a class of the original grade or the next lower one that has room."""
    today = today or timezone.localdate()
    _own_pupil(actor, pupil)
    if pupil.status != PupilStatus.SUSPENDED:
        raise _status_refusal(pupil, "复学")
    ends = current_period_end(pupil)
    if ends is None:
        raise ValidationError("没有找到该学生已批准的休学记录，不能办理复学。", code="no_suspension")
    if today != ends:
        raise ValidationError(
            f"休学期满之日（{ends:%Y-%m-%d}）当天办理复学，不得提前或推后；不能按期复学的，请续办休学。", code="not_end_date"
        )
    if not files:
        raise ValidationError({"files": ValidationError("请上传县级以上（含县级）医院出具的康复证明或其他证明材料。", code="proof_required")})
    if target_class.school_id != pupil.school_id:
        raise ValidationError({"target_class": ValidationError("班级不属于本校。", code="other_school")})
    if target_class.grade not in resumption_grades(pupil):
        raise ValidationError({"target_class": ValidationError(
            f"复学只能回原年级（{GRADE_LABELS[pupil.grade]}）或下一年级就读。", code="grade"
        )})
    if class_seats_left(target_class) <= 0:
        raise ValidationError({"target_class": ValidationError(
            f"{target_class.name}已满（班额上限 {class_cap(target_class)} 人），请选择其他班级。", code="class_full"
        )})
    payload = {"resume_date": ends.isoformat(), "from_grade": pupil.grade, "to_grade": target_class.grade,
               "to_class": target_class.pk, "suspension": last_suspension(pupil).pk}
    return request_start(kind="resumption", actor=actor, unit=pupil.school, pupil=pupil, payload=payload,
                         files=files, resubmission_of=resubmission_of)


# 缓学 ----------------------------------------------------------------------------------------

@transaction.atomic
def deferral_start(
    *,
    actor: User,
    pupil: Pupil,
    hospital: str,
    hospital_county_level: bool,
    note: str,
    medical_files: list[CheckedFile],
    guardian_files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
    today: date | None = None,
) -> ChangeRequest:
    """缓学 (deferred entry) of a new pupil, before 1 September of the intake year, with a county-level
    hospital's certificate and the guardian's written request (000 四.3)."""
    today = today or timezone.localdate()
    _own_pupil(actor, pupil)
    if pupil.status != PupilStatus.ENROLLED:
        raise _status_refusal(pupil, "缓学")
    if pupil.grade not in ENTRY_GRADES.get(pupil.school.school_type, {1}):
        raise ValidationError("缓学只适用于新入学的学生（起始年级）。", code="not_entry_grade")
    intake_year = pupil.entry_date.year
    if today >= deferral_deadline(intake_year):
        raise ValidationError(f"缓学须在入学当年 9 月 1 日前办理（{intake_year}年9月1日前），已超过期限。", code="late")
    hospital = _county_level_hospital(hospital, hospital_county_level)
    if not medical_files:
        raise ValidationError({"medical_files": ValidationError("请上传县级以上医院出具的医务证明书。", code="proof_required")})
    if not guardian_files:
        raise ValidationError({"guardian_files": ValidationError("请上传家长书面缓学申请。", code="proof_required")})
    payload = {"intake_year": intake_year, "hospital": hospital, "note": note.strip()[:500], "filed_on": today.isoformat()}
    change = request_start(kind="deferral", actor=actor, unit=pupil.school, pupil=pupil, payload=payload,
                           resubmission_of=resubmission_of)
    attachments_store(request=change, files=list(medical_files), actor=actor, label="医务证明书")
    attachments_store(request=change, files=list(guardian_files), actor=actor, label="家长书面缓学申请")
    return change


# What a pupil's page offers ------------------------------------------------------------------

def kinds_startable_for(pupil: Pupil, today: date | None = None) -> list[str]:
    """Which of this app's requests the pupil's school may start today (the rules are checked
    again, in full, when it does)."""
    today = today or timezone.localdate()
    if pupil.status == PupilStatus.ENROLLED:
        kinds = ["suspension"]
        if pupil.grade in ENTRY_GRADES.get(pupil.school.school_type, {1}) and today < deferral_deadline(pupil.entry_date.year):
            kinds.append("deferral")
        return kinds
    if pupil.status == PupilStatus.SUSPENDED:
        ends = current_period_end(pupil)
        if ends is None:
            return []
        # On the end date: resume, or renew; in the month before it: renew.
        return (["resumption"] if today == ends else []) + (["suspension"] if add_months(ends, -1) <= today <= ends else [])
    return []
