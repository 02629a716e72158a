"""Reads of schoolyear/, scoped to the user, and who may do what.

Graduation, the promotion plan and certificates of a school are the business of its registrar
(who acts) and headmaster, and of the central school and bureaus above it (who follow; the
supervising bureau numbers certificates and runs promotion). Head teachers and the system
administrator see none of it. A school outside the user's scope is a 404; a school in scope that
the user's role does not follow is a 403.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q, QuerySet, Sum

from schoolyear.dates import (
    Summer,
    graduating_grade,
    month_day,
    promotable_grades,
    summer_for,
)
from schoolyear.models import ClassMapping, Graduate, Graduation, PromotionRun, PromotionSchool
from xueji.accounts.models import BUREAU_KINDS, BUREAU_ROLES, BureauSettings, Role, Unit, UnitKind, User
from xueji.accounts.permissions import NotAllowed, holds
from xueji.accounts.scoping import (
    UNIT_ROLES_SEEING_SUBTREE,
    NotInScope,
    get_school_for_user,
    memberships_of,
    object_id,
    scope_union,
)
from xueji.accounts.selectors import bureau_settings_by_unit, bureau_settings_for
from xueji.approvals.chains import DECIDING_ROLE
from xueji.approvals.models import ChangeRequest, RequestStatus
from xueji.codes import GRADUATING_GRADE, PupilStatus
from xueji.pupils.models import Pupil, SchoolClass
from xueji.pupils.visibility import sees_full_record

SCHOOL_ROLES = {Role.REGISTRAR, Role.HEADMASTER}
# The pupils of the graduating grade on the school's roll: those enrolled graduate; the others
# are listed, not graduated (a visiting pupil graduates at the home school).
ON_ROLL = [PupilStatus.ENROLLED, PupilStatus.SUSPENDED, PupilStatus.DROPPED_OUT, PupilStatus.ABROAD, PupilStatus.VISITING]


def schools_followed_by(user: User) -> QuerySet[Unit]:
    """The schools whose graduation, promotion and certificates the user sees: their own as its
    registrar or headmaster, every school under the bureau or central school they work at."""
    scopes = [Q(pk=m.unit_id) for m in memberships_of(user) if m.role in SCHOOL_ROLES]
    scopes += [Q(path__startswith=m.unit.path) for m in memberships_of(user) if m.role in UNIT_ROLES_SEEING_SUBTREE]
    scope = scope_union(scopes)
    if scope is None:
        return Unit.objects.none()
    return Unit.objects.filter(scope, kind=UnitKind.SCHOOL)


def follows_any_school(user: User) -> bool:
    return any(m.role in SCHOOL_ROLES | UNIT_ROLES_SEEING_SUBTREE for m in memberships_of(user))


def get_followed_school(user: User, school_id) -> Unit:
    """The school, if the user follows it: 404 outside the user's scope, 403 in scope without a
    role that follows the school's year (a head teacher)."""
    school = get_school_for_user(user, school_id)
    if not schools_followed_by(user).filter(pk=school.pk).exists():
        raise NotAllowed("您的角色不办理毕业、升级和证书。")
    return school


def is_registrar(user: User, school: Unit) -> bool:
    return holds(user, Role.REGISTRAR, school.pk)


def bureau_memberships(user: User) -> list:
    return [m for m in memberships_of(user) if m.role in BUREAU_ROLES and m.unit is not None]


def may_run_promotion(user: User, bureau: Unit) -> bool:
    """The bureau's own officers (the deciding role of its level)."""
    return bureau.kind in BUREAU_KINDS and holds(user, DECIDING_ROLE[UnitKind(bureau.kind)], bureau.pk)


def may_issue_certificates(user: User, school: Unit) -> bool:
    """The officers of the bureau supervising the school (the county's, or the city's for the
    schools it runs directly)."""
    bureau = school.supervising_bureau
    return bureau is not None and holds(user, DECIDING_ROLE[UnitKind(bureau.kind)], bureau.pk)


