"""Three-way consistency (三方一致) of an intake: admitted (on the bureau's admission list),
arrived (the school marked 报到), registered (the child's enrolment entry is established).

A child who arrived and has no established record more than ``enrolment_deadline_days`` after
arriving is *behind*: the regulations want the record within one month of arrival (a bureau
setting, xueji.models.BureauSettings). Counts come from one aggregate query over the admission
list, whatever the number of schools.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from enrollment.admission.models import AdmissionEntry
from enrollment.admission.services import admission_for_school
from enrollment.intake.models import EnrolmentEntry, EntryStatus
from xueji.accounts.models import Unit, UnitKind
from xueji.accounts.selectors import bureau_settings_by_unit

OPEN_STATUSES = (EntryStatus.DRAFT, EntryStatus.SUBMITTED, EntryStatus.RETURNED)


@dataclass(frozen=True)
class SchoolConsistency:
    """One school's line of the three-way table."""

    school: Unit
    admitted: int  # 录取
    arrived: int  # 报到
    registered: int  # 已建籍
    in_progress: int  # 办理中: an entry exists (待上报, 审批中 or 被退回), not yet established
    behind: int  # 逾期未建籍
    deadline_days: int

    @property
    def not_arrived(self) -> int:
        return self.admitted - self.arrived

    @property
    def is_behind(self) -> bool:
        return self.behind > 0


def _registered():
    return Exists(EnrolmentEntry.objects.filter(admission=OuterRef("pk"), status=EntryStatus.ESTABLISHED))


def _in_progress():
    return Exists(EnrolmentEntry.objects.filter(admission=OuterRef("pk"), status__in=OPEN_STATUSES))


def _behind_condition(schools: list[Unit], today: date) -> tuple[Q, dict[int, int]]:
    """Arrived before each school's cut-off (today minus its bureau's deadline). Schools are
    grouped by deadline, so the condition has one term per distinct setting (usually one)."""
    settings = bureau_settings_by_unit(schools)
    deadlines = {pk: s.enrolment_deadline_days for pk, s in settings.items()}
    by_deadline: dict[int, list[int]] = {}
    for pk, days in deadlines.items():
        by_deadline.setdefault(days, []).append(pk)
    condition = Q(pk__in=[])
    for days, school_ids in by_deadline.items():
        condition |= Q(school_id__in=school_ids, arrived_on__lt=today - timedelta(days=days))
    return condition, deadlines


def three_way(bureau_or_school_units: QuerySet[Unit], intake_year: int, today: date) -> list[SchoolConsistency]:
    """The three-way line of every school among ``bureau_or_school_units`` (a scoped queryset of
    units: a bureau's subtree, or one school), in the tree's order; schools without an admission
    list get a line of zeros, so that a missing list shows. Three queries: the schools, their
    bureaus' settings, the counts."""
    schools = list(bureau_or_school_units.filter(kind=UnitKind.SCHOOL).order_by("path"))
    if not schools:
        return []
    behind, deadlines = _behind_condition(schools, today)
    not_registered = Q(is_registered=False)
    rows = (
        AdmissionEntry.objects.filter(intake_year=intake_year, school_id__in=[s.pk for s in schools])
        .annotate(is_registered=_registered(), is_open=_in_progress())
        .values("school_id")
        .annotate(
            admitted=Count("pk"),
            arrived=Count("pk", filter=Q(arrived_on__isnull=False)),
            registered=Count("pk", filter=Q(is_registered=True)),
            in_progress=Count("pk", filter=not_registered & Q(is_open=True)),
            behind=Count("pk", filter=not_registered & behind),
        )
        .order_by()
    )
    counts = {row["school_id"]: row for row in rows}
    lines = []
    for school in schools:
        row = counts.get(school.pk, {})
        lines.append(SchoolConsistency(
            school=school, admitted=row.get("admitted", 0), arrived=row.get("arrived", 0),
            registered=row.get("registered", 0), in_progress=row.get("in_progress", 0),
            behind=row.get("behind", 0), deadline_days=deadlines[school.pk],
        ))
    return lines


def totals(lines: list[SchoolConsistency]) -> dict[str, int]:
    """The sums of a table's lines, for its last row."""
    fields = ("admitted", "arrived", "registered", "in_progress", "behind")
    return {field: sum(getattr(line, field) for line in lines) for field in fields}


def behind_for_school(school: Unit, intake_year: int, today: date) -> list[AdmissionEntry]:
    """The children of one school who arrived more than the deadline ago and have no established
    record, longest waiting first; each with ``days_since_arrival`` and ``days_overdue``, and the
    status of its entry if the school has entered it (``entry_status``)."""
    [settings] = bureau_settings_by_unit([school]).values()
    cutoff = today - timedelta(days=settings.enrolment_deadline_days)
    entries = list(
        admission_for_school(school, intake_year)
        .annotate(is_registered=_registered())
        .filter(is_registered=False, arrived_on__lt=cutoff)
        .order_by("arrived_on", "id")
    )
    for entry in entries:
        entry.days_since_arrival = (today - entry.arrived_on).days
        entry.days_overdue = entry.days_since_arrival - settings.enrolment_deadline_days
    return entries
