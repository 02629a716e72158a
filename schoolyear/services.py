"""Writes of schoolyear/: graduation, next year's classes and the promotion plan, the promotion
run, certificate numbers and the 学历证明书 request.

Promotion is set-based: each school is one transaction of a few statements (UPDATE … FROM over its
classes), not a loop over pupils; pghistory's row triggers still write every pupil's field
history. A school's ``PromotionSchool`` row is written in that same transaction, so a school is
promoted exactly once a year: a rerun, a second worker or a resumed run after a crash skips it.
"""

import logging
import re
from dataclasses import dataclass
from datetime import date

import pghistory
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.db import DatabaseError, IntegrityError, connection, transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce
from django.utils import timezone

from schoolyear.dates import (
    graduating_grade,
    level_label,
    promotable_grades,
    school_year_get,
    school_year_start,
    summer_of,
)
from schoolyear.models import (
    Certificate,
    CertificateBatch,
    ClassMapping,
    Graduate,
    Graduation,
    PromotionRun,
    PromotionSchool,
)
from schoolyear.selectors import (
    ON_ROLL,
    may_issue_certificates,
    may_run_promotion,
    pending_requests_of,
    promotion_window,
    supervised_schools,
    supervision_map,
)
from xueji.accounts.audit import audit_record
from xueji.accounts.models import BUREAU_KINDS, Unit, User
from xueji.accounts.permissions import require_registrar
from xueji.accounts.selectors import bureau_settings_by_unit
from xueji.approvals.chains import bureau_of
from xueji.approvals.models import ChangeRequest
from xueji.approvals.services import request_start
from xueji.celery import enqueue_on_commit
from xueji.codes import GRADE_LABELS, PupilStatus
from xueji.jobs import JobLost, job_claim, job_heartbeat, job_owned
from xueji.pupils.models import Pupil, SchoolClass, SchoolYear
from xueji.pupils.services import pupil_set_status

logger = logging.getLogger(__name__)


def _require_registrar(actor: User, school: Unit, what: str) -> None:
    require_registrar(actor, school, message=f"只有本校学籍管理员可以{what}。")


# Graduation ----------------------------------------------------------------------------------

@transaction.atomic
def graduation_perform(
    *, actor: User, school: Unit, today: date | None = None, expected_count: int | None = None
) -> Graduation:
    """毕业: the school's registrar graduates the enrolled (在籍在校) pupils of its graduating
    grade (6 for a primary school, 9 for a junior or nine-year school), each through
    pupil_set_status with its status history.

    Pupils of the grade who are suspended, dropped out, abroad or visiting are not graduated and
    are listed on the record. Refused: before graduation opens (1 July); while any pupil of the
    grade has a pending request (it must be withdrawn or finished first, by the bureau's clearing
    date); when there is nobody to graduate; when ``expected_count`` (what the registrar
    confirmed) no longer matches the list. After the bureau's deadline it is still done, marked
    late for the bureau to see."""
    _require_registrar(actor, school, "办理毕业")
    today = today or timezone.localdate()
    start_year = school_year_start(today)
    summer = summer_of(school, start_year)
    if today < summer.opens:
        raise ValidationError(
            f"毕业手续在 {summer.opens:%Y-%m-%d} 至 {summer.graduate_by:%Y-%m-%d} 办理，现在还不能办理毕业。",
            code="not_open",
        )
    grade = graduating_grade(school)
    # Locking the grade's records first: a status change racing the graduation waits for it, and
    # the check below sees the grade as it will be graduated.
    pupils = list(
        Pupil.objects.select_for_update(of=("self",)).filter(school=school, grade=grade, status__in=ON_ROLL, deleted_at__isnull=True)
        .select_related("school_class").order_by("school_class__number", "name_sort", "name", "id")
    )
    pending = list(pending_requests_of([p.pk for p in pupils]))
    if pending:
        listed = "；".join(f"{r.pupil.name}：{r.kind_label} #{r.pk}" for r in pending[:10])
        more = f" 等 {len(pending)} 项" if len(pending) > 10 else ""
        raise ValidationError(
            f"{GRADE_LABELS[grade]}还有 {len(pending)} 项变动申请未办结（{listed}{more}）。"
            f"毕业年级的待办业务须在 {summer.clear_by:%Y-%m-%d} 前撤回或办结，办结后才能办理毕业。",
            code="pending_requests",
        )
    enrolled = [p for p in pupils if p.status == PupilStatus.ENROLLED]
    if not enrolled:
        raise ValidationError(f"本校{GRADE_LABELS[grade]}没有需要办理毕业的在籍在校学生。", code="nobody")
    if expected_count is not None and expected_count != len(enrolled):
        raise ValidationError(
            f"名单已变化：现有 {len(enrolled)} 名学生可以毕业，确认时为 {expected_count} 名。请重新核对名单后再确认。",
            code="list_changed",
        )
    not_graduated = [
        {"id": p.pk, "name": p.name, "status": p.status, "class": p.school_class.name if p.school_class_id else ""}
        for p in pupils if p.status != PupilStatus.ENROLLED
    ]
    graduation = Graduation.objects.create(
        school=school, school_year=school_year_get(start_year), grade=grade, graduated_on=today, graduated_by=actor,
        count=len(enrolled), late=today > summer.graduate_by, not_graduated=not_graduated,
    )
    reason = f"{level_label(grade)}毕业（{start_year}—{start_year + 1}学年）"
    for pupil in enrolled:
        pupil_set_status(actor=actor, pupil=pupil, status=PupilStatus.GRADUATED, effective_date=today, reason=reason)
    try:
        with transaction.atomic():
            Graduate.objects.bulk_create(Graduate(graduation=graduation, pupil=p, grade=grade) for p in enrolled)
    except IntegrityError:
        raise ValidationError("名单中有学生已办理过毕业，请刷新后重试。", code="already_graduated") from None
    late = "（逾期办理）" if graduation.late else ""
    audit_record(action="graduation.perform", obj=school, user=actor, unit=school,
                 detail=f"{GRADE_LABELS[grade]} {len(enrolled)} 名学生毕业，{len(not_graduated)} 名未办理毕业{late}")
    return graduation


