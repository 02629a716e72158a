"""学籍核查 (the semester audit; "roll-call" in code, so that it is not taken for the audit log):
in the first month of each semester each head teacher calls the roll of the class against the
records — every pupil present, or absent with a reason — and adds the children sitting in the
class who are on no list. The submitted roll-call turns into work:

- a child present without a record (名单外) → late registration (补建) for the registrar;
- a record without a child, absent without a reason → a suspected dropout: the day goes into the
  dropouts app's absence log (its service), where ten such school days make the suspected list;
- a record whose child has moved away without a transfer → a transfer for the registrar to chase;
- a visiting pupil (借读) → the home school, which keeps the record, confirms it.

Who: the head teacher of the class (a class without one: the school's registrar) calls the roll;
the registrar follows the work and may reopen a submitted roll-call while the window is open; the
headmaster, the central school and the bureaus read the progress. Pages: rollcall_views.py; API:
rollcall_api.py; the printed report: rollcall_printing.py."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from dateutil.relativedelta import relativedelta
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from archives.paper.services import paper_schools_visible_to
from archives.rollcall.models import RollCall, RollCallEntry
from enrollment.intake.visiting import host_schools_of_visiting, pupils_visiting_class
from xueji.accounts.audit import audit_record
from xueji.accounts.models import Membership, Role, Unit, User
from xueji.accounts.permissions import NotAllowed, holds, require_registrar
from xueji.accounts.scoping import NotInScope, memberships_of, object_id
from xueji.approvals.models import Notice
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil, SchoolClass, Semester
from xueji.pupils.scoping import classes_visible_to

# 000 三: 各校每学期开学后的第一个月要核查…. One calendar month from the first day of the semester.
WINDOW_MONTHS = 1
Kind, Reason, Outcome = RollCallEntry.Kind, RollCallEntry.Reason, RollCallEntry.Outcome
NAME_MAX, NOTE_MAX = 50, 200
CALLER_ONLY = "只有本班班主任可以点名核查。"
# The outcomes the school's registrar works on; a visiting pupil's is the home school's.
SCHOOL_WORK = (Outcome.LATE_REGISTRATION, Outcome.DROPOUT, Outcome.TRANSFER)


# The window --------------------------------------------------------------------------------

def audit_window(semester: Semester) -> tuple[date, date]:
    """The first and the last day of the semester's audit: its first month."""
    return semester.start_date, semester.start_date + relativedelta(months=WINDOW_MONTHS) - timedelta(days=1)


def semester_for(today: date) -> Semester | None:
    """The semester under way on ``today``: the latest that has started."""
    return Semester.objects.filter(start_date__lte=today).select_related("school_year").order_by("-start_date").first()


def semester_chosen(chosen, today: date) -> tuple[Semester | None, bool]:
    """The semester a page or the API was asked for (``chosen``: its id, as typed), else the one
    under way on ``today``. Returns (semester, whether a chosen one was not found): the caller
    answers an unknown semester in its own way (a 404 page, a field error)."""
    if chosen in (None, ""):
        return semester_for(today), False
    semester = Semester.objects.select_related("school_year").filter(pk=object_id(chosen)).first()
    return semester, semester is None


def semester_of_class(school_class: SchoolClass, today: date) -> Semester | None:
    """The semester of the class's school year under way on ``today``; before the year's first
    semester starts, that one (its audit has not begun)."""
    semesters = list(Semester.objects.filter(school_year_id=school_class.school_year_id).order_by("start_date"))
    started = [s for s in semesters if s.start_date <= today]
    return started[-1] if started else (semesters[0] if semesters else None)


def window_is_open(semester: Semester, today: date) -> bool:
    first, last = audit_window(semester)
    return first <= today <= last


def check_window(semester: Semester, today: date) -> None:
    first, last = audit_window(semester)
    if today < first:
        raise ValidationError(f"{semester}的学籍核查自 {first:%Y-%m-%d} 开始。", code="window")
    if today > last:
        raise ValidationError(f"{semester}的学籍核查已于 {last:%Y-%m-%d} 结束（开学后第一个月内完成）。", code="window")


# Who ---------------------------------------------------------------------------------------

