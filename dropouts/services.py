"""Writes of dropouts/: absences, confirming a dropout, the steps of the return procedure (劝返),
closing a case on return (复学) or at 16.

The pupil's record is never cancelled for dropout: confirming moves it to 辍学 through
``pupil_set_status`` and the record stays in the school's lists for the compulsory years."""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from dropouts import selectors
from dropouts.models import Absence, CaseStep, DropoutCase
from dropouts.photos import photos_refusal, photos_store
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Role, Unit, User
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.models import Notice
from xueji.calendar import workdays
from xueji.codes import PupilStatus, nationality_choices
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil, SchoolClass
from xueji.pupils.services import pupil_move, pupil_set_status

# 学籍管理办法: "在校学生无故旷课达到2周…视为辍学": two school weeks, counted in working days.
DROPOUT_ABSENCE_DAYS = 10
# Steps a school logs by hand; the others are written by the services themselves.
MANUAL_STEPS = {CaseStep.Kind.HOME_VISIT, CaseStep.Kind.NOTICE, CaseStep.Kind.REFERRAL}
AGE_OF_CLOSURE = 16


@dataclass(frozen=True)
class Suspect:
    pupil: Pupil
    first_day: date
    last_day: date
    days: int


def record_absence(*, actor: User, pupil: Pupil, day: date, explained: bool = False, note: str = "") -> Absence:
    """Record (or correct) one day's absence of a pupil in school. Only working days are school
    days; a day recorded again replaces the earlier entry."""
    if not selectors.may_record_absence(actor, pupil):
        raise NotAllowed("只有本班班主任或本校学籍管理员可以记录缺课。")
    if pupil.status != PupilStatus.ENROLLED:
        raise ValidationError("只能为在籍在校的学生记录缺课。")
    if day > timezone.localdate():
        raise ValidationError({"day": "不能记录今天以后的缺课。"})
    if not workdays.is_working_day(day):
        raise ValidationError({"day": "这一天不是教学日（周末或节假日）。"})
    absence, _ = Absence.objects.update_or_create(
        pupil=pupil, day=day, defaults={"explained": explained, "note": note, "recorded_by": actor}
    )
    audit_record(action="dropout.absence", obj=pupil, user=actor,
                 detail=f"{day:%Y-%m-%d} 缺课{'（已说明原因）' if explained else '（无故）'}")
    return absence


def unexplained_streak(days: set[date], today: date) -> tuple[date, date, int] | None:
    """The run of consecutive school days with unexplained absence that is still going on: it
    ends today or on the school day before (today's register may not be taken yet). Consecutive
    means no school day between them, so a holiday or a weekend does not break the run."""
    if not days:
        return None
    last = max(days)
    if last > today or workdays.working_days_between(last, today) > 1:
        return None
    first, count = last, 1
    while (previous := workdays.add_working_days(first, -1)) in days:
        first, count = previous, count + 1
    return first, last, count


def suspected_dropouts(*, school: Unit, today: date) -> list[Suspect]:
    """The school's pupils in school with ten school days of unexplained absence in a row up to
    today: the list the registrar works from (confirm after contacting the family)."""
    # Only the last weeks matter: a run that reaches today is at most that long to be counted.
    since = workdays.add_working_days(today, -(DROPOUT_ABSENCE_DAYS + 1))
    by_pupil: dict[int, set[date]] = {}
    rows = Absence.objects.filter(
        pupil__school=school, pupil__status=PupilStatus.ENROLLED, pupil__deleted_at__isnull=True,
        explained=False, day__gte=since, day__lte=today,
    ).values_list("pupil_id", "day")
    for pupil_id, day in rows:
        by_pupil.setdefault(pupil_id, set()).add(day)
    # The run may be longer than the window: measure it on the pupil's whole log.
    suspects = []
    for pupil_id in by_pupil:
        days = set(Absence.objects.filter(pupil_id=pupil_id, explained=False, day__lte=today).values_list("day", flat=True))
        streak = unexplained_streak(days, today)
        if streak and streak[2] >= DROPOUT_ABSENCE_DAYS:
            suspects.append((pupil_id, streak))
    pupils = Pupil.objects.in_bulk([pupil_id for pupil_id, _ in suspects])
    return sorted(
        (Suspect(pupils[pid], first, last, count) for pid, (first, last, count) in suspects),
        key=lambda s: (s.first_day, s.pupil.name),
    )