# Next year's classes and the promotion plan -------------------------------------------------

def _check_not_promoted(school: Unit, start_year: int) -> None:
    if PromotionSchool.objects.filter(school=school, year=start_year + 1).exists():
        raise ValidationError("本校今年已经升级，升级班级对应不能再修改。", code="promoted")


@transaction.atomic
def next_year_classes_prepare(*, actor: User, school: Unit, start_year: int) -> list[SchoolClass]:
    """Create next year's classes for promotion: for every class of this year (of the grades that
    move up), the class of the next grade with the same number, where it does not exist yet."""
    _require_registrar(actor, school, "设置明年班级")
    _check_not_promoted(school, start_year)
    next_year = school_year_get(start_year + 1)
    grades = promotable_grades(school)
    wanted = {
        (grade + 1, number)
        for grade, number in SchoolClass.objects.filter(
            school=school, school_year__start_year=start_year, grade__in=grades
        ).values_list("grade", "number")
    }
    existing = set(SchoolClass.objects.filter(school=school, school_year=next_year).values_list("grade", "number"))
    created = SchoolClass.objects.bulk_create(
        [SchoolClass(school=school, school_year=next_year, grade=grade, number=number)
         for grade, number in sorted(wanted - existing)],
        ignore_conflicts=True,
    )
    if created:
        audit_record(action="promotion.classes", obj=school, user=actor, unit=school,
                     detail=f"新建 {next_year} 班级 {len(created)} 个（与今年班号相同）")
    return created


@transaction.atomic
def next_year_class_add(*, actor: User, school: Unit, start_year: int, grade: int) -> SchoolClass:
    """Add one class of next year in ``grade``, numbered after the ones there are."""
    _require_registrar(actor, school, "设置明年班级")
    _check_not_promoted(school, start_year)
    if grade not in [g + 1 for g in promotable_grades(school)]:
        raise ValidationError({"grade": "只能为升入的年级新建明年班级。"})
    next_year = school_year_get(start_year + 1)
    existing = SchoolClass.objects.select_for_update().filter(school=school, school_year=next_year, grade=grade)
    number = max((c.number for c in existing), default=0) + 1
    school_class = SchoolClass.objects.create(school=school, school_year=next_year, grade=grade, number=number)
    audit_record(action="promotion.classes", obj=school, user=actor, unit=school, detail=f"新建 {next_year} {school_class.name}")
    return school_class