# Which bureau supervises which school ----------------------------------------------------------

def supervision_map() -> dict[Unit, list[Unit]]:
    """Every bureau with the schools it supervises (it is the nearest bureau above them), in id
    order; from one read of the units."""
    units = {unit.pk: unit for unit in Unit.objects.only("id", "kind", "name", "path", "parent_id", "school_type")}
    bureaus = {pk: unit for pk, unit in units.items() if unit.kind in BUREAU_KINDS}
    supervised: dict[Unit, list[Unit]] = {bureau: [] for bureau in bureaus.values()}
    for unit in sorted(units.values(), key=lambda u: u.pk):
        if unit.kind != UnitKind.SCHOOL:
            continue
        nearest = next((pk for pk in reversed(unit.ancestor_ids[:-1]) if pk in bureaus), None)
        if nearest is not None:
            supervised[bureaus[nearest]].append(unit)
    return supervised


def supervised_schools(bureau: Unit) -> list[Unit]:
    """The schools whose nearest bureau above is ``bureau``, in id order."""
    units = list(Unit.objects.filter(path__startswith=bureau.path).only("id", "kind", "name", "path", "parent_id", "school_type"))
    bureaus = {unit.pk for unit in units if unit.kind in BUREAU_KINDS}
    schools = []
    for unit in sorted(units, key=lambda u: u.pk):
        if unit.kind == UnitKind.SCHOOL:
            nearest = next((pk for pk in reversed(unit.ancestor_ids[:-1]) if pk in bureaus), None)
            if nearest == bureau.pk:
                schools.append(unit)
    return schools


def promotion_window(bureau: Unit, year: int, settings: BureauSettings | None = None) -> tuple[date, date]:
    """The days of ``year`` on which the bureau's promotion may run: from its promotion date (10
    August) to the end of August (a run that did not finish is resumed until then)."""
    settings = settings or bureau_settings_for(bureau)
    opens = month_day(settings.promotion_date, year)
    return opens, max(opens, date(year, 8, 31))


# Graduation ----------------------------------------------------------------------------------

def _graduating_grade_q(prefix: str = "") -> Q:
    """The pupils in their school's graduating grade ("school__" … from Pupil)."""
    by_grade: dict[int, list[str]] = defaultdict(list)
    for school_type, grade in GRADUATING_GRADE.items():
        by_grade[grade].append(school_type)
    return scope_union([
        Q(**{f"{prefix}grade": grade, f"{prefix}school__school_type__in": types}) for grade, types in by_grade.items()
    ])


def pending_requests_of(pupil_ids: list[int]) -> QuerySet[ChangeRequest]:
    return (ChangeRequest.objects.filter(pupil_id__in=pupil_ids, status=RequestStatus.PENDING)
            .select_related("pupil").order_by("pupil__name_sort", "pupil__name", "pk"))


class SummerCountdown:
    """Days left to the summer's clearing date and graduation deadline (``summer``, ``today``)."""

    summer: Summer
    today: date

    @property
    def days_to_clear(self) -> int:
        return (self.summer.clear_by - self.today).days

    @property
    def days_to_deadline(self) -> int:
        return (self.summer.graduate_by - self.today).days