def may_call_roll(user: User, school_class: SchoolClass) -> bool:
    """The class's head teacher; for a class without one, the school's registrar."""
    if school_class.head_teacher_id is None:
        return holds(user, Role.REGISTRAR, school_class.school_id)
    return school_class.head_teacher_id == user.pk and holds(user, Role.HEAD_TEACHER, school_class.school_id)


def require_caller(user: User, school_class: SchoolClass) -> None:
    """Refuse (NotAllowed, 403) anyone but whoever calls this class's roll."""
    if not may_call_roll(user, school_class):
        raise NotAllowed(CALLER_ONLY, code="not_caller")


def may_follow_up(user: User, school_id: int) -> bool:
    """The school's registrar: reopens a roll-call and marks its work done."""
    return holds(user, Role.REGISTRAR, school_id)


def may_handle(user: User, entry: RollCallEntry) -> bool:
    """Who says a line's work is done: the home school's registrar for a visiting pupil (it keeps
    the record), else the registrar of the school that called the roll."""
    school_id = entry.home_school_id if entry.outcome == Outcome.VISITING else entry.roll_call.school_id
    return bool(school_id) and may_follow_up(user, school_id)


def rollcalls_visible_to(user: User) -> QuerySet[RollCall]:
    """The roll-calls of the classes the user sees: a head teacher's own classes, a school's
    classes for its registrar and headmaster, a central school's or bureau's schools' classes."""
    return RollCall.objects.filter(school_class__in=classes_visible_to(user))


def get_rollcall_for_user(user: User, roll_call_id) -> RollCall:
    roll_call = (rollcalls_visible_to(user).select_related("school_class__head_teacher", "school", "semester__school_year")
                 .filter(pk=object_id(roll_call_id)).first())
    if roll_call is None:
        raise NotInScope("没有找到这次学籍核查，或您无权查看。", what="rollcall", object_id=roll_call_id)
    return roll_call


def entries_visible_to(user: User) -> QuerySet[RollCallEntry]:
    """The entries of the roll-calls the user sees, and the visiting pupils of the user's school
    called at other schools (the home school confirms them)."""
    home = [m.unit_id for m in memberships_of(user) if m.role in (Role.REGISTRAR, Role.HEADMASTER)]
    return RollCallEntry.objects.filter(
        Q(roll_call__in=rollcalls_visible_to(user)) | Q(home_school_id__in=home, roll_call__status=RollCall.Status.DONE)
    )


def get_entry_for_user(user: User, entry_id) -> RollCallEntry:
    entry = (entries_visible_to(user).select_related("roll_call__school_class", "roll_call__school", "pupil", "home_school")
             .filter(pk=object_id(entry_id)).first())
    if entry is None:
        raise NotInScope("没有找到这条点名记录，或您无权查看。", what="rollcallentry", object_id=entry_id)
    return entry


def rollcall_schools_visible_to(user: User) -> QuerySet[Unit]:
    """Schools whose progress the user follows: the same people who keep or oversee the paper
    archive (a school's registrar and headmaster, the central school and bureaus above)."""
    return paper_schools_visible_to(user)


def get_rollcall_school_for_user(user: User, school_id) -> Unit:
    school = rollcall_schools_visible_to(user).filter(pk=object_id(school_id)).first()
    if school is None:
        raise NotInScope("没有找到这所学校，或您无权查看。", what="unit", object_id=school_id)
    return school


# The list of a class -----------------------------------------------------------------------

@dataclass(frozen=True)
class ListChanges:
    """How the class differs from an open roll-call's list: the lines a refresh adds (pupils who
    came into the class or sat down in it as visitors since, unsaved) and those it removes (pupils
    who have left: moved, suspended). Empty (false) when the list is the class's."""

    joined: tuple[RollCallEntry, ...] = ()
    left: tuple[RollCallEntry, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.joined or self.left)

    @property
    def joined_names(self) -> str:
        return "、".join(e.name for e in self.joined)

    @property
    def left_names(self) -> str:
        return "、".join(e.name for e in self.left)

    def summary(self) -> str:
        """新增 1 人（李晓燕），移出 1 人（陈二）: for the messages and the audit log."""
        parts = [f"新增 {len(self.joined)} 人（{self.joined_names}）" if self.joined else "",
                 f"移出 {len(self.left)} 人（{self.left_names}）" if self.left else ""]
        return "，".join(p for p in parts if p)


