"""Starting a 注销学籍 (the rules are in cancellation/kinds.py with the kind): the grounds, the
guardian's written request and the proof, the date of death and its report's due date."""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from cancellation.kinds import (
    ADULT_AGE,
    CANCELLABLE,
    GROUNDS,
    GROUNDS_PROOF,
    KIND,
    REFUSED_GROUNDS,
    death_report_due,
)
from xueji.accounts.models import Role, User
from xueji.accounts.permissions import holds, require_registrar
from xueji.approvals.attachments import attachments_store
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import check_no_open_request, request_start
from xueji.calendar import workdays
from xueji.codes import PupilStatus
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil


def _birthday(birth: date, years: int) -> date:
    try:
        return birth.replace(year=birth.year + years)
    except ValueError:  # born on 29 February
        return date(birth.year + years, 3, 1)


def _age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# Starting ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CancellationApplication:
    grounds: str
    note: str = ""
    date_of_death: date | None = None  # death
    release_date: date | None = None  # imprisonment: the day the term ends
    country: str = ""  # emigration


def check_grounds(grounds: str) -> str:
    """The grounds, if they are one of the listed; otherwise the refusal with its reason."""
    if grounds in REFUSED_GROUNDS:
        raise ValidationError({"grounds": ValidationError(REFUSED_GROUNDS[grounds], code="grounds_refused")})
    if grounds not in GROUNDS:
        raise ValidationError({"grounds": ValidationError(
            "注销学籍只限以下情形：" + "；".join(GROUNDS.values()) + "。", code="grounds"
        )})
    return grounds


def may_start(user: User, pupil: Pupil) -> bool:
    """Whether the pupil's page offers the registrar of the pupil's school a cancellation."""
    return (
        pupil.status in CANCELLABLE and not pupil.deleted_at
        and holds(user, Role.REGISTRAR, pupil.school_id)
    )


@transaction.atomic
def cancellation_start(
    *,
    actor: User,
    pupil: Pupil,
    application: CancellationApplication,
    guardian_files: list[CheckedFile],
    proof_files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
    today: date | None = None,
) -> ChangeRequest:
    """注销学籍, asked by the registrar of the pupil's school on the guardian's written request.

    Refused: another school's registrar; a pupil not on the school's roll; any grounds but the
    listed (dropout, withdrawal and expulsion with their reasons); without the guardian's request
    or the proof; a date of death in the future; an imprisonment ending before the pupil is 16.
    A death reported after its 10 working days is accepted and marked late."""
    today = today or timezone.localdate()
    require_registrar(actor, pupil.school_id, message="只有本校学籍管理员可以发起注销学籍申请。")
    if pupil.deleted_at:
        raise ValidationError("该学籍已删除。", code="deleted")
    grounds = check_grounds(application.grounds)
    if pupil.status not in CANCELLABLE:
        raise ValidationError(
            f"该学生目前为“{PupilStatus(pupil.status).label}”状态，不能申请注销学籍。", code="status"
        )
    check_no_open_request(pupil)

    payload = {"grounds": grounds, "note": application.note.strip()[:500], "reported_on": today.isoformat()}
    if grounds == "death":
        payload.update(_death(pupil, application.date_of_death, today, resubmission_of))
    elif grounds == "imprisonment":
        payload.update(_imprisonment(pupil, application.release_date))
    elif grounds == "emigration":
        country = application.country.strip()
        if not country:
            raise ValidationError({"country": ValidationError("请填写定居的国家（地区）。", code="country_required")})
        payload["country"] = country[:50]
    if not guardian_files:
        raise ValidationError({"guardian_files": ValidationError(
            "请上传父母或其他监护人的书面申请。", code="guardian_request_required"
        )})
    if not proof_files:
        raise ValidationError({"proof_files": ValidationError(
            f"请上传证明材料：{GROUNDS_PROOF[grounds]}。", code="proof_required"
        )})
    change = request_start(kind=KIND, actor=actor, unit=pupil.school, pupil=pupil, payload=payload,
                           resubmission_of=resubmission_of)
    attachments_store(request=change, files=list(guardian_files), actor=actor, label="监护人书面申请")
    attachments_store(request=change, files=list(proof_files), actor=actor, label=GROUNDS_PROOF[grounds])
    return change


def _death(pupil: Pupil, date_of_death: date | None, today: date, resubmission_of: ChangeRequest | None) -> dict:
    if date_of_death is None:
        raise ValidationError({"date_of_death": ValidationError("请填写死亡日期。", code="date_of_death_required")})
    if date_of_death > today:
        raise ValidationError({"date_of_death": ValidationError("死亡日期不能晚于今天。", code="date_of_death_future")})
    if date_of_death < pupil.birth_date:
        raise ValidationError({"date_of_death": ValidationError("死亡日期不能早于出生日期。", code="date_of_death_before_birth")})
    due = death_report_due(date_of_death)
    # A corrected resubmission keeps the day the death was first reported.
    reported = today
    if resubmission_of is not None and resubmission_of.payload.get("reported_on"):
        reported = min(today, date.fromisoformat(resubmission_of.payload["reported_on"]))
    late_days = workdays.working_days_between(due, reported) if reported > due else 0
    return {"date_of_death": date_of_death.isoformat(), "report_due": due.isoformat(),
            "reported_on": reported.isoformat(), "late": reported > due, "late_working_days": late_days}


def _imprisonment(pupil: Pupil, release_date: date | None) -> dict:
    if release_date is None:
        raise ValidationError({"release_date": ValidationError("请填写刑满日期。", code="release_date_required")})
    if release_date < _birthday(pupil.birth_date, ADULT_AGE):
        raise ValidationError({"release_date": ValidationError(
            f"服刑期满时（{release_date:%Y-%m-%d}）该生未满十六周岁，不能注销学籍：刑满后应继续接受义务教育。",
            code="under_sixteen",
        )})
    return {"release_date": release_date.isoformat(), "age_at_release": _age_on(pupil.birth_date, release_date)}