@dataclass
class GraduationRow(SummerCountdown):
    """One school on the countdown page."""

    school: Unit
    grade: int
    summer: Summer
    today: date
    counts: dict[str, int] = field(default_factory=dict)  # status → pupils of the grade on the roll
    pending: list[ChangeRequest] = field(default_factory=list)
    graduated: int = 0  # graduated this summer
    late: bool = False

    @property
    def to_graduate(self) -> int:
        return self.counts.get(PupilStatus.ENROLLED, 0)

    @property
    def listed(self) -> int:
        return sum(n for status, n in self.counts.items() if status != PupilStatus.ENROLLED)

    @property
    def listed_labels(self) -> list[tuple[str, int]]:
        # In the code table's order (休学, 辍学, 出国 …), not the database's.
        order = {status: index for index, status in enumerate(PupilStatus.values)}
        return [(PupilStatus(s).label, n) for s, n in sorted(self.counts.items(), key=lambda item: order.get(item[0], 99))
                if s != PupilStatus.ENROLLED and n]


    @property
    def days_past_clear(self) -> int:
        return -self.days_to_clear

    @property
    def days_past_deadline(self) -> int:
        return -self.days_to_deadline

    @property
    def blocked(self) -> bool:
        return bool(self.pending)

    @property
    def done(self) -> bool:
        return self.graduated > 0 and self.to_graduate == 0 and not self.pending

    @property
    def state(self) -> str:
        if self.done:
            return "已办理毕业"
        if self.pending:
            return "有待办业务，不能办理毕业"
        if not self.to_graduate:
            return "没有需要毕业的学生"
        if self.today < self.summer.opens:
            return f"{self.summer.opens:%m月%d日}起可办理毕业"
        if self.today > self.summer.graduate_by:
            return "已超过毕业办理截止日期"
        return "可以办理毕业"


def graduation_rows(user: User, today: date, start_year: int) -> list[GraduationRow]:
    """倒计时: for each school the user follows, its graduating grade, what still blocks its
    graduation (pending requests of the grade's pupils) and the days left to the bureau's
    clearing date and deadline. Blocked schools first, then by name. Five queries whatever the
    number of schools."""
    schools = list(schools_followed_by(user).order_by("path", "name"))
    if not schools:
        return []
    settings = bureau_settings_by_unit(schools)
    rows = {s.pk: GraduationRow(s, graduating_grade(s), summer_for(settings[s.pk], start_year), today) for s in schools}
    on_roll = Pupil.objects.filter(_graduating_grade_q(), school__in=schools, status__in=ON_ROLL, deleted_at__isnull=True)
    for item in on_roll.values("school_id", "status").annotate(n=Count("id")):
        rows[item["school_id"]].counts[item["status"]] = item["n"]
    pending = (ChangeRequest.objects.filter(status=RequestStatus.PENDING, pupil__in=on_roll)
               .select_related("pupil").order_by("pupil__name_sort", "pupil__name", "pk"))
    for request in pending:
        rows[request.pupil.school_id].pending.append(request)
    graduations = (Graduation.objects.filter(school__in=schools, school_year__start_year=start_year)
                   .values("school_id").annotate(n=Sum("count"), late=Count("id", filter=Q(late=True))))
    for item in graduations:
        rows[item["school_id"]].graduated = item["n"] or 0
        rows[item["school_id"]].late = bool(item["late"])
    return sorted(rows.values(), key=lambda r: (not r.blocked, r.done, r.school.path, r.school.name))


@dataclass
class GraduationState(SummerCountdown):
    """A school's graduating grade as its graduation page shows it."""

    school: Unit
    grade: int
    summer: Summer
    today: date
    enrolled: list[Pupil]
    listed: list[Pupil]
    pending: list[ChangeRequest]
    graduations: list[Graduation]
    graduates: list[Graduate]

    @property
    def is_open(self) -> bool:
        return self.today >= self.summer.opens

    @property
    def late(self) -> bool:
        return self.today > self.summer.graduate_by

    @property
    def may_graduate(self) -> bool:
        return self.is_open and bool(self.enrolled) and not self.pending


    @property
    def reasons(self) -> list[str]:
        """Why graduation cannot be done now, in the words of the refusal."""
        reasons = []
        if not self.is_open:
            reasons.append(f"毕业手续在 {self.summer.opens:%Y-%m-%d} 至 {self.summer.graduate_by:%Y-%m-%d} 办理。")
        if self.pending:
            reasons.append(f"还有 {len(self.pending)} 项变动申请未办结：须在 {self.summer.clear_by:%Y-%m-%d} 前撤回或办结。")
        if not self.enrolled:
            reasons.append("没有需要办理毕业的在籍在校学生。")
        return reasons