def _list_changes(roll_call: RollCall) -> ListChanges:
    """The list the class makes now, against the stored one: every pupil in school of the class
    and every visiting pupil seated in it once. A pupil visiting another school gets a line
    pre-marked absent for that reason. Reads only."""
    school_class = roll_call.school_class
    pupils = {p.pk: p for p in Pupil.objects.filter(school_class=school_class, status=PupilStatus.ENROLLED, deleted_at__isnull=True)}
    visitors = {p.pk: p for p in pupils_visiting_class(school_class)}
    entries = list(roll_call.entries.exclude(kind=Kind.UNLISTED))
    left = [e for e in entries if (e.pupil_id not in pupils if e.kind == Kind.RECORD else e.pupil_id not in visitors)]
    gone = {e.pk for e in left}
    listed = {e.pupil_id for e in entries if e.pk not in gone}
    elsewhere = host_schools_of_visiting([pk for pk in pupils if pk not in listed])
    joined = []
    for pk, pupil in pupils.items():
        if pk in listed:
            continue
        entry = RollCallEntry(roll_call=roll_call, kind=Kind.RECORD, pupil=pupil, name=pupil.name)
        if pk in elsewhere:
            entry.present, entry.reason, entry.note = False, Reason.VISITING_ELSEWHERE, f"在{elsewhere[pk]}借读"
        joined.append(entry)
    for pk, pupil in visitors.items():
        if pk not in listed:
            joined.append(RollCallEntry(roll_call=roll_call, kind=Kind.VISITING, pupil=pupil, name=pupil.name,
                                        home_school_id=pupil.school_id))
    return ListChanges(joined=tuple(joined), left=tuple(left))


def list_changes(roll_call: RollCall) -> ListChanges:
    """What a refresh would change in the roll-call's list, without changing it: the class page
    shows it (a GET writes nothing) and offers the refresh. Nothing for a submitted roll-call,
    whose list is what was submitted."""
    if roll_call.status != RollCall.Status.OPEN:
        return ListChanges()
    return _list_changes(roll_call)


def _sync(roll_call: RollCall) -> ListChanges:
    """Bring an open roll-call's list in line with the records (see _list_changes)."""
    changes = _list_changes(roll_call)
    RollCallEntry.objects.filter(pk__in=[e.pk for e in changes.left]).delete()
    # Two syncs at once: the unique (roll_call, pupil) index keeps one row per pupil.
    RollCallEntry.objects.bulk_create(changes.joined, ignore_conflicts=True)
    return changes


def _locked(roll_call: RollCall) -> RollCall:
    # The roll-call row is the lock of its list: marks, additions, submission and reopening of
    # one class happen one at a time.
    return (RollCall.objects.select_for_update(of=("self",))
            .select_related("school_class", "school", "semester").get(pk=roll_call.pk))


def _editable(actor: User, roll_call: RollCall, today: date) -> RollCall:
    roll_call = _locked(roll_call)
    require_caller(actor, roll_call.school_class)
    if roll_call.status != RollCall.Status.OPEN:
        raise ValidationError("本班的学籍核查已提交；如需修改，请学籍管理员退回重新核查。", code="done")
    check_window(roll_call.semester, today)
    return roll_call


# Writes ------------------------------------------------------------------------------------

@transaction.atomic
def rollcall_open(*, actor: User, school_class: SchoolClass, today: date | None = None) -> RollCall:
    """The class's roll-call of the semester under way, opened on first use, its list brought up
    to date. Only in the semester's first month, only by whoever calls this class's roll."""
    today = today or timezone.localdate()
    require_caller(actor, school_class)
    semester = semester_of_class(school_class, today)
    if semester is None:
        raise ValidationError(f"{school_class.school_year}尚未设置学期，无法开展学籍核查。")
    existing = RollCall.objects.filter(semester=semester, school_class=school_class).first()
    if existing is not None and existing.status == RollCall.Status.DONE:
        return existing
    check_window(semester, today)
    if existing is None:
        existing, _ = RollCall.objects.get_or_create(
            semester=semester, school_class=school_class,
            defaults={"school_id": school_class.school_id, "started_by": actor},
        )
        audit_record(action="archive.rollcall_open", obj=school_class, user=actor, detail=f"开始{semester}学籍核查")
    roll_call = _locked(existing)
    if roll_call.status == RollCall.Status.OPEN:
        _sync(roll_call)
    return roll_call