@transaction.atomic
def class_mappings_set(
    *, actor: User, school: Unit, start_year: int, targets: dict[int, int | None]
) -> int:
    """Set where this year's classes go next year: {this year's class id: next year's class id,
    or None for the default (the class of the next grade with the same number)}. Each target must
    be a class of the same school, of next year, one grade up. Returns how many changed."""
    _require_registrar(actor, school, "设置升级班级对应")
    _check_not_promoted(school, start_year)
    grades = promotable_grades(school)
    sources = {
        c.pk: c for c in SchoolClass.objects.filter(
            pk__in=list(targets), school=school, school_year__start_year=start_year, grade__in=grades
        )
    }
    unknown = set(targets) - set(sources)
    if unknown:
        raise ValidationError("只能为本校今年非毕业年级的班级设置升级对应。", code="unknown_class")
    wanted = {pk for pk in targets.values() if pk}
    options = {
        c.pk: c for c in SchoolClass.objects.filter(pk__in=wanted, school=school, school_year__start_year=start_year + 1)
    }
    errors = {}
    for source_id, target_id in targets.items():
        source = sources[source_id]
        if target_id is None:
            continue
        target = options.get(target_id)
        if target is None or target.grade != source.grade + 1:
            errors[f"class_{source_id}"] = ValidationError(
                f"{source.name}只能升入明年的{GRADE_LABELS[source.grade + 1]}班级。", code="wrong_target"
            )
    if errors:
        raise ValidationError(errors)
    existing = {m.from_class_id: m for m in ClassMapping.objects.select_for_update().filter(from_class_id__in=list(sources))}
    changed = 0
    for source_id, target_id in targets.items():
        current = existing.get(source_id)
        if target_id is None:
            if current is not None:
                current.delete()
                changed += 1
        elif current is None:
            ClassMapping.objects.create(from_class_id=source_id, to_class_id=target_id, set_by=actor)
            changed += 1
        elif current.to_class_id != target_id:
            current.to_class_id, current.set_by = target_id, actor
            current.save(update_fields=["to_class", "set_by", "set_at"])
            changed += 1
    if changed:
        audit_record(action="promotion.mapping", obj=school, user=actor, unit=school, detail=f"修改升级班级对应 {changed} 项")
    return changed


# Promotion -----------------------------------------------------------------------------------

class PromotionIncomplete(RuntimeError):
    """A run ended with schools not promoted (their errors are on the run); running it again
    finishes them (the Celery task retries)."""


@transaction.atomic
def promotion_run_request(
    *, actor: User | None, bureau: Unit, today: date | None = None, queue: bool = True
) -> PromotionRun:
    """升级 on demand: the bureau (or the system administrator, ``actor`` None) asks for this
    year's promotion of its schools, from its promotion date (10 August) until the end of August
    (before then the daily job does it on the day). The run is queued for a worker (unless
    ``queue`` is False: the caller runs it); a run already asked for is queued again (a rerun skips
    the schools done)."""
    today = today or timezone.localdate()
    if actor is not None and not may_run_promotion(actor, bureau):
        raise ValidationError("只有本教育局的学籍管理人员可以执行升级。", code="not_bureau")
    if bureau.kind not in BUREAU_KINDS:
        raise ValidationError("只有教育行政部门可以执行升级。", code="not_bureau")
    if not supervised_schools(bureau):
        raise ValidationError("本局没有直接管理的学校：辖区内学校的升级由各县（区）教育局执行。", code="no_schools")
    opens, closes = promotion_window(bureau, today.year)
    if today < opens:
        raise ValidationError(
            f"升级日期为 {opens:%Y-%m-%d}，届时系统自动为全部在籍在校学生升级；升级日期之前不能提前升级。", code="too_early"
        )
    if today > closes:
        raise ValidationError(f"{today.year} 年的升级办理期已过（至 {closes:%Y-%m-%d}）。", code="too_late")
    run, created = PromotionRun.objects.select_for_update().get_or_create(
        bureau=bureau, year=today.year,
        defaults={"trigger": PromotionRun.Trigger.MANUAL, "requested_by": actor},
    )
    if run.status == PromotionRun.Status.DONE:
        raise ValidationError(f"{run}已完成，不需要再次执行。", code="done")
    audit_record(action="promotion.request", obj=bureau, user=actor, unit=bureau,
                 detail=f"{'执行' if created else '继续执行'}{run}")
    if queue:
        from schoolyear.tasks import promotion_run_task

        # The broker away: the daily job resumes unfinished runs.
        enqueue_on_commit(promotion_run_task, run.pk)
    return run


