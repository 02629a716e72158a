"""Reads of dropouts/, scoped to the user, and who may do what.

A case is seen by its school's registrar and headmaster and by the central school and bureaus
above the school (the same people who see the school's pupils, head teachers aside: the case is
the school's business with the bureau). Absences are recorded by the pupil's head teacher or the
school's registrar; cases are confirmed, logged and closed by the school's registrar, and the
headmaster may log steps too (home visits are often the headmaster's)."""

from datetime import date

from django.db.models import Q, QuerySet

from dropouts.models import CaseStep, DropoutCase, LedgerEntry, VisitPhoto
from xueji.accounts.models import BUREAU_ROLES, Role, Unit, UnitKind, User
from xueji.accounts.permissions import holds, holds_anywhere
from xueji.accounts.scoping import UNIT_ROLES_SEEING_SUBTREE, NotInScope, memberships_of, object_id
from xueji.calendar import workdays
from xueji.pupils.models import Pupil

SCHOOL_CASE_ROLES = {Role.REGISTRAR, Role.HEADMASTER}
# A case without a logged step for this many working days is shown as stalled to the bureau.
STALLED_AFTER_WORKING_DAYS = 10


def may_record_absence(user: User, pupil: Pupil) -> bool:
    """The school's registrar, or the head teacher of the pupil's class."""
    if holds(user, Role.REGISTRAR, pupil.school_id):
        return True
    return (
        holds(user, Role.HEAD_TEACHER, pupil.school_id)
        and pupil.school_class is not None
        and pupil.school_class.head_teacher_id == user.pk
    )


def may_confirm(user: User, pupil: Pupil) -> bool:
    return holds(user, Role.REGISTRAR, pupil.school_id)


def may_log_steps(user: User, case: DropoutCase) -> bool:
    return holds(user, SCHOOL_CASE_ROLES, case.school_id)


def may_close(user: User, case: DropoutCase) -> bool:
    return holds(user, Role.REGISTRAR, case.school_id)


def may_log_ledger(user: User, school_id: int) -> bool:
    """Return attempts on the 适龄未入学 and 疑似辍学 ledgers: the school's registrar or headmaster."""
    return holds(user, SCHOOL_CASE_ROLES, school_id)


def may_close_ledger(user: User, school_id: int) -> bool:
    return holds(user, Role.REGISTRAR, school_id)


def may_sign_report(user: User, school_id: int) -> bool:
    """The monthly dropout report is signed by the school's headmaster, and no one else."""
    return holds(user, Role.HEADMASTER, school_id)


def may_make_report(user: User, school_id: int) -> bool:
    return holds(user, Role.REGISTRAR, school_id)


def keeps_ledgers(user: User) -> bool:
    """Who reads the ledgers: a school's registrar or headmaster, central schools and bureaus."""
    return bool(dropout_schools_of(user)) or is_overseer(user)


def ledger_entries_visible_to(user: User) -> QuerySet[LedgerEntry]:
    scope = _school_scope(user, "school__")
    return LedgerEntry.objects.filter(scope) if scope is not None else LedgerEntry.objects.none()


def schools_visible_to(user: User) -> QuerySet[Unit]:
    """The schools whose dropout business the user sees."""
    scope = _school_scope(user, "")
    return Unit.objects.filter(scope, kind=UnitKind.SCHOOL) if scope is not None else Unit.objects.none()


def dropout_schools_of(user: User) -> list[Unit]:
    """The schools whose dropout list the user keeps (registrar or headmaster there)."""
    seen: dict[int, Unit] = {}
    for m in memberships_of(user):
        if m.role in SCHOOL_CASE_ROLES and m.unit is not None:
            seen.setdefault(m.unit.pk, m.unit)
    return list(seen.values())


def is_overseer(user: User) -> bool:
    """Bureau officers and central-school registrars: they follow the cases of their area."""
    return holds_anywhere(user, UNIT_ROLES_SEEING_SUBTREE)


def _school_scope(user: User, prefix: str) -> Q | None:
    """The schools whose dropout business the user sees: their own school as its registrar or
    headmaster, every school under the bureau or central school they work at. ``prefix`` is
    the path to the school from the model queried ("" for Unit itself, "school__" for a case)."""
    scopes = []
    for m in memberships_of(user):
        if m.role in SCHOOL_CASE_ROLES:
            scopes.append(Q(**{f"{prefix}pk": m.unit.pk}))
        elif m.role in UNIT_ROLES_SEEING_SUBTREE:
            scopes.append(Q(**{f"{prefix}path__startswith": m.unit.path}))
    if not scopes:
        return None
    scope = scopes[0]
    for extra in scopes[1:]:
        scope |= extra
    return scope


def cases_visible_to(user: User) -> QuerySet[DropoutCase]:
    scope = _school_scope(user, "school__")
    return DropoutCase.objects.filter(scope) if scope is not None else DropoutCase.objects.none()


def get_school_for_suspects(user: User, school_id) -> Unit:
    """A school whose suspected list the user may read (the same people who see its cases);
    any other school is a 404, as if it did not exist."""
    scope = _school_scope(user, "")
    if scope is not None:
        school = Unit.objects.filter(scope, kind=UnitKind.SCHOOL, pk=object_id(school_id)).first()
        if school is not None:
            return school
    raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=school_id)


def get_photo_for_user(user: User, photo_id) -> VisitPhoto:
    """A home-visit photo, only for those who see its case."""
    try:
        return VisitPhoto.objects.select_related("step__case").get(
            pk=object_id(photo_id), step__case__in=cases_visible_to(user)
        )
    except VisitPhoto.DoesNotExist:
        raise NotInScope("没有找到这张照片，或您无权查看。", what="visitphoto", object_id=photo_id) from None


def get_case_for_user(user: User, case_id) -> DropoutCase:
    try:
        return cases_visible_to(user).select_related("pupil__school_class", "school", "confirmed_by").get(
            pk=object_id(case_id)
        )
    except DropoutCase.DoesNotExist:
        raise NotInScope("没有找到这个辍学劝返记录，或您无权查看。", what="dropoutcase", object_id=case_id) from None


def bureau_rows(user: User, today: date) -> list[dict]:
    """The open cases of the user's area for the 控辍保学 page, by township and school: days
    open, the last step and whether the case has gone 10 working days without one."""
    if not holds_anywhere(user, {*BUREAU_ROLES, Role.CENTRAL_REGISTRAR}):
        return []
    cases = list(
        cases_visible_to(user).filter(status=DropoutCase.Status.OPEN).select_related("pupil", "school")
        .order_by("school__township", "school__name", "opened_on", "id")
    )
    last_steps: dict[int, CaseStep] = {}
    # One query for every case's steps, newest last; the dict keeps each case's newest.
    for step in CaseStep.objects.filter(case__in=cases).order_by("case_id", "day", "id"):
        last_steps[step.case_id] = step
    rows = []
    for case in cases:
        last = last_steps.get(case.pk)
        since = last.day if last else case.opened_on
        rows.append({
            "case": case,
            "township": case.school.township or "（未填乡镇）",
            "days_open": (today - case.opened_on).days,
            "last_step": last,
            "stalled": workdays.working_days_between(since, today) >= STALLED_AFTER_WORKING_DAYS,
        })
    return rows