@transaction.atomic
def rollcall_refresh(*, actor: User, roll_call: RollCall, today: date | None = None) -> ListChanges:
    """更新名单: an open roll-call's list brought in line with the class as it is now (a pupil who
    came in gets a line, the line of one who left goes), as opening does. The head teacher asks for
    it on the page, and every action that marks the roll-call runs it first. Returns what changed."""
    today = today or timezone.localdate()
    roll_call = _editable(actor, roll_call, today)
    changes = _sync(roll_call)
    if changes:
        audit_record(action="archive.rollcall_refresh", obj=roll_call.school_class, user=actor,
                     detail=f"更新{roll_call.semester}学籍核查名单：{changes.summary()}")
    return changes


@dataclass(frozen=True)
class EntryMark:
    entry_id: int
    present: bool
    reason: str = ""
    note: str = ""


@transaction.atomic
def rollcall_entries_mark(*, actor: User, roll_call: RollCall, marks: list[EntryMark], today: date | None = None) -> int:
    """Mark many lines at once (a class in one save): present, or absent with a reason."""
    today = today or timezone.localdate()
    roll_call = _editable(actor, roll_call, today)
    entries = {e.pk: e for e in roll_call.entries.filter(pk__in=[m.entry_id for m in marks])}
    if len(entries) != len({m.entry_id for m in marks}):
        raise ValidationError("点名记录不属于这次核查。")
    errors, now = [], timezone.now()
    for mark in marks:
        entry = entries[mark.entry_id]
        note = (mark.note or "").strip()
        if len(note) > NOTE_MAX:
            errors.append(f"{entry.name}：说明不超过 {NOTE_MAX} 个字。")
            continue
        if mark.present:
            entry.present, entry.reason = True, ""
        else:
            if entry.kind == Kind.UNLISTED:
                errors.append(f"{entry.name}：名单外的学生是在班上发现的，不能记为缺席；如登记有误，请删除该行。")
                continue
            if mark.reason not in Reason.values:
                errors.append(f"{entry.name}：请选择缺席原因。")
                continue
            if mark.reason == Reason.VISITING_ELSEWHERE and entry.kind != Kind.RECORD:
                errors.append(f"{entry.name}：借读生不能记为“在外校借读”。")
                continue
            entry.present, entry.reason = False, mark.reason
        entry.note, entry.marked_by, entry.marked_at = note, actor, now
    if errors:
        raise ValidationError(errors)
    RollCallEntry.objects.bulk_update(entries.values(), ["present", "reason", "note", "marked_by", "marked_at"])
    return len(entries)


@transaction.atomic
def rollcall_unlisted_add(*, actor: User, roll_call: RollCall, name: str, note: str = "", today: date | None = None) -> RollCallEntry:
    """A child in the class who is on no list (人在籍不在): present, for the registrar to register."""
    today = today or timezone.localdate()
    roll_call = _editable(actor, roll_call, today)
    name, note = (name or "").strip(), (note or "").strip()
    if not name:
        raise ValidationError({"name": "请填写学生姓名。"})
    if len(name) > NAME_MAX:
        raise ValidationError({"name": f"姓名不超过 {NAME_MAX} 个字。"})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"说明不超过 {NOTE_MAX} 个字。"})
    return RollCallEntry.objects.create(roll_call=roll_call, kind=Kind.UNLISTED, name=name, note=note, present=True,
                                        marked_by=actor, marked_at=timezone.now())


@transaction.atomic
def rollcall_unlisted_remove(*, actor: User, entry: RollCallEntry, today: date | None = None) -> None:
    today = today or timezone.localdate()
    _editable(actor, entry.roll_call, today)
    if entry.kind != Kind.UNLISTED:
        raise ValidationError("只能删除名单外的学生；名单上的学生请点名。")
    entry.delete()