def promotion_due_runs(*, today: date | None = None) -> list[PromotionRun]:
    """The runs the daily job (django-celery-beat) carries out today: each bureau's, for the
    schools it supervises, on its promotion date (created then); on the days after, until the end
    of August, the runs that did not finish (a crash, a school that failed). Other days none."""
    today = today or timezone.localdate()
    bureaus = [bureau for bureau, schools in supervision_map().items() if schools]
    settings = bureau_settings_by_unit(bureaus)
    runs = {run.bureau_id: run for run in PromotionRun.objects.filter(year=today.year, bureau__in=bureaus)}
    due = []
    for bureau in bureaus:
        opens, closes = promotion_window(bureau, today.year, settings=settings[bureau.pk])
        run = runs.get(bureau.pk)
        if run is None and today == opens:
            run, _ = PromotionRun.objects.get_or_create(
                bureau=bureau, year=today.year, defaults={"trigger": PromotionRun.Trigger.SCHEDULE}
            )
        elif run is None or run.status == PromotionRun.Status.DONE or not opens <= today <= closes:
            continue
        due.append(run)
    return due


def promotion_daily(*, today: date | None = None) -> list[PromotionRun]:
    """The daily job's work done here, run after run (the Celery task hands each run to a worker
    of its own instead). Idempotent."""
    return [promotion_run_execute(run_id=run.pk) for run in promotion_due_runs(today=today)]


def promotion_run_execute(*, run_id: int) -> PromotionRun:
    """Carry out (or resume) a run: every school the bureau supervises that has no row for the
    year is promoted in a transaction of its own; a school that fails is left for the next
    attempt, the others go on. Ends DONE when every school is done, else FAILED with the errors.
    Running it again changes nothing for the schools done.

    The run is taken by this process first (xueji/jobs.py): a run that a live worker is carrying
    out is left to it and returned as it is ("running"); one whose worker was lost is taken over.
    Each school done is a heartbeat."""
    run = PromotionRun.objects.select_related("bureau").get(pk=run_id)
    schools = supervised_schools(run.bureau)
    if not job_claim(PromotionRun, run.pk, started_at=Coalesce(F("started_at"), timezone.now()),
                     attempts=F("attempts") + 1, schools_total=len(schools)):
        return run
    this_year = SchoolYear.objects.filter(start_year=run.year - 1).first()
    next_year = school_year_get(run.year)
    done = set(PromotionSchool.objects.filter(year=run.year, school__in=schools).values_list("school_id", flat=True))
    errors: dict[str, str] = {}
    for school in schools:
        if school.pk in done:
            continue
        try:
            promotion_school_promote(run=run, school=school, this_year=this_year, next_year=next_year)
        except (DatabaseError, SoftTimeLimitExceeded):
            raise  # the database away, or the time limit: the whole run stops (and is resumed)
        except Exception as error:  # noqa: BLE001 — one school's failure must not hold back the others
            logger.exception("promotion of %s (%s) failed", school.name, school.pk)
            errors[str(school.pk)] = f"{school.name}：{error}"[:300]
        try:
            job_heartbeat(PromotionRun, run.pk)
        except JobLost:
            logger.warning("promotion run %s was taken over by another worker: this run stops", run.pk)
            run.refresh_from_db()
            return run
    return _run_finish(run, schools, errors)


def _run_finish(run: PromotionRun, schools: list[Unit], errors: dict[str, str]) -> PromotionRun:
    rows = PromotionSchool.objects.filter(year=run.year, school__in=schools)
    done = rows.count()
    promoted = sum(rows.values_list("promoted", flat=True))
    complete = done == len(schools)
    # Only while this process runs it: one taken over meanwhile is finished by its new owner.
    job_owned(PromotionRun, run.pk).update(
        status=PromotionRun.Status.DONE if complete else PromotionRun.Status.FAILED,
        finished_at=timezone.now() if complete else None, worker="",
        schools_total=len(schools), schools_done=done, promoted=promoted, errors=errors,
    )
    run.refresh_from_db()
    return run