def graduation_state(school: Unit, today: date, start_year: int) -> GraduationState:
    grade = graduating_grade(school)
    pupils = list(
        Pupil.objects.filter(school=school, grade=grade, status__in=ON_ROLL, deleted_at__isnull=True)
        .select_related("school_class").order_by("school_class__number", "name_sort", "name", "id")
    )
    graduations = list(
        Graduation.objects.filter(school=school, school_year__start_year=start_year)
        .select_related("graduated_by").order_by("created_at", "id")
    )
    graduates = list(
        Graduate.objects.filter(graduation__in=graduations)
        .select_related("pupil__school_class", "certificate").order_by("pupil__school_class__number", "pupil__name_sort", "pupil__name", "id")
    )
    return GraduationState(
        school=school, grade=grade, summer=summer_for(bureau_settings_for(school), start_year), today=today,
        enrolled=[p for p in pupils if p.status == PupilStatus.ENROLLED],
        listed=[p for p in pupils if p.status != PupilStatus.ENROLLED],
        pending=list(pending_requests_of([p.pk for p in pupils])),
        graduations=graduations, graduates=graduates,
    )


# The promotion plan --------------------------------------------------------------------------

@dataclass
class PlanRow:
    """A class of this year and where its pupils go next year."""

    source: SchoolClass
    pupils: int
    options: list[SchoolClass]  # next year's classes one grade up
    mapped: SchoolClass | None  # the class the registrar chose
    default: SchoolClass | None  # next year's class of the same number, if it exists

    @property
    def target(self) -> SchoolClass | None:
        return self.mapped or self.default

    @property
    def will_create(self) -> bool:
        """No class chosen and none of the same number: promotion creates it."""
        return self.target is None


@dataclass
class PromotionPlan:
    school: Unit
    start_year: int
    rows: list[PlanRow]
    next_classes: list[SchoolClass]
    done: PromotionSchool | None
    graduating_grade: int

    @property
    def over_cap(self) -> list[tuple[SchoolClass, int]]:
        """Next year's classes that the plan fills beyond their cap."""
        from xueji.pupils.selectors import class_cap

        filled: dict[int, int] = defaultdict(int)
        by_id = {c.pk: c for c in self.next_classes}
        for row in self.rows:
            if row.target is not None:
                filled[row.target.pk] += row.pupils
        return [(by_id[pk], n) for pk, n in filled.items() if pk in by_id and n > class_cap(by_id[pk])]


def promotion_plan(school: Unit, start_year: int) -> PromotionPlan:
    grades = promotable_grades(school)
    sources = list(
        SchoolClass.objects.filter(school=school, school_year__start_year=start_year, grade__in=grades)
        .annotate(enrolled_count=Count("pupils", filter=Q(pupils__status=PupilStatus.ENROLLED, pupils__deleted_at__isnull=True)))
        .order_by("grade", "number")
    )
    next_classes = list(
        SchoolClass.objects.filter(school=school, school_year__start_year=start_year + 1).order_by("grade", "number")
    )
    mappings = {m.from_class_id: m.to_class_id for m in ClassMapping.objects.filter(from_class__in=sources)}
    by_id = {c.pk: c for c in next_classes}
    by_number = {(c.grade, c.number): c for c in next_classes}
    rows = []
    for source in sources:
        options = [c for c in next_classes if c.grade == source.grade + 1]
        mapped = by_id.get(mappings.get(source.pk))
        if mapped is not None and mapped.grade != source.grade + 1:
            mapped = None
        rows.append(PlanRow(source, source.enrolled_count, options, mapped, by_number.get((source.grade + 1, source.number))))
    done = PromotionSchool.objects.filter(school=school, year=start_year + 1).select_related("run").first()
    return PromotionPlan(school, start_year, rows, next_classes, done, graduating_grade(school))


# Promotion runs ------------------------------------------------------------------------------