def outcome_of(entry: RollCallEntry) -> str:
    """The work a line of a submitted roll-call makes ("" for none)."""
    if entry.kind == Kind.UNLISTED:
        return Outcome.LATE_REGISTRATION
    if entry.kind == Kind.VISITING:
        return Outcome.VISITING
    if entry.present is False and entry.reason == Reason.UNKNOWN:
        return Outcome.DROPOUT
    if entry.present is False and entry.reason == Reason.MOVED:
        return Outcome.TRANSFER
    return ""


@transaction.atomic
def rollcall_finish(*, actor: User, roll_call: RollCall, today: date | None = None) -> RollCall:
    """提交核查结果: every line marked, the outcomes become work (see the module's docstring), the
    registrar and the visiting pupils' home schools are told."""
    today = today or timezone.localdate()
    roll_call = _editable(actor, roll_call, today)
    _sync(roll_call)
    entries = list(roll_call.entries.select_related("pupil__school_class", "home_school"))
    unmarked = [e.name for e in entries if e.present is None]
    if unmarked:
        shown = "、".join(unmarked[:10]) + ("等" if len(unmarked) > 10 else "")
        raise ValidationError(f"还有 {len(unmarked)} 名学生未点名：{shown}。", code="unmarked")
    for entry in entries:
        entry.outcome = outcome_of(entry)
        if entry.outcome == Outcome.DROPOUT and not entry.absence_recorded:
            entry.absence_recorded = _record_absence(actor, entry, today)
    RollCallEntry.objects.bulk_update(entries, ["outcome", "absence_recorded"])
    roll_call.status, roll_call.held_on = RollCall.Status.DONE, today
    roll_call.finished_by, roll_call.finished_at = actor, timezone.now()
    roll_call.save(update_fields=["status", "held_on", "finished_by", "finished_at"])
    _notify(roll_call, entries)
    summary = _summary(entries)
    audit_record(action="archive.rollcall_finish", obj=roll_call.school_class, user=actor,
                 detail=f"提交{roll_call.semester}学籍核查：{summary}")
    return roll_call


def _record_absence(actor: User, entry: RollCallEntry, today: date) -> bool:
    """An unexplained absence at the roll-call is a day of the pupil's absence log (the dropouts
    app's service: ten such school days in a row put the pupil on its suspected list). A day
    that is no school day, or a pupil no longer in school, is not recorded: the entry is still
    listed as work with a link to the pupil's absences."""
    from dropouts.services import record_absence

    try:
        with transaction.atomic():
            record_absence(actor=actor, pupil=entry.pupil, day=today, explained=False,
                           note=f"学籍核查点名无故缺席{('：' + entry.note) if entry.note else ''}"[:200])
    except (ValidationError, PermissionDenied):
        return False
    return True


def _summary(entries: list[RollCallEntry]) -> str:
    records = [e for e in entries if e.kind == Kind.RECORD]
    present = sum(1 for e in records if e.present)
    unlisted = sum(1 for e in entries if e.kind == Kind.UNLISTED)
    visiting = sum(1 for e in entries if e.kind == Kind.VISITING)
    return f"在册 {len(records)} 人，实到 {present} 人，缺席 {len(records) - present} 人，名单外 {unlisted} 人，借读 {visiting} 人"


def _notify(roll_call: RollCall, entries: list[RollCallEntry]) -> None:
    """Notices (on the home page) to the school's registrar when there is work, and to each
    visiting pupil's home school. Keyed by the submission, so a resubmission tells again."""
    stamp = f"{roll_call.finished_at:%Y%m%d%H%M%S}"
    work = {outcome: sum(1 for e in entries if e.outcome == outcome) for outcome in SCHOOL_WORK}
    if any(work.values()):
        parts = [f"{Outcome(o).label.split('：')[0]} {n} 人" for o, n in work.items() if n]
        Notice.objects.get_or_create(key=f"rollcall:{roll_call.pk}:{stamp}", defaults={
            "kind": Notice.Kind.FOLLOW_UP, "unit_id": roll_call.school_id, "role": Role.REGISTRAR,
            "message": f"{roll_call.school_class.name}学籍核查已提交：{'，'.join(parts)}，请处理。"[:300],
        })
    for entry in entries:
        if entry.outcome == Outcome.VISITING and entry.home_school_id:
            state = "在校" if entry.present else f"缺席（{entry.get_reason_display()}）"
            Notice.objects.get_or_create(key=f"rollcall-visit:{entry.pk}:{stamp}", defaults={
                "kind": Notice.Kind.FOLLOW_UP, "unit_id": entry.home_school_id, "role": Role.REGISTRAR,
                "message": f"本校学生{entry.name}在{roll_call.school.name}借读，{roll_call.held_on:%Y-%m-%d}学籍核查点名：{state}，请确认。",
            })


