"""学前调档 (the pre-school pull): the school's admitted children, by their five fields (name,
gender, birth date, ID type, ID number), matched against the records that exist.

- matched: a record with the same ID number and the same name, gender and birth date, in a
  status a new school may take it from (deferred entry, a finished stage, left): the child keeps
  that record and its 学籍号, and the five fields are the record's from now on;
- to confirm: a record that agrees only in part (same ID number with another name, or the same
  name, gender and birth date without an ID number), or one still in school elsewhere (that is a
  transfer, not an enrolment) — the registrar or the bureau looks at it;
- not found: a new record will be created.
"""

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from enrollment.admission.models import AdmissionEntry, PullResult
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Unit, User
from xueji.accounts.permissions import require_registrar
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil, id_number_index

# A record in one of these statuses can be continued by a new school's enrolment.
CONTINUABLE = {PupilStatus.DEFERRED, PupilStatus.GRADUATED, PupilStatus.OTHER_LEFT, PupilStatus.WITHDRAWN,
               PupilStatus.TRANSFERRED_OUT, PupilStatus.ABROAD}
LOCKED_FIELDS = ("name", "gender", "birth_date", "id_type", "id_number")


@dataclass
class PullSummary:
    matched: int = 0
    to_confirm: int = 0
    not_found: int = 0


def _same_person(admission: AdmissionEntry, pupil: Pupil) -> bool:
    return all(getattr(admission, field) == getattr(pupil, field) for field in LOCKED_FIELDS)


@transaction.atomic
def preschool_pull(*, actor: User, school: Unit, intake_year: int) -> PullSummary:
    """Match every admitted child of the school's list against the records, in two queries."""
    require_registrar(actor, school, message="只有本校学籍管理员可以办理学前调档。")
    admissions = list(AdmissionEntry.objects.select_for_update().filter(school=school, intake_year=intake_year))
    live = Pupil.objects.filter(deleted_at__isnull=True).select_related("school")
    by_id, by_identity = {}, {}
    ids = [a.id_number for a in admissions if a.id_number]
    for pupil in live.filter(id_number_index__in=[id_number_index(number) for number in ids]):
        by_id[(pupil.id_type, pupil.id_number)] = pupil
    without = [a for a in admissions if not a.id_number]
    if without:
        for pupil in live.filter(Q(name__in={a.name for a in without}) & Q(birth_date__in={a.birth_date for a in without})):
            by_identity.setdefault((pupil.name, pupil.gender, pupil.birth_date), pupil)
    summary = PullSummary()
    for admission in admissions:
        pupil = by_id.get((admission.id_type, admission.id_number)) if admission.id_number else \
            by_identity.get((admission.name, admission.gender, admission.birth_date))
        admission.pulled_pupil, admission.pull_note = None, ""
        if pupil is None:
            admission.pull_result = PullResult.NOT_FOUND
        elif not _same_person(admission, pupil):
            admission.pull_result = PullResult.TO_CONFIRM
            admission.pull_note = "已有学籍的信息与录取名单不完全一致，请核对户口簿后联系县教育局。"
        elif pupil.status not in CONTINUABLE:
            admission.pull_result = PullResult.TO_CONFIRM
            # Not the status: the record is another school's (xueji.pupils.lookup).
            admission.pull_note = "该生已有学籍且不能直接沿用（如仍在其他学校就读），应办理转学而非新生建籍；请联系县教育局核对。"
        else:
            admission.pull_result, admission.pulled_pupil = PullResult.MATCHED, pupil
            admission.pull_note = f"沿用已有学籍号 {pupil.student_number}"
        setattr(summary, admission.pull_result, getattr(summary, admission.pull_result) + 1)
    AdmissionEntry.objects.bulk_update(admissions, ["pull_result", "pulled_pupil", "pull_note"])
    audit_record(action="enrolment.pull", obj=school, user=actor, unit=school,
                 detail=f"学前调档：匹配 {summary.matched}，待确认 {summary.to_confirm}，未找到 {summary.not_found}")
    return summary


def locked_field_changes(admission: AdmissionEntry, values: dict) -> list[str]:
    """The five fields a pulled child's entry gives differently from the record it continues."""
    pupil = admission.pulled_pupil
    return [field for field in LOCKED_FIELDS if (values.get(field) or "") != (getattr(pupil, field) or "")]