# One school: four statements. What will stay behind is counted for the report (the graduating
# grade; pupils whose class is not one of this year's). The classes of next year that pupils will
# need and nobody mapped (the same number, one grade up) are created, so that every pupil of a
# class of this year has a place; then the pupils of this year's classes move (UPDATE … FROM: the
# mapping if it names a class of next year one grade up, else the class of the same number); then
# pupils without a class move up a grade. Only enrolled (在籍在校) pupils of the grades below the
# graduating one move; the classes of next year and pupils already in them are never touched, so
# each statement is idempotent on its own too.
_CREATE_CLASSES_SQL = """
INSERT INTO xueji_schoolclass (school_id, school_year_id, grade, number)
SELECT DISTINCT c.school_id, %(next_year)s, c.grade + 1, c.number
FROM xueji_schoolclass AS c
WHERE c.school_id = %(school)s AND c.school_year_id = %(this_year)s AND c.grade = ANY(%(grades)s)
  AND NOT EXISTS (
      SELECT 1 FROM schoolyear_classmapping AS m JOIN xueji_schoolclass AS t ON t.id = m.to_class_id
      WHERE m.from_class_id = c.id AND t.school_id = c.school_id AND t.school_year_id = %(next_year)s
        AND t.grade = c.grade + 1)
  AND EXISTS (
      SELECT 1 FROM xueji_pupil AS p
      WHERE p.school_class_id = c.id AND p.status = 'enrolled' AND p.deleted_at IS NULL AND p.grade = c.grade)
ON CONFLICT (school_id, school_year_id, grade, number) DO NOTHING
"""
# Where each class of this year goes is worked out first, for the school's few classes (the
# mapping if it names a class of next year one grade up, else the class of the same number), and
# kept (MATERIALIZED): joined per pupil, PostgreSQL picked a poor plan for the same-number lookup
# and read thousands of classes for each pupil (benchmarks/promotion.py).
_MOVE_SQL = """
WITH targets AS MATERIALIZED (
    SELECT c.id AS from_class, c.grade, COALESCE(t.id, n.id) AS to_class, t.id IS NOT NULL AS mapped
    FROM xueji_schoolclass AS c
    LEFT JOIN schoolyear_classmapping AS m ON m.from_class_id = c.id
    LEFT JOIN xueji_schoolclass AS t
        ON t.id = m.to_class_id AND t.school_id = c.school_id AND t.school_year_id = %(next_year)s
       AND t.grade = c.grade + 1
    LEFT JOIN xueji_schoolclass AS n
        ON n.school_id = c.school_id AND n.school_year_id = %(next_year)s AND n.grade = c.grade + 1
       AND n.number = c.number
    WHERE c.school_id = %(school)s AND c.school_year_id = %(this_year)s AND c.grade = ANY(%(grades)s)
),
moved AS (
    UPDATE xueji_pupil AS p
    SET grade = p.grade + 1, school_class_id = targets.to_class, updated_at = %(now)s
    FROM targets
    WHERE p.school_class_id = targets.from_class AND p.school_id = %(school)s AND p.grade = targets.grade
      AND p.status = 'enrolled' AND p.deleted_at IS NULL
    RETURNING targets.grade AS from_grade, targets.mapped
)
SELECT from_grade, count(*), count(*) FILTER (WHERE mapped) FROM moved GROUP BY from_grade
"""
_MOVE_WITHOUT_CLASS_SQL = """
WITH moved AS (
    UPDATE xueji_pupil AS p SET grade = p.grade + 1, updated_at = %(now)s
    WHERE p.school_id = %(school)s AND p.school_class_id IS NULL AND p.grade = ANY(%(grades)s)
      AND p.status = 'enrolled' AND p.deleted_at IS NULL
    RETURNING p.grade - 1 AS from_grade
)
SELECT from_grade, count(*) FROM moved GROUP BY from_grade
"""
# Counted before the pupils move: the enrolled pupils that stay where they are.
_LEFT_SQL = """
SELECT count(*) FILTER (WHERE p.grade = %(graduating)s),
       count(*) FILTER (WHERE p.grade = ANY(%(grades)s) AND (c.school_year_id <> %(this_year)s OR c.grade <> p.grade))
FROM xueji_pupil AS p LEFT JOIN xueji_schoolclass AS c ON c.id = p.school_class_id
WHERE p.school_id = %(school)s AND p.status = 'enrolled' AND p.deleted_at IS NULL
"""