@transaction.atomic
def rollcall_reopen(*, actor: User, roll_call: RollCall, today: date | None = None) -> RollCall:
    """退回重新核查: the registrar sends a submitted roll-call back to the class, within the window.
    Its work stays listed until it is submitted again."""
    today = today or timezone.localdate()
    roll_call = _locked(roll_call)
    require_registrar(actor, roll_call.school_id, message="只有本校学籍管理员可以退回学籍核查。")
    if roll_call.status != RollCall.Status.DONE:
        raise ValidationError("这次学籍核查尚未提交。", code="open")
    check_window(roll_call.semester, today)
    roll_call.status, roll_call.finished_at, roll_call.finished_by = RollCall.Status.OPEN, None, None
    roll_call.save(update_fields=["status", "finished_at", "finished_by"])
    audit_record(action="archive.rollcall_reopen", obj=roll_call.school_class, user=actor, detail=f"退回{roll_call.semester}学籍核查")
    return roll_call


@transaction.atomic
def rollcall_entry_handle(*, actor: User, entry: RollCallEntry, note: str) -> RollCallEntry:
    """The work of a line is done: the registrar says what was done (补建 applied for, the family
    reached, the transfer under way); for a visiting pupil, the home school confirms."""
    entry = RollCallEntry.objects.select_for_update().select_related("roll_call").get(pk=entry.pk)
    if not may_handle(actor, entry):
        raise NotAllowed("只有负责处理的学校的学籍管理员可以办理。", code="not_registrar")
    if entry.roll_call.status != RollCall.Status.DONE or not entry.outcome:
        raise ValidationError("这条点名记录没有需要处理的事项。")
    if entry.handled_at:
        raise ValidationError("这条点名记录已处理。")
    note = (note or "").strip()
    if not note:
        raise ValidationError({"note": "请填写处理情况。"})
    if len(note) > NOTE_MAX:
        raise ValidationError({"note": f"处理情况不超过 {NOTE_MAX} 个字。"})
    entry.handled_at, entry.handled_by, entry.handled_note = timezone.now(), actor, note
    entry.save(update_fields=["handled_at", "handled_by", "handled_note"])
    audit_record(action="archive.rollcall_handle", obj=entry.pupil, user=actor,
                 detail=f"学籍核查待办已处理：{entry.get_outcome_display()}（{entry.name}）：{note}")
    return entry


# Reads -------------------------------------------------------------------------------------

@dataclass
class ClassProgress:
    school_class: SchoolClass
    roll_call: RollCall | None = None
    records: int = 0
    present: int = 0
    absent: int = 0
    unlisted: int = 0
    visiting: int = 0

    @property
    def state(self) -> str:
        return self.roll_call.status if self.roll_call else "not_started"

    @property
    def state_label(self) -> str:
        return self.roll_call.get_status_display() if self.roll_call else "未开始"


@dataclass
class SchoolProgress:
    school: Unit
    classes: list[ClassProgress] = field(default_factory=list)
    work: dict[str, int] = field(default_factory=dict)

    @property
    def done(self) -> int:
        return sum(1 for c in self.classes if c.state == RollCall.Status.DONE)

    @property
    def open(self) -> int:
        return sum(1 for c in self.classes if c.state == RollCall.Status.OPEN)

    @property
    def not_started(self) -> int:
        return sum(1 for c in self.classes if c.state == "not_started")

    @property
    def not_done(self) -> int:
        return len(self.classes) - self.done


