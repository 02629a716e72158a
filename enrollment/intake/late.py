"""Late registration (补建学籍): a foreign, Hong Kong, Macao or Taiwan pupil, or one missed in
September, registered on its own. Only in October and March, applications by the 5th; the
school's headmaster signs, the county bureau approves; approval establishes the record like the
autumn batch does (enrollment.intake.kinds). The child need not be on the autumn's admission list."""

from datetime import date

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from enrollment.intake.kinds import EnrolmentKind
from enrollment.intake.models import EntryStatus
from enrollment.intake.services import REGISTRAR_ONLY, current_intake_year
from enrollment.intake.validation import Intake, IntakeRow, validate_intake
from xueji.accounts.models import Unit, User
from xueji.accounts.permissions import require_registrar
from xueji.approvals.services import request_start
from xueji.codes import GRADE_LABELS
from xueji.pupils.models import SchoolClass
from xueji.pupils.selectors import class_cap

LATE_KIND = "late_enrolment"
LATE_MONTHS = (10, 3)
LAST_DAY = 5
GROUNDS = {
    "overseas": "外籍或港澳台学生",
    "missed": "秋季新生建籍时漏报",
}


def check_late_window(today: date) -> None:
    if today.month not in LATE_MONTHS or today.day > LAST_DAY:
        raise ValidationError(
            "补建学籍只在每年 10 月和 3 月办理，申请须在当月 5 日前（含 5 日）提交。", code="outside_window"
        )


@transaction.atomic
def late_start(*, actor: User, school: Unit, row: IntakeRow, school_class: SchoolClass, grounds: str, note: str,
               today: date | None = None):
    """Check the pupil by every rule of a new pupil (but the admission list) and open the
    request: headmaster → (central school) → county bureau."""
    today = today or timezone.localdate()
    require_registrar(actor, school, message=REGISTRAR_ONLY)
    check_late_window(today)
    if grounds not in GROUNDS:
        raise ValidationError({"grounds": "请选择补建原因。"})
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "请说明需要补建学籍的情况。"})
    if school_class.school_id != school.pk:
        raise ValidationError({"school_class": "请选择本校的班级。"})
    seated = school_class.pupils.filter(status="enrolled", deleted_at__isnull=True).count()
    if seated >= class_cap(school_class):
        raise ValidationError({"school_class": f"{school_class.name}已满（班额上限 {class_cap(school_class)} 人）。"})
    intake = Intake(school=school, intake_year=current_intake_year(today), grade=school_class.grade)
    [entry] = validate_intake(intake, [row], require_admission=False)
    if grounds == "overseas" and entry.data.get("overseas_status") in (None, "", "00"):
        raise ValidationError({"overseas_status": "以“外籍或港澳台学生”补建的，请填写港澳台侨外情况。"})
    entry.created_by, entry.row, entry.school_class, entry.status = actor, None, school_class, EntryStatus.SUBMITTED
    entry.save()
    request = request_start(
        kind=LATE_KIND, actor=actor, unit=school, pupil=None,
        payload={"school": school.pk, "intake_year": intake.intake_year, "grade": school_class.grade,
                 "entries": [entry.pk], "grounds": grounds, "note": note[:500],
                 "subject": f"补建学籍：{entry.name}（{GRADE_LABELS[school_class.grade]}）"},
    )
    entry.batch = request
    entry.save(update_fields=["batch"])
    return request


class LateEnrolmentKind(EnrolmentKind):
    code = LATE_KIND
    label = "补建学籍"

    def details(self, request) -> list[tuple[str, str]]:
        payload = request.payload
        return [*super().details(request)[:3], ("补建原因", GROUNDS.get(payload.get("grounds"), "")),
                ("情况说明", payload.get("note", ""))]

    def resubmit_url(self, request) -> str | None:
        from django.urls import reverse

        return reverse("enrollment:enrolment_late")

    def check_decision(self, request, step, actor, approve, details) -> None:
        """One pupil: the decision's comment is the reason; no list of pupils to name."""

    def closed_without_effect(self, request) -> None:
        """Returned or withdrawn: the application is over (its content stays in the request);
        the school applies again, corrected, with a new one."""
        from enrollment.intake.kinds import _entries

        _entries(request).filter(status=EntryStatus.SUBMITTED).delete()