def promotion_school_promote(
    *, run: PromotionRun, school: Unit, this_year: SchoolYear | None, next_year: SchoolYear
) -> PromotionSchool | None:
    """Promote one school's pupils into ``next_year`` in one transaction, with its report row;
    None when the school was done already (by this run or any other)."""
    with transaction.atomic():
        # Serialises two runs over the same school (two workers, a retry beside a manual rerun):
        # the second waits here, then finds the row of the first.
        Unit.objects.select_for_update().filter(pk=school.pk).values_list("pk", flat=True).get()
        if PromotionSchool.objects.filter(school=school, year=run.year).exists():
            return None
        params = {
            "school": school.pk, "this_year": this_year.pk if this_year else 0, "next_year": next_year.pk,
            "grades": promotable_grades(school), "graduating": graduating_grade(school), "now": timezone.now(),
        }
        by_grade: dict[str, int] = {}
        mapped = without_class = 0
        with pghistory.context(user=run.requested_by_id, reason=f"升级：{run.from_year}—{run.year}学年升入{run.year}—{run.year + 1}学年"):
            with connection.cursor() as cursor:
                cursor.execute(_LEFT_SQL, params)
                graduating_left, other_year = cursor.fetchone()
                cursor.execute(_CREATE_CLASSES_SQL, params)
                classes_created = cursor.rowcount
                cursor.execute(_MOVE_SQL, params)
                for from_grade, count, mapped_count in cursor.fetchall():
                    by_grade[str(from_grade)] = by_grade.get(str(from_grade), 0) + count
                    mapped += mapped_count
                cursor.execute(_MOVE_WITHOUT_CLASS_SQL, params)
                for from_grade, count in cursor.fetchall():
                    by_grade[str(from_grade)] = by_grade.get(str(from_grade), 0) + count
                    without_class += count
        promoted = sum(by_grade.values())
        row = PromotionSchool.objects.create(
            run=run, school=school, year=run.year, promoted=promoted, mapped=mapped, without_class=without_class,
            classes_created=max(classes_created, 0), graduating_left=graduating_left, other_year=other_year,
            by_grade=dict(sorted(by_grade.items())),
        )
        audit_record(action="promotion.school", obj=school, user=run.requested_by, unit=school,
                     detail=f"升级：{promoted} 名学生升入{run.year}—{run.year + 1}学年（{run}）")
    return row


# Certificates --------------------------------------------------------------------------------

CERTIFICATE_PREFIX = re.compile(r"^[0-9A-Za-z\-]{0,20}$")
MAX_NUMBER_LENGTH = 30


@dataclass(frozen=True)
class NumberPlan:
    prefix: str
    first_sequence: int
    width: int