@transaction.atomic
def confirm_dropout(
    *, actor: User, pupil: Pupil, contacts_tried: str, ground: str = DropoutCase.Ground.ABSENCE,
    ground_note: str = "", country: str = "", left_on: date | None = None, today: date | None = None,
) -> DropoutCase:
    """确认辍学: the pupil's status becomes 辍学 (never cancelled), the case opens, the bureau is
    reported to at once (a logged step and a notice to the county bureau).

    A pupil who left for abroad without applying (Ground.ABROAD) is a dropout too; the country
    and the day of leaving are recorded when the school knows them."""
    if not selectors.may_confirm(actor, pupil):
        raise NotAllowed("只有本校学籍管理员可以确认辍学。")
    today = today or timezone.localdate()
    # Lock the pupil first: two confirmations at once wait here, the second then sees 辍学.
    pupil = Pupil.objects.select_for_update().select_related("school").get(pk=pupil.pk)
    if pupil.status != PupilStatus.ENROLLED or pupil.deleted_at:
        raise ValidationError("只能确认在籍在校学生的辍学。")
    if not contacts_tried.strip():
        raise ValidationError({"contacts_tried": "请写明学校多次联系监护人要求复学的情况。"})
    if ground not in DropoutCase.Ground.values:
        raise ValidationError({"ground": "请选择辍学情形。"})
    if ground == DropoutCase.Ground.ABSENCE and not any(s.pupil.pk == pupil.pk for s in suspected_dropouts(school=pupil.school, today=today)):
        raise ValidationError({"ground": f"该生没有连续{DROPOUT_ABSENCE_DAYS}个教学日的无故缺课记录。"})
    if ground == DropoutCase.Ground.OTHER and not ground_note.strip():
        raise ValidationError({"ground_note": "请说明辍学情形。"})
    _check_abroad_details(ground, country, left_on, today)
    case = DropoutCase(
        pupil=pupil, school=pupil.school, ground=ground, ground_note=ground_note.strip(),
        country=country, left_on=left_on, contacts_tried=contacts_tried.strip(), opened_on=today, confirmed_by=actor,
    )
    case.full_clean()
    try:
        with transaction.atomic():
            case.save()
    except IntegrityError:
        raise ValidationError("该生已有进行中的辍学劝返记录。") from None
    pupil_set_status(actor=actor, pupil=pupil, status=PupilStatus.DROPPED_OUT, effective_date=today,
                     reason=f"辍学：{case.get_ground_display()}")
    _report_to_bureau(actor, case)
    # Off the 疑似辍学 ledger, onto the 辍学 ledger (the case). Imported here: ledgers reads services.
    from dropouts.ledgers import close_suspected_on_confirm

    close_suspected_on_confirm(pupil, today, actor)
    audit_record(action="dropout.confirm", obj=pupil, user=actor, detail=f"确认辍学：{case.get_ground_display()}")
    return case


def _check_abroad_details(ground: str, country: str, left_on: date | None, today: date) -> None:
    """Country and day of leaving belong to 出境未申请 only (a value left on the form after the
    registrar chose another ground is refused, not silently dropped)."""
    errors = {}
    if ground != DropoutCase.Ground.ABROAD:
        if country:
            errors["country"] = "只有“出境未向学校申请”的情形填写前往国家（地区）。"
        if left_on is not None:
            errors["left_on"] = "只有“出境未向学校申请”的情形填写出境日期。"
    else:
        if country and (country == "CHN" or country not in dict(nationality_choices())):
            errors["country"] = "请选择前往的国家或地区。"
        if left_on is not None and left_on > today:
            errors["left_on"] = "出境日期不能晚于确认辍学的日期。"
    if errors:
        raise ValidationError(errors)


