"""Starting the requests of transfers/: the rules checked before a request exists, each refusal
with its reason in Chinese. Deciding goes through the engine (xueji.approvals.services)."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from transfers.kinds import GROUNDS, MID_SEMESTER_GROUNDS
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Unit, User
from xueji.accounts.permissions import require_registrar
from xueji.accounts.selectors import bureau_settings_for
from xueji.approvals.models import ChangeRequest, RequestStatus
from xueji.approvals.services import check_no_open_request, request_start
from xueji.codes import GRADE_LABELS, PupilStatus, nationality_choices
from xueji.files.proof import CheckedFile
from xueji.pupils.lookup import LOOKUP_ACTION, find_pupil_for, refusals_as_not_found
from xueji.pupils.models import Pupil, Sanction, SchoolClass, SchoolYear, Semester
from xueji.pupils.selectors import class_cap, class_seats_left
from xueji.pupils.services import pupil_move

# Statuses from which a pupil may be transferred in (学籍管理相关问题处理办法: 允许处于“出国”
# “其他离校”“退学”等状态的学生直接办理转学).
TRANSFERABLE_STATUSES = {PupilStatus.ENROLLED, PupilStatus.ABROAD, PupilStatus.OTHER_LEFT, PupilStatus.WITHDRAWN}


def transfer_window_refusal(*, school: Unit, grounds: str, today: date) -> str | None:
    """Why a transfer cannot start today at this school, or None. Transfers pause 15 July –
    14 August (bureau setting); in the middle of a semester only a job transfer or a residence
    move may transfer (the first two weeks and the last month are open, bureau settings)."""
    settings = bureau_settings_for(school)
    month_day = f"{today:%m-%d}"
    if settings.transfer_pause_start <= month_day <= settings.transfer_pause_end:
        return f"每年 {settings.transfer_pause_start} 至 {settings.transfer_pause_end} 暂停办理转学。"
    if grounds in MID_SEMESTER_GROUNDS:
        return None
    semester = Semester.objects.filter(start_date__lte=today, end_date__gte=today).first()
    if semester is None:
        return None  # between semesters: not the middle of one
    opens_until = semester.start_date + timedelta(days=settings.transfer_window_start_days - 1)
    reopens = semester.end_date - timedelta(days=settings.transfer_window_end_days - 1)
    if today <= opens_until or today >= reopens:
        return None
    return (
        f"学期中途原则上不办理转学（本学期可办理时间：{semester.start_date:%m月%d日}至{opens_until:%m月%d日}、"
        f"{reopens:%m月%d日}至{semester.end_date:%m月%d日}）；因父母工作调动或住所迁移的除外。"
    )


def _active_sanction(pupil: Pupil, today: date) -> Sanction | None:
    return pupil.sanctions.filter(Q(end_date__isnull=True) | Q(end_date__gte=today), start_date__lte=today).first()


def _local_limit_refusal(from_school: Unit, to_school: Unit) -> str | None:
    settings = bureau_settings_for(to_school)
    same_county = from_school.county_bureau is not None and from_school.county_bureau == to_school.county_bureau
    if settings.forbid_transfers_between_county_town_schools and from_school.is_county_town and to_school.is_county_town:
        return "本县规定县城学校之间原则上不办理转学。"
    if settings.forbid_transfers_within_township and same_county and from_school.township and from_school.township == to_school.township:
        return f"本县规定同一乡镇（{to_school.township}）内的学校之间不办理转学。"
    return None


@dataclass(frozen=True)
class TransferApplication:
    number: str  # 学籍号 or ID number
    name: str
    grounds: str
    grounds_note: str
    target_class: SchoolClass


def transfer_start(
    *,
    actor: User,
    school: Unit,
    application: TransferApplication,
    files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
    today: date | None = None,
) -> ChangeRequest:
    """The receiving school's registrar starts a transfer. Every refusal is one ValidationError
    with its reason. The application's own rules (grounds, proof, the class, the window, the
    class's room) come first; then the pupil is found by number and name, and a refusal about a
    pupil the registrar may not see (status, grade, sanction, open request, local limit) is
    answered as "not found" and audited (xueji.pupils.lookup): a receiving school learns of
    another school's pupil what the request shows, and nothing when it is refused."""
    today = today or timezone.localdate()
    require_registrar(actor, school)
    target = application.target_class
    if application.grounds not in GROUNDS:
        raise ValidationError({"grounds": "请选择转学理由。"})
    if not files:
        raise ValidationError({"files": "请上传转学证明材料（户口簿、居住证、房产证明或工作调动证明等）。"})
    if target.school_id != school.pk:
        raise ValidationError({"target_class": "目标班级不属于本校。"})
    refusal = transfer_window_refusal(school=school, grounds=application.grounds, today=today)
    if refusal:
        raise ValidationError(refusal, code="window")
    if class_seats_left(target) <= 0:
        raise ValidationError({"target_class": ValidationError(
            f"{target.name}已满（班额上限 {class_cap(target)} 人），请选择其他班级。", code="class_full"
        )})
    pupil = find_pupil_for(actor, number=application.number, name=application.name, errand="发起转学",
                           unit=school)
    # A resubmission refused is about the registrar's own request, checked after every rule about
    # the pupil has passed: it says no more than a transfer started would.
    with refusals_as_not_found(actor, pupil, number=application.number, errand="发起转学", unit=school,
                               own_codes=frozenset({"resubmission"})):
        return _transfer_start_for(actor=actor, school=school, pupil=pupil, application=application, files=files,
                                   resubmission_of=resubmission_of, today=today)