def runs_visible_to(user: User) -> QuerySet[PromotionRun]:
    """A bureau's officers see its runs and those of the bureaus below; a school's registrar and
    headmaster, and a central school, see the runs of the bureau that supervises them."""
    scopes = []
    for m in memberships_of(user):
        if m.unit is None:
            continue
        if m.role in BUREAU_ROLES:
            scopes.append(Q(bureau__path__startswith=m.unit.path))
        elif m.role in SCHOOL_ROLES or m.role == Role.CENTRAL_REGISTRAR:
            bureau = m.unit.supervising_bureau
            if bureau is not None:
                scopes.append(Q(bureau_id=bureau.pk))
    scope = scope_union(scopes)
    return PromotionRun.objects.filter(scope) if scope is not None else PromotionRun.objects.none()


def get_run_for_user(user: User, run_id) -> PromotionRun:
    try:
        return runs_visible_to(user).select_related("bureau", "requested_by").get(pk=object_id(run_id))
    except PromotionRun.DoesNotExist:
        raise NotInScope("没有找到这次升级，或您无权查看。", what="promotionrun", object_id=run_id) from None


@dataclass
class RunSchoolRow:
    school: Unit
    result: PromotionSchool | None
    error: str


def run_school_rows(user: User, run: PromotionRun) -> list[RunSchoolRow]:
    """The run's schools that the user follows: done (with counts), failed or waiting."""
    followed = set(schools_followed_by(user).values_list("pk", flat=True))
    schools = [s for s in supervised_schools(run.bureau) if s.pk in followed]
    results = {r.school_id: r for r in PromotionSchool.objects.filter(year=run.year, school__in=schools)}
    return [RunSchoolRow(s, results.get(s.pk), run.errors.get(str(s.pk), "")) for s in schools]


def promotion_bureaus_of(user: User) -> list[Unit]:
    """The bureaus whose promotion the user may run."""
    return [m.unit for m in bureau_memberships(user) if may_run_promotion(user, m.unit)]


# Certificates --------------------------------------------------------------------------------

@dataclass
class CertificateRow:
    school: Unit
    start_year: int
    graduates: int
    numbered: int

    @property
    def unnumbered(self) -> int:
        return self.graduates - self.numbered


def certificate_rows(user: User) -> list[CertificateRow]:
    """Per school the user follows and school year: its graduates and how many have numbers."""
    schools = {s.pk: s for s in schools_followed_by(user)}
    if not schools:
        return []
    counts = (Graduate.objects.filter(graduation__school_id__in=list(schools))
              .values("graduation__school_id", "graduation__school_year__start_year")
              .annotate(n=Count("id"), numbered=Count("certificate")))
    rows = [CertificateRow(schools[c["graduation__school_id"]], c["graduation__school_year__start_year"], c["n"], c["numbered"])
            for c in counts]
    return sorted(rows, key=lambda r: (-r.start_year, r.school.path, r.school.name))


def graduates_of(school: Unit, start_year: int) -> QuerySet[Graduate]:
    return (
        Graduate.objects.filter(graduation__school=school, graduation__school_year__start_year=start_year)
        .select_related("pupil__school_class", "graduation", "certificate__batch")
        .order_by("pupil__school_class__number", "pupil__name_sort", "pupil__name", "pupil_id")
    )


def promoted_since(original: ChangeRequest) -> str | None:
    """Why an approved change of a pupil cannot be reversed once the pupil's school has been
    promoted after it (xueji/approvals/reversal.py): the change's state before names last year's grade and
    class, and putting the pupil back there would undo the promotion for this pupil alone."""
    pupil = original.pupil
    if pupil is None or original.finished_at is None:
        return None
    if PromotionSchool.objects.filter(school_id=pupil.school_id, done_at__gt=original.finished_at).exists():
        return "该学生所在学校在这项变动之后已完成升级（已升入新学年的年级和班级），不能撤销。"
    return None


def sees_school_records(user: User, school: Unit) -> bool:
    """Whether ``user`` sees the records of ``school``'s pupils unmasked (xueji.accounts.scoping's rule for
    one pupil, which depends only on the pupil's school)."""
    return sees_full_record(user, Pupil(school=school, school_id=school.pk))