def _report_to_bureau(actor: User, case: DropoutCase) -> None:
    """书面上报教育局 at once: the logged step, and the notice the county officers see."""
    bureau = case.school.supervising_bureau
    CaseStep.objects.create(
        case=case, kind=CaseStep.Kind.BUREAU_REPORT, day=case.opened_on, by=actor,
        text=f"已向{bureau.name if bureau else '教育局'}报告学生辍学，同时启动劝返复学程序。",
    )
    if bureau is not None:
        Notice.objects.create(
            key=f"dropout-{case.pk}-reported", kind=Notice.Kind.FOLLOW_UP, unit=bureau,
            role=Role.COUNTY_OFFICER if bureau.kind == "county_bureau" else "",
            message=f"{case.school.name}报告：学生{case.pupil.name}辍学（{case.get_ground_display()}），已启动劝返复学程序。",
        )


def _open_case_locked(case: DropoutCase) -> DropoutCase:
    # The case row is the lock of its procedure: a step and a closure cannot cross.
    case = DropoutCase.objects.select_for_update().select_related("pupil", "school").get(pk=case.pk)
    if not case.is_open:
        raise ValidationError("该辍学劝返已结案。")
    return case


@transaction.atomic
def add_step(
    *, actor: User, case: DropoutCase, kind: str, day: date, text: str = "", visitors: str = "", outcome: str = "",
    deadline: date | None = None, referred_to: str = "", photos: Sequence[CheckedFile] = (),
) -> CaseStep:
    """Log a step of the return procedure: a home visit (with its photos, checked by
    ``dropouts.photos.check_photos``), the written notice with its deadline, or the referral to
    the township government or street office."""
    if not selectors.may_log_steps(actor, case):
        raise NotAllowed("只有本校学籍管理员或校长可以记录劝返步骤。")
    case = _open_case_locked(case)
    if kind not in MANUAL_STEPS:
        raise ValidationError({"kind": "请选择家访、劝返复学通知书或报乡镇政府（街道办）。"})
    errors = {}
    if day > timezone.localdate():
        errors["day"] = "日期不能晚于今天。"
    elif day < case.opened_on:
        errors["day"] = "日期不能早于确认辍学的日期。"
    if kind == CaseStep.Kind.HOME_VISIT:
        if not visitors.strip():
            errors["visitors"] = "请填写家访人员。"
        if not outcome.strip():
            errors["outcome"] = "请填写家访结果。"
    if kind == CaseStep.Kind.NOTICE and (deadline is None or deadline <= day):
        errors["deadline"] = "请填写送达日期之后的限期复学日期。"
    if kind == CaseStep.Kind.REFERRAL:
        if not referred_to.strip():
            errors["referred_to"] = "请填写移交的乡镇政府或街道办。"
        if not text.strip():
            errors["text"] = "请写明移交情况及其采取的措施。"
    if refusal := photos_refusal(photos, kind):
        errors["photos"] = refusal
    if errors:
        raise ValidationError(errors)
    step = CaseStep.objects.create(
        case=case, kind=kind, day=day, by=actor, text=text.strip(), visitors=visitors.strip(),
        outcome=outcome.strip(), deadline=deadline if kind == CaseStep.Kind.NOTICE else None,
        referred_to=referred_to.strip(),
    )
    # Written last: a failure before this point leaves no file behind.
    photos_store(step=step, photos=photos, actor=actor)
    detail = f"劝返步骤：{step.get_kind_display()}" + (f"（照片 {len(photos)} 张）" if photos else "")
    audit_record(action="dropout.step", obj=case.pupil, user=actor, detail=detail)
    return step


RETURN_NOTICE_TEMPLATE = "dropouts/return_notice.html"