def _check_pupil(*, school: Unit, pupil: Pupil, today: date) -> None:
    """The rules about the pupil that do not depend on the application: not already here, a
    status that may transfer, no sanction running, no open request, no local limit."""
    if pupil.school_id == school.pk:
        raise ValidationError("该学生已在本校，无需转学。", code="same_school")
    if pupil.status not in TRANSFERABLE_STATUSES:
        raise ValidationError(f"该学生目前为“{PupilStatus(pupil.status).label}”状态，不能办理转学。", code="status")
    sanction = _active_sanction(pupil, today)
    if sanction:
        until = f"，至 {sanction.end_date:%Y-%m-%d}" if sanction.end_date else ""
        raise ValidationError(f"该学生正在处分期内（{sanction.get_kind_display()}{until}），不能转学。", code="sanction")
    check_no_open_request(pupil)
    refusal = _local_limit_refusal(pupil.school, school)
    if refusal:
        raise ValidationError(refusal, code="local_limit")


@dataclass(frozen=True)
class TransferLookup:
    """What the receiving school learns of a pupil it may transfer in, before it applies: the
    name as typed and checked, the grade, the school now, and its own classes of that grade that
    still have room (the only ones a transfer may go to: 转学不改变年级)."""

    pupil_id: int
    school_year_id: int | None
    number: str
    name: str
    grade: int
    grade_label: str
    from_school_name: str
    classes: list[SchoolClass]


def classes_with_room(school: Unit, grade: int, school_year_id: int | None) -> list[SchoolClass]:
    """The school's classes of ``grade`` with a seat left, in their order, of that school year
    (never next year's classes made ahead of promotion)."""
    classes = SchoolClass.objects.filter(school=school, grade=grade)
    if school_year_id:
        classes = classes.filter(school_year_id=school_year_id)
    classes = classes.select_related("school").order_by("number")
    return [school_class for school_class in classes if class_seats_left(school_class) > 0]


def _school_year_of(pupil: Pupil, today: date) -> int | None:
    """The school year a transfer seats the pupil in: the pupil's class's, else the one running."""
    if pupil.school_class_id:
        return pupil.school_class.school_year_id
    running = SchoolYear.objects.filter(start_date__lte=today, end_date__gte=today).first()
    return running.pk if running else None


def transfer_lookup(*, actor: User, school: Unit, number: str, name: str, today: date | None = None) -> TransferLookup:
    """The receiving school's registrar looks the pupil up by 学籍号 (or ID number) and name before
    applying: a pupil who may not transfer here is answered as "not found", exactly as a start
    would be (xueji.pupils.lookup), and a pupil found is audited (the pupil and the school that looked)."""
    today = today or timezone.localdate()
    require_registrar(actor, school)
    pupil = find_pupil_for(actor, number=number, name=name, errand="发起转学（查找学生）", unit=school)
    with refusals_as_not_found(actor, pupil, number=number, errand="发起转学（查找学生）", unit=school):
        _check_pupil(school=school, pupil=pupil, today=today)
    audit_record(action=LOOKUP_ACTION, obj=pupil, unit=school, user=actor,
                 detail=f"{school.name}发起转学：按学籍号（或身份证件号）和姓名查到该生（{GRADE_LABELS[pupil.grade]}）")
    school_year_id = _school_year_of(pupil, today)
    return TransferLookup(
        pupil_id=pupil.pk, school_year_id=school_year_id, number=number.strip(), name=name.strip(), grade=pupil.grade,
        grade_label=GRADE_LABELS[pupil.grade], from_school_name=pupil.school.name,
        classes=classes_with_room(school, pupil.grade, school_year_id),
    )


@transaction.atomic
def _transfer_start_for(
    *, actor: User, school: Unit, pupil: Pupil, application: TransferApplication, files: list[CheckedFile],
    resubmission_of: ChangeRequest | None, today: date,
) -> ChangeRequest:
    """The rules about the pupil, and the request."""
    target = application.target_class
    _check_pupil(school=school, pupil=pupil, today=today)
    if target.grade != pupil.grade:
        raise ValidationError({"target_class": ValidationError(
            f"转学不改变年级：学生在{GRADE_LABELS[pupil.grade]}，所选班级是{target.name}。", code="grade"
        )})
    graduating = pupil.grade == pupil.school.graduating_grade
    payload = {
        "from_school": pupil.school_id,
        "from_school_name": pupil.school.name,
        "from_class": pupil.school_class_id,
        "to_school": school.pk,
        "to_class": target.pk,
        "grounds": application.grounds,
        "grounds_note": application.grounds_note.strip()[:500],
        "needs_exception": graduating,
    }
    return request_start(
        kind="transfer", actor=actor, unit=school, pupil=pupil, payload=payload, files=files,
        resubmission_of=resubmission_of,
    )


