"""Admitted, never registered: the children of the bureau's admission lists (录取名单) who did not
come to school (no 报到), whom no school has entered (no enrolment entry, open or established) and
who have no live record anywhere (a child admitted here may have been registered elsewhere, found
by the ID number). Read by the dropouts app for its 适龄未入学 ledger (the 2024 notice on dropout
reporting): this module answers plain rows so that no other app reads the admission models."""

from dataclasses import dataclass
from datetime import date

from django.db.models import Exists, OuterRef

from enrollment.admission.models import AdmissionEntry
from enrollment.intake.models import EnrolmentEntry
from xueji.pupils.models import Pupil, id_number_index

# The school year starts on 1 September; a child not at school by the 15th of the intake year's
# September is out of school (the first two weeks are the registration weeks).
SCHOOL_START = (9, 15)


@dataclass(frozen=True)
class UnregisteredChild:
    admission_id: int
    school_id: int
    intake_year: int
    name: str
    gender: str
    birth_date: date


def intake_started(intake_year: int, today: date) -> bool:
    return today >= date(intake_year, *SCHOOL_START)


def admitted_never_registered(school_ids: list[int], today: date) -> list[UnregisteredChild]:
    """The children admitted to these schools, for the intakes that have started by ``today``,
    never arrived nor entered, and with no live record under their ID number."""
    if not school_ids:
        return []
    any_entry = EnrolmentEntry.objects.filter(admission=OuterRef("pk"))
    candidates = [
        entry for entry in AdmissionEntry.objects.filter(school_id__in=school_ids, arrived_on__isnull=True)
        .annotate(entered=Exists(any_entry)).filter(entered=False).order_by("school_id", "id")
        if intake_started(entry.intake_year, today)
    ]
    # The ID numbers are encrypted: the pupils' blind index of each, then one query.
    indexes = {entry.pk: id_number_index(entry.id_number) for entry in candidates if entry.id_number}
    registered = set(
        Pupil.objects.filter(id_number_index__in=[i for i in indexes.values() if i], deleted_at__isnull=True)
        .values_list("id_number_index", flat=True)
    )
    return [
        UnregisteredChild(entry.pk, entry.school_id, entry.intake_year, entry.name, entry.gender, entry.birth_date)
        for entry in candidates if not indexes.get(entry.pk) or indexes[entry.pk] not in registered
    ]