def return_notice_context(case: DropoutCase, step: CaseStep | None = None) -> dict:
    """What the 劝返复学通知书 to the guardian prints: the pupil, the guardian, the school, the
    deadline, and the boxes for the headmaster's signature, the school's stamp and the guardian's
    receipt. The given notice step, else the latest one. The caller checks who may print, and
    prints it with xueji.documents.printing.print_pdf (dropouts/views.py, dropout_notice_pdf)."""
    step = step or case.steps.filter(kind=CaseStep.Kind.NOTICE).order_by("-day", "-id").first()
    if step is None or step.kind != CaseStep.Kind.NOTICE:
        raise ValidationError("请先记录送达劝返复学通知书的步骤（含限期复学日期）。")
    pupil = case.pupil
    return {
        "case": case, "step": step, "pupil": pupil, "school": case.school,
        "student_number": pupil.student_number,
        "guardian": pupil.guardians.order_by("position").first(),
        "class_name": pupil.school_class.name if pupil.school_class_id else "",
        "bureau": case.school.supervising_bureau,
    }


@transaction.atomic
def close_returned(*, actor: User, case: DropoutCase, school_class: SchoolClass, day: date | None = None) -> DropoutCase:
    """复学: the pupil is back in school, in a class of the school (never a lower grade: no
    repeating in compulsory education), 在籍在校 again; the case closes."""
    if not selectors.may_close(actor, case):
        raise NotAllowed("只有本校学籍管理员可以办理复学。")
    case = _open_case_locked(case)
    day = day or timezone.localdate()
    if school_class.school_id != case.school_id:
        raise ValidationError({"school_class": "请选择本校的班级。"})
    if school_class.grade < case.pupil.grade:
        raise ValidationError({"school_class": "义务教育阶段不留级，不能编入低于原年级的班级。"})
    pupil_move(actor=actor, pupil=case.pupil, school=case.school, school_class=school_class, effective_date=day,
               reason="辍学劝返复学", status=PupilStatus.ENROLLED)
    _close(case, DropoutCase.Status.RETURNED, CaseStep.Kind.RETURNED, day, actor, f"复学，编入{school_class.name}。")
    return case


def sixteenth_birthday(pupil: Pupil) -> date:
    born = pupil.birth_date
    try:
        return born.replace(year=born.year + AGE_OF_CLOSURE)
    except ValueError:  # born on 29 February
        return date(born.year + AGE_OF_CLOSURE, 3, 1)


@transaction.atomic
def close_aged_out(*, actor: User | None, case: DropoutCase, day: date | None = None) -> DropoutCase:
    """The pupil turned 16 outside school: the procedure ends; the record stays 辍学 (it is
    kept, not cancelled). ``actor`` None is the daily sweep."""
    if actor is not None and not selectors.may_close(actor, case):
        raise NotAllowed("只有本校学籍管理员可以结案。")
    case = _open_case_locked(case)
    day = day or timezone.localdate()
    if day < sixteenth_birthday(case.pupil):
        raise ValidationError(f"该生{sixteenth_birthday(case.pupil):%Y年%m月%d日}年满16周岁，未到结案时间。")
    _close(case, DropoutCase.Status.AGED_OUT, CaseStep.Kind.AGED_OUT, day, actor, "学生年满16周岁，劝返程序结束，学籍保留。")
    return case


def close_all_aged_out(*, today: date) -> int:
    """The daily sweep: closes every open case whose pupil has turned 16. Idempotent."""
    closed = 0
    # Only those born at least sixteen years ago (a day's slack for 29 February) are looked at.
    born_by = date(today.year - 16, today.month, 28 if (today.month, today.day) == (2, 29) else today.day)
    candidates = DropoutCase.objects.filter(status=DropoutCase.Status.OPEN, pupil__birth_date__lte=born_by + timedelta(days=1))
    for case in candidates.select_related("pupil"):
        if sixteenth_birthday(case.pupil) <= today:
            close_aged_out(actor=None, case=case, day=today)
            closed += 1
    return closed


def _close(case: DropoutCase, status: str, step_kind: str, day: date, actor: User | None, text: str) -> None:
    case.status, case.closed_on = status, day
    case.save(update_fields=["status", "closed_on"])
    CaseStep.objects.create(case=case, kind=step_kind, day=day, by=actor, text=text)
    audit_record(action="dropout.close", obj=case.pupil, user=actor, detail=text)