def _own_pupil(actor: User, pupil: Pupil) -> None:
    require_registrar(actor, pupil.school_id)
    if pupil.deleted_at:
        raise ValidationError("该学籍已删除。")


@transaction.atomic
def study_abroad_start(
    *, actor: User, pupil: Pupil, country: str, departure_date: date, note: str, files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
) -> ChangeRequest:
    """出境学习: asked at the pupil's school; decided by the bureau."""
    _own_pupil(actor, pupil)
    if pupil.status != PupilStatus.ENROLLED:
        raise ValidationError(f"该学生目前为“{PupilStatus(pupil.status).label}”状态，不能申请出境学习。")
    if country not in dict(nationality_choices()) or country == "CHN":
        raise ValidationError({"country": "请选择前往的国家或地区。"})
    if not files:
        raise ValidationError({"files": "请上传护照、签证或境外学校录取通知等证明。"})
    payload = {"country": country, "departure_date": departure_date.isoformat(), "note": note.strip()[:500]}
    return request_start(kind="study_abroad", actor=actor, unit=pupil.school, pupil=pupil, payload=payload, files=files,
                         resubmission_of=resubmission_of)


@transaction.atomic
def abroad_return_start(
    *, actor: User, pupil: Pupil, return_date: date, target_class: SchoolClass, files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
) -> ChangeRequest:
    """A pupil back from abroad continues the same record at the school."""
    _own_pupil(actor, pupil)
    if pupil.status != PupilStatus.ABROAD:
        raise ValidationError("只有“出国”状态的学生可以办理回国复学。")
    if target_class.school_id != pupil.school_id:
        raise ValidationError({"target_class": "班级不属于本校。"})
    if class_seats_left(target_class) <= 0:
        raise ValidationError({"target_class": f"{target_class.name}已满，请选择其他班级。"})
    payload = {"return_date": return_date.isoformat(), "to_class": target_class.pk}
    return request_start(kind="abroad_return", actor=actor, unit=pupil.school, pupil=pupil, payload=payload, files=files,
                         resubmission_of=resubmission_of)


@transaction.atomic
def transfer_out_start(
    *, actor: User, pupil: Pupil, destination: str, reason: str, files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
) -> ChangeRequest:
    """转出: the pupil leaves for a place outside the system; the destination is recorded."""
    _own_pupil(actor, pupil)
    if pupil.status not in TRANSFERABLE_STATUSES:
        raise ValidationError(f"该学生目前为“{PupilStatus(pupil.status).label}”状态，不能办理转出。")
    destination = destination.strip()
    if len(destination) < 2:
        raise ValidationError({"destination": "请填写转往的省份和学校。"})
    payload = {"destination": destination[:200], "reason": reason.strip()[:500]}
    return request_start(kind="transfer_out", actor=actor, unit=pupil.school, pupil=pupil, payload=payload, files=files,
                         resubmission_of=resubmission_of)


@transaction.atomic
def transfer_confirm_arrival(*, actor: User, request: ChangeRequest, school_class: SchoolClass | None) -> ChangeRequest:
    """The receiving school confirms the pupil has arrived (报到): seated in a class with room,
    and a pupil who came from 出国/其他离校/退学 becomes 在籍在校."""
    request = ChangeRequest.objects.select_for_update().get(pk=request.pk)
    if request.kind != "transfer" or request.status != RequestStatus.APPROVED:
        raise ValidationError("只有已审批完成的转学可以确认报到。")
    if request.payload.get("arrived_on"):
        raise ValidationError("已经确认过报到。")
    school = Unit.objects.get(pk=request.payload["to_school"])
    require_registrar(actor, school, message="只有转入学校的学籍管理员可以确认报到。")
    pupil = Pupil.objects.get(pk=request.pupil_id)
    new_class = school_class or pupil.school_class
    if new_class is None:
        raise ValidationError({"school_class": "请为学生选择班级。"})
    if new_class.school_id != school.pk or new_class.grade != pupil.grade:
        raise ValidationError({"school_class": "请选择本校同年级的班级。"})
    if new_class.pk != pupil.school_class_id and class_seats_left(new_class) <= 0:
        raise ValidationError({"school_class": f"{new_class.name}已满，请选择其他班级。"})
    pupil_move(
        actor=actor, pupil=pupil, school=school, school_class=new_class, status=PupilStatus.ENROLLED,
        effective_date=timezone.localdate(), reason=f"转入后报到，编入{new_class.name}", change_request_id=request.pk,
    )
    request.payload["arrived_on"] = timezone.localdate().isoformat()
    request.save(update_fields=["payload"])
    return request


def kinds_startable_for(pupil: Pupil) -> list[str]:
    """Which of this app's requests the pupil's own school may start now."""
    if pupil.status == PupilStatus.ENROLLED:
        return ["study_abroad", "transfer_out"]
    if pupil.status == PupilStatus.ABROAD:
        return ["abroad_return", "transfer_out"]
    if pupil.status in TRANSFERABLE_STATUSES:
        return ["transfer_out"]
    return []
