"""Starting a 降级 (the rules are in special_education/kinds.py with the kind): a special-education
pupil in school, one grade down into a class of that grade with room, on the guardian's written
request with the proof."""

from django.core.exceptions import ValidationError
from django.db import transaction

from special_education.kinds import KIND, NOT_SPECIAL_EDUCATION, PROOF, is_special_education
from xueji.accounts.models import Role, User
from xueji.accounts.permissions import holds, require_registrar
from xueji.approvals.attachments import attachments_store
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import check_no_open_request, request_start
from xueji.codes import GRADE_LABELS, Disability, PupilStatus
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil, SchoolClass
from xueji.pupils.selectors import class_cap, class_seats_left

REASON_CHARS = 500


def lower_grade(pupil: Pupil) -> int | None:
    """The grade one below the pupil's, if the school teaches it (a junior school's seventh grade
    has none below it)."""
    grade = pupil.grade - 1
    return grade if grade in pupil.school.grades else None


def target_classes(pupil: Pupil) -> list[SchoolClass]:
    """The classes of the grade below that the pupil may join: of the pupil's school and of the
    school year of the pupil's class (the latest year's when the pupil has none), with room."""
    grade = lower_grade(pupil)
    if grade is None:
        return []
    classes = SchoolClass.objects.filter(school_id=pupil.school_id, grade=grade).select_related("school", "school_year")
    year_id = pupil.school_class.school_year_id if pupil.school_class_id else None
    if year_id is None:
        latest = classes.order_by("-school_year__start_year").values_list("school_year_id", flat=True).first()
        year_id = latest
    return [c for c in classes.filter(school_year_id=year_id).order_by("number") if class_seats_left(c) > 0]


def check_eligible(pupil: Pupil) -> None:
    """Why the pupil cannot move down a grade, as a ValidationError; nothing when it can."""
    if pupil.deleted_at:
        raise ValidationError("该学籍已删除。", code="deleted")
    if not is_special_education(pupil):
        raise ValidationError(NOT_SPECIAL_EDUCATION, code="not_special_education")
    if pupil.status != PupilStatus.ENROLLED:
        raise ValidationError(
            f"该学生目前为“{PupilStatus(pupil.status).label}”状态，只有在校学生可以申请降级。", code="status"
        )
    if lower_grade(pupil) is None:
        raise ValidationError(f"该生在本校最低年级（{GRADE_LABELS[pupil.grade]}），不能再降级。", code="lowest_grade")


def may_start(user: User, pupil: Pupil) -> bool:
    """Whether the pupil's page offers the registrar of the pupil's school a 降级."""
    if not holds(user, Role.REGISTRAR, pupil.school_id):
        return False
    try:
        check_eligible(pupil)
    except ValidationError:
        return False
    return True


@transaction.atomic
def grade_down_start(
    *,
    actor: User,
    pupil: Pupil,
    target_class: SchoolClass,
    reason: str,
    guardian_files: list[CheckedFile],
    proof_files: list[CheckedFile],
    resubmission_of: ChangeRequest | None = None,
) -> ChangeRequest:
    """降级, asked by the registrar of the pupil's school on the guardian's written request.

    Refused: another school's registrar; a pupil who is not a special-education pupil (with that
    reason); a pupil not in school, or in the school's lowest grade; a class not of the grade just
    below in this school, or full; without a reason, the guardian's request or the proof."""
    require_registrar(actor, pupil.school_id, message="只有本校学籍管理员可以发起降级申请。")
    check_eligible(pupil)
    check_no_open_request(pupil)
    grade = lower_grade(pupil)
    if target_class.school_id != pupil.school_id:
        raise ValidationError({"target_class": ValidationError("班级不属于本校。", code="other_school")})
    if target_class.grade != grade:
        raise ValidationError({"target_class": ValidationError(
            f"降级只能降一个年级：请选择{GRADE_LABELS[grade]}的班级。", code="grade"
        )})
    if class_seats_left(target_class) <= 0:
        raise ValidationError({"target_class": ValidationError(
            f"{target_class.name}已满（班额上限 {class_cap(target_class)} 人），请选择其他班级。", code="class_full"
        )})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": ValidationError("请填写申请降级的理由。", code="reason_required")})
    if not guardian_files:
        raise ValidationError({"guardian_files": ValidationError(
            "请上传父母或其他监护人的书面申请。", code="guardian_request_required"
        )})
    if not proof_files:
        raise ValidationError({"proof_files": ValidationError(f"请上传证明材料：{PROOF}。", code="proof_required")})
    disabled = bool(pupil.disability) and pupil.disability != Disability.NONE
    payload = {
        "from_grade": pupil.grade, "to_grade": grade, "to_class": target_class.pk, "reason": reason[:REASON_CHARS],
        # Why the pupil counts as a special-education pupil, as it stood when the request began.
        "special_education": "登记了残疾类型" if disabled else "特殊教育学校学生",
    }
    change = request_start(kind=KIND, actor=actor, unit=pupil.school, pupil=pupil, payload=payload,
                           resubmission_of=resubmission_of)
    attachments_store(request=change, files=list(guardian_files), actor=actor, label="监护人书面申请")
    attachments_store(request=change, files=list(proof_files), actor=actor, label=PROOF)
    return change
