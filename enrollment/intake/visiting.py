"""借读 (visiting pupils): the host school registers a pupil of another school by its 学籍号 and
name; the home school keeps the record (and its status) and is told; the host seats the pupil in
one of its classes, within the cap, until the visit ends."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from enrollment.intake.models import VisitingPupil
from enrollment.intake.services import REGISTRAR_ONLY
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Unit, User
from xueji.accounts.permissions import require_registrar
from xueji.approvals.models import Notice
from xueji.codes import PupilStatus
from xueji.pupils.lookup import find_pupil_for, refusals_as_not_found
from xueji.pupils.models import Pupil, SchoolClass
from xueji.pupils.selectors import class_cap

LONGEST_VISIT_DAYS = 366


def seats_taken(school_class: SchoolClass) -> int:
    pupils = school_class.pupils.filter(status=PupilStatus.ENROLLED, deleted_at__isnull=True).count()
    return pupils + VisitingPupil.objects.filter(school_class=school_class, ended_on__isnull=True).count()


def visit_start(*, actor: User, host: Unit, number: str, name: str, school_class: SchoolClass, start_date: date,
                planned_end: date, reason: str) -> VisitingPupil:
    """The host's registrar registers a visit. The host's own choices are checked first; then the
    pupil is found by number and name, and a refusal about a pupil the host may not see (status,
    grade, a visit elsewhere) is answered as "not found" and audited (xueji.pupils.lookup)."""
    require_registrar(actor, host, message=REGISTRAR_ONLY)
    if school_class.school_id != host.pk:
        raise ValidationError({"school_class": "请选择本校的班级。"})
    if not start_date <= planned_end or (planned_end - start_date).days > LONGEST_VISIT_DAYS:
        raise ValidationError({"planned_end": "预计结束日期应在开始日期之后，且借读一次不超过一年。"})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写借读原因。"})
    pupil = find_pupil_for(actor, number=number, name=name, errand="登记借读", unit=host)
    with refusals_as_not_found(actor, pupil, number=number, errand="登记借读", unit=host,
                               own_codes=frozenset({"class_full", "visiting_here"})):
        return _visit_start_for(actor=actor, host=host, pupil=pupil, school_class=school_class, start_date=start_date,
                                planned_end=planned_end, reason=reason)


@transaction.atomic
def _visit_start_for(*, actor: User, host: Unit, pupil: Pupil, school_class: SchoolClass, start_date: date,
                     planned_end: date, reason: str) -> VisitingPupil:
    if pupil.school_id == host.pk:
        raise ValidationError("该生就是本校学生，无需登记借读。")
    if pupil.status != PupilStatus.ENROLLED:
        raise ValidationError(f"该生学籍状态为“{pupil.get_status_display()}”，只有在籍在校的学生可以借读。")
    if school_class.grade != pupil.grade:
        raise ValidationError({"school_class": "借读班级应与学生所在年级一致。"})
    school_class = SchoolClass.objects.select_for_update().get(pk=school_class.pk)
    if seats_taken(school_class) >= class_cap(school_class):
        raise ValidationError({"school_class": ValidationError(
            f"{school_class.name}已满（班额上限 {class_cap(school_class)} 人）。", code="class_full")})
    if VisitingPupil.objects.filter(home_pupil=pupil, host_school=host, ended_on__isnull=True).exists():
        raise ValidationError("该生已在本校借读。", code="visiting_here")
    try:
        with transaction.atomic():
            visit = VisitingPupil.objects.create(
                home_pupil=pupil, host_school=host, school_class=school_class, start_date=start_date,
                planned_end=planned_end, reason=reason[:300], created_by=actor,
            )
    except IntegrityError:
        raise ValidationError("该生已在其他学校借读，须先结束那次借读。") from None
    Notice.objects.create(
        key=f"visit:{visit.pk}", kind=Notice.Kind.FOLLOW_UP, unit_id=pupil.school_id,
        message=f"本校学生{pupil.name}自 {start_date:%Y-%m-%d} 起在{host.name}借读，学籍仍在本校。",
    )
    audit_record(action="enrolment.visit", obj=pupil, user=actor, unit=host, detail=f"在{host.name}借读")
    return visit


@transaction.atomic
def visit_end(*, actor: User, visit: VisitingPupil, day: date | None = None) -> VisitingPupil:
    visit = VisitingPupil.objects.select_for_update().select_related("home_pupil", "host_school").get(pk=visit.pk)
    require_registrar(actor, visit.host_school, message=REGISTRAR_ONLY)
    if visit.ended_on is not None:
        raise ValidationError("这次借读已经结束。")
    visit.ended_on = day or timezone.localdate()
    if visit.ended_on < visit.start_date:
        raise ValidationError("结束日期不能早于借读开始日期。")
    visit.save(update_fields=["ended_on"])
    Notice.objects.create(
        key=f"visit-end:{visit.pk}", kind=Notice.Kind.FOLLOW_UP, unit_id=visit.home_pupil.school_id,
        message=f"本校学生{visit.home_pupil.name}在{visit.host_school.name}的借读已于 {visit.ended_on:%Y-%m-%d} 结束。",
    )
    audit_record(action="enrolment.visit_end", obj=visit.home_pupil, user=actor, unit=visit.host_school, detail="借读结束")
    return visit


# Reads for the other apps (学籍核查 lists a class's visiting pupils): they ask here rather than
# read VisitingPupil, so that a visit's shape stays this app's business.

def pupils_visiting_class(school_class: SchoolClass) -> list[Pupil]:
    """The visiting pupils seated in the class now (visits not ended): their records, which
    their home schools keep (``school_id`` is the home school)."""
    visits = VisitingPupil.objects.filter(school_class=school_class, ended_on__isnull=True).select_related("home_pupil")
    return [visit.home_pupil for visit in visits]


def host_schools_of_visiting(pupil_ids) -> dict[int, str]:
    """Of these pupils, those visiting another school now: pupil id → the host school's name."""
    visits = (VisitingPupil.objects.filter(home_pupil_id__in=pupil_ids, ended_on__isnull=True)
              .select_related("host_school"))
    return {visit.home_pupil_id: visit.host_school.name for visit in visits}