def certificate_plan_check(plan: NumberPlan, count: int) -> None:
    """The prefix and sequence a bureau entered, for ``count`` numbers in a row."""
    errors = {}
    if not CERTIFICATE_PREFIX.match(plan.prefix):
        errors["prefix"] = "编号前缀只能由字母、数字和“-”组成，最多 20 位。"
    if not 1 <= plan.width <= 12:
        errors["width"] = "流水号位数应为 1 到 12 位。"
    elif len(plan.prefix) + plan.width > MAX_NUMBER_LENGTH:
        errors["width"] = f"证书编号最长 {MAX_NUMBER_LENGTH} 位。"
    elif plan.first_sequence < 0 or plan.first_sequence + count - 1 >= 10 ** plan.width:
        errors["first_sequence"] = f"起始流水号加上 {count} 本证书超出了 {plan.width} 位流水号的范围。"
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def certificates_assign(*, actor: User, school: Unit, start_year: int, plan: NumberPlan) -> CertificateBatch:
    """义务教育证书编号: the bureau numbers the certificates of a school's graduates of a school
    year who have none yet, consecutively from ``plan`` (prefix + zero-padded sequence), in
    class and name order. All or nothing: if any number of the run is taken, nothing is numbered
    and the taken numbers are named (a run has no gaps). A graduate's number is never changed or
    given again."""
    if not may_issue_certificates(actor, school):
        raise ValidationError("只有学校所属教育局的学籍管理人员可以编号义务教育证书。", code="not_bureau")
    graduates = list(
        Graduate.objects.select_for_update(of=("self",))
        .filter(graduation__school=school, graduation__school_year__start_year=start_year, certificate__isnull=True)
        .select_related("pupil__school_class")
        .order_by("pupil__school_class__number", "pupil__name_sort", "pupil__name", "pupil_id")
    )
    if not graduates:
        raise ValidationError("该校本学年的毕业生都已有证书编号，没有需要编号的毕业生。", code="nothing")
    certificate_plan_check(plan, len(graduates))
    sequences = range(plan.first_sequence, plan.first_sequence + len(graduates))
    numbers = [f"{plan.prefix}{sequence:0{plan.width}d}" for sequence in sequences]
    taken = sorted(Certificate.objects.filter(number__in=numbers).values_list("number", flat=True))
    if taken:
        listed = "、".join(taken[:5]) + (f" 等 {len(taken)} 个" if len(taken) > 5 else "")
        raise ValidationError(
            {"first_sequence": f"编号 {listed} 已被使用。同一批编号必须连续，请换一个起始流水号。"}, code="taken"
        )
    batch = CertificateBatch.objects.create(
        bureau=bureau_of(school), school=school, school_year=school_year_get(start_year), prefix=plan.prefix,
        width=plan.width, first_sequence=plan.first_sequence, last_sequence=sequences[-1], count=len(graduates),
        issued_by=actor,
    )
    try:
        with transaction.atomic():
            Certificate.objects.bulk_create(
                Certificate(graduate=graduate, number=number, batch=batch) for graduate, number in zip(graduates, numbers)
            )
    except IntegrityError:
        # Another officer numbered at the same moment: the unique indexes settle it.
        raise ValidationError("证书编号已被占用，或有毕业生刚刚被编号，请刷新后重试。", code="race") from None
    audit_record(action="certificate.assign", obj=school, user=actor, unit=school,
                 detail=f"义务教育证书编号 {batch.first_number}–{batch.last_number}，共 {batch.count} 本")
    return batch


def certificate_next_sequence(prefix: str, width: int) -> int:
    """The sequence after the highest number with this prefix and width (1 when there is none)."""
    pattern = rf"^{re.escape(prefix)}\d{{{width}}}$"
    highest = Certificate.objects.filter(number__regex=pattern).aggregate(top=Max("number"))["top"]
    return int(highest[len(prefix):]) + 1 if highest else 1


# 学历证明书 ----------------------------------------------------------------------------------

EDUCATION_PROOF = "education_proof"


def latest_graduation_of(pupil: Pupil) -> Graduate | None:
    """The pupil's last graduation at the school it belongs to."""
    return (
        Graduate.objects.filter(pupil=pupil, graduation__school_id=pupil.school_id)
        .select_related("graduation__school_year").order_by("-grade", "-id").first()
    )


@transaction.atomic
def education_proof_start(
    *, actor: User, pupil: Pupil, note: str = "", resubmission_of: ChangeRequest | None = None
) -> ChangeRequest:
    """学历证明书: a graduate's certificate is lost and is never reissued; the school that
    graduated the pupil issues a proof of the education instead, and the bureau confirms it
    (农安县办法 第三十一条). A request of the engine: the school's headmaster signs, the bureau
    confirms; the printed proof shows the confirmation."""
    _require_registrar(actor, pupil.school, "出具学历证明书")
    graduate = latest_graduation_of(pupil)
    if pupil.status != PupilStatus.GRADUATED or graduate is None:
        raise ValidationError("只能为在本校办理了毕业的学生出具学历证明书。", code="not_graduate")
    certificate = Certificate.objects.filter(graduate=graduate).first()
    graduation = graduate.graduation
    payload = {
        "graduate": graduate.pk,
        "grade": graduate.grade,
        "level": level_label(graduate.grade),
        "graduated_on": graduation.graduated_on.isoformat(),
        "school_year": graduation.school_year.start_year,
        "certificate_number": certificate.number if certificate else "",
        "note": (note or "").strip()[:300],
    }
    return request_start(kind=EDUCATION_PROOF, actor=actor, unit=pupil.school, pupil=pupil, payload=payload,
                         resubmission_of=resubmission_of)
