"""Documents of schoolyear/: the 学历证明书 and the graduate list (PDF), through
``xueji.documents.printing`` (the verification code, who made it and when, the record and the
audit entry). The list of a school's graduates with their 义务教育证书 numbers (xlsx) leaves
through an export request (schoolyear/exports.py)."""

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from schoolyear.dates import level_label
from xueji.accounts.models import BUREAU_ROLES, UnitKind, User
from xueji.approvals.models import ChangeRequest, RequestStatus, StepStatus
from xueji.codes import GRADE_LABELS
from xueji.documents.printing import PrintedPdf, print_pdf, printed_pupil
from xueji.identity import mask_id_number, mask_student_number
from xueji.pupils.visibility import sees_full_record


@dataclass(frozen=True)
class Confirmation:
    """The bureau's confirmation as the proof prints it."""

    unit_name: str
    by: str
    at: datetime


def bureau_confirmation(change: ChangeRequest) -> Confirmation | None:
    """The bureau's approval of an approved proof (its last step), else None."""
    if change.status != RequestStatus.APPROVED:
        return None
    step = (change.steps.filter(status=StepStatus.APPROVED, role__in=BUREAU_ROLES)
            .select_related("unit", "decided_by").order_by("-position").first())
    if step is None or step.unit.kind not in (UnitKind.COUNTY_BUREAU, UnitKind.CITY_BUREAU, UnitKind.PROVINCE_BUREAU):
        return None
    return Confirmation(step.unit.name, str(step.decided_by) if step.decided_by_id else "", timezone.localtime(step.decided_at))


def education_proof_pdf(change: ChangeRequest, user: User) -> PrintedPdf:
    """学历证明书 of a request, printed by ``user``: the graduate's identity (numbers as the user
    sees them), the graduation, the school's boxes, and the bureau's confirmation once given
    (until then the proof says it is not valid yet)."""
    pupil = change.pupil
    payload = change.payload
    full = sees_full_record(user, pupil)
    graduated_on = date.fromisoformat(payload["graduated_on"])
    context = {
        "title": "学历证明书",
        "change": change,
        "pupil": pupil,
        "school": change.started_unit,
        "student_number": pupil.student_number if full else mask_student_number(pupil.student_number),
        "id_number": pupil.id_number if full else mask_id_number(pupil.id_number),
        "level": payload.get("level") or level_label(payload.get("grade")),
        "grade_label": GRADE_LABELS.get(payload.get("grade"), ""),
        "graduated_on": graduated_on,
        "certificate_number": payload.get("certificate_number") or "",
        "note": payload.get("note") or "",
        "confirmation": bureau_confirmation(change),
        "proof_number": f"{graduated_on.year}-{change.pk:06d}",
    }
    return print_pdf(user=user, kind="education_proof", title="学历证明书", template="schoolyear/education_proof.html",
                     context=context, unit=change.started_unit, request=change,
                     pupils=[printed_pupil(pupil, full=full)], subject=change.started_unit.name)


@dataclass(frozen=True)
class ListedPupil:
    """A line of the 毕业生名册 as printed."""

    name: str
    gender: str
    birth_date: date | None
    class_name: str
    number: str
    certificate: str = ""
    status: str = ""


def _listed(pupil, full: bool, certificate: str = "") -> ListedPupil:
    number = pupil.student_number if full else mask_student_number(pupil.student_number)
    return ListedPupil(pupil.name, pupil.get_gender_display(), pupil.birth_date,
                       pupil.school_class.name if pupil.school_class_id else "未分班", number, certificate,
                       pupil.get_status_display())


def graduate_list_pdf(state, *, user: User, start_year: int) -> PrintedPdf:
    """毕业生名册 of a school's graduating grade (``state``: schoolyear.selectors.graduation_state),
    printed by ``user``. Before graduation the list of pupils to graduate, marked 核对稿, for the
    headmaster to check and sign (000: the headmaster signs every change of the roll); after, the
    graduates with their certificate numbers. The pupils who do not graduate follow. 学籍号 as
    the user sees them."""
    school = state.school
    # All of one school: what the user sees of one pupil, they see of all.
    sample = next(iter([*state.enrolled, *state.listed, *(g.pupil for g in state.graduates)]), None)
    full = sample is not None and sees_full_record(user, sample)
    draft = not state.graduates
    if draft:
        rows = [_listed(pupil, full) for pupil in state.enrolled]
        pupils = state.enrolled
    else:
        rows = [_listed(g.pupil, full, g.certificate.number if hasattr(g, "certificate") else "")
                for g in state.graduates]
        pupils = [g.pupil for g in state.graduates]
    context = {
        "school": school, "title": "毕业生名册", "draft": draft,
        "year_label": f"{start_year}—{start_year + 1}学年", "grade_label": GRADE_LABELS[state.grade],
        "rows": rows, "listed": [_listed(pupil, full) for pupil in state.listed],
        "graduated_on": state.graduations[-1].graduated_on if state.graduations else None,
    }
    title = f"{start_year}—{start_year + 1}学年毕业生名册" + ("（核对稿）" if draft else "")
    return print_pdf(user=user, kind="graduate_list", title=title, template="schoolyear/graduate_list.html",
                     context=context, unit=school, subject=school.name, audit_obj=school,
                     pupils=[printed_pupil(pupil, full=full) for pupil in pupils])