def progress(schools: list[Unit], semester: Semester) -> list[SchoolProgress]:
    """Each school's classes of the semester's year with their roll-calls' counts, and the work
    still open at each school. Four queries, whatever the number of schools."""
    rows = {s.pk: SchoolProgress(school=s) for s in schools}
    classes = (SchoolClass.objects.filter(school_id__in=rows, school_year_id=semester.school_year_id)
               .select_related("head_teacher").order_by("grade", "number"))
    calls = {r.school_class_id: r for r in RollCall.objects.filter(semester=semester, school_id__in=rows).annotate(
        records=Count("entries", filter=Q(entries__kind=Kind.RECORD)),
        present_count=Count("entries", filter=Q(entries__kind=Kind.RECORD, entries__present=True)),
        absent=Count("entries", filter=Q(entries__kind=Kind.RECORD, entries__present=False)),
        unlisted=Count("entries", filter=Q(entries__kind=Kind.UNLISTED)),
        visiting=Count("entries", filter=Q(entries__kind=Kind.VISITING)),
    )}
    sizes = {row["school_class_id"]: row["n"] for row in
             Pupil.objects.filter(school_class__in=classes, status=PupilStatus.ENROLLED, deleted_at__isnull=True)
             .values("school_class_id").annotate(n=Count("id")).order_by()}
    for school_class in classes:
        call = calls.get(school_class.pk)
        row = ClassProgress(school_class=school_class, roll_call=call, records=call.records if call else sizes.get(school_class.pk, 0))
        if call:
            row.present, row.absent, row.unlisted, row.visiting = call.present_count, call.absent, call.unlisted, call.visiting
        rows[school_class.school_id].classes.append(row)
    work = (RollCallEntry.objects.filter(roll_call__semester=semester, roll_call__school_id__in=rows, roll_call__status=RollCall.Status.DONE,
                                         outcome__in=SCHOOL_WORK, handled_at__isnull=True)
            .values("roll_call__school_id", "outcome").annotate(n=Count("id")).order_by())
    for row in work:
        rows[row["roll_call__school_id"]].work[row["outcome"]] = row["n"]
    return list(rows.values())


def work_of_school(school: Unit, semester: Semester | None = None) -> QuerySet[RollCallEntry]:
    """The lines of the school's submitted roll-calls that made work (all semesters unless one is
    given), the open ones first."""
    entries = RollCallEntry.objects.filter(roll_call__school=school, roll_call__status=RollCall.Status.DONE).exclude(outcome="")
    if semester is not None:
        entries = entries.filter(roll_call__semester=semester)
    return entries.select_related("roll_call__school_class", "roll_call__semester", "pupil", "home_school", "handled_by").order_by(
        "handled_at", "roll_call__school_class__grade", "roll_call__school_class__number", "pupil__name_sort", "name", "id")


def visiting_to_confirm(school: Unit) -> QuerySet[RollCallEntry]:
    """The school's own pupils called as visiting pupils at other schools, not yet confirmed."""
    return (RollCallEntry.objects.filter(home_school=school, outcome=Outcome.VISITING, handled_at__isnull=True,
                                         roll_call__status=RollCall.Status.DONE)
            .select_related("roll_call__school", "roll_call__school_class", "pupil").order_by("pupil__name_sort", "name", "id"))


def same_name_records(school: Unit, names: list[str]) -> dict[str, list[Pupil]]:
    """Records of the school under the names of children found without one: often the child was
    seated in another class, or is still 休学 on paper, rather than without a record at all."""
    found: dict[str, list[Pupil]] = {}
    for pupil in (Pupil.objects.filter(school=school, name__in=set(names), deleted_at__isnull=True)
                  .select_related("school_class").order_by("name", "id")):
        found.setdefault(pupil.name, []).append(pupil)
    return found


def classes_called_by(user: User) -> QuerySet[SchoolClass]:
    """The classes whose roll the user calls: those they head, and (as registrar) those without
    a head teacher."""
    head = Q(head_teacher_id=user.pk, school_id__in=[m.unit_id for m in memberships_of(user) if m.role == Role.HEAD_TEACHER])
    orphan = Q(head_teacher__isnull=True, school_id__in=[m.unit_id for m in memberships_of(user) if m.role == Role.REGISTRAR])
    return SchoolClass.objects.filter(head | orphan).select_related("school", "school_year").order_by("school_id", "grade", "number")


def school_of_membership(membership: Membership | None) -> Unit | None:
    if membership is not None and membership.role in (Role.REGISTRAR, Role.HEADMASTER):
        return membership.unit
    return None
