"""Demo data of the paper archive and the semester audit (学籍核查); the cancellation demo is
demo/cancellation.py.

- Paper archive, 农安县实验小学 (A1): grades 1–3 checked and boxed, a few files lacking a sheet
  or a change's proof; grades 4–6 not checked yet (so the school's page and the bureau's table
  show every state).
- 学籍核查 of the semester under way: 合隆镇陈家店小学 (A3) done; A1 in progress — most classes
  submitted in the audit's first week (with a child on no list, an unexplained absence, a pupil
  who moved away, a sick one), teacher_a1's class started and half called, two classes not
  started; 农安县第一中学 (A2) not started. The audit's window may be over on the day the demo is
  loaded: the roll-calls are dated inside it (``today=`` of the services, times set back).
- An overdue paper-file hand-over: a pupil of A3 transferred to A1 seven weeks ago, the file not
  sent yet.

Idempotent: each part is skipped once its data exists."""

from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from django.db import transaction
from django.utils import timezone

from archives.handover.models import ArchiveHandover
from archives.paper import services as paper
from archives.paper.models import PaperFile
from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall, RollCallEntry
from transfers.left.models import LeftPupilCopy
from xueji.accounts.models import Membership, Unit, User
from xueji.approvals.models import ApprovalStep, ChangeRequest, RequestStatus
from xueji.calendar import workdays
from xueji.pupils.models import Pupil, SchoolClass

A1, A2, A3 = "2122012201", "2122012202", "2122012203"


def load(say) -> None:
    if not Unit.objects.filter(code=A1).exists():
        return
    _paper(say)
    _rollcalls(say)
    _overdue_handover(say)


# Paper archive -------------------------------------------------------------------------------

def _paper(say) -> None:
    school = Unit.objects.get(code=A1)
    if PaperFile.objects.filter(school=school).exists():
        return
    registrar = User.objects.get(username="registrar_a1")
    lacking = 0
    with transaction.atomic():
        for school_class in SchoolClass.objects.filter(school=school, grade__lte=3).order_by("grade", "number"):
            ids = list(paper.pupils_on_roll(school).filter(school_class=school_class).values_list("pk", flat=True))
            if not ids:
                continue
            paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=ids, action="all:present")
            box = f"2026-{school_class.grade}-{school_class.number:02d}"
            paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=ids, action="box", box_number=box)
            # The second pupil of each class: the info sheet went home to be signed and did not come back.
            paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=ids[1:2], action="info_sheet:missing")
            lacking += len(ids[1:2])
        # Pupils with an approved change: its proof not yet filed.
        changed = list(paper.pupils_on_roll(school).filter(requests__status=RequestStatus.APPROVED).distinct()[:2])
        if changed:
            paper.paper_checklists_mark_bulk(actor=registrar, school=school, pupil_ids=[p.pk for p in changed], action="changes:missing")
    say(f"  纸质档案演示：{school.name}一至三年级已核对、编盒，{lacking} 份缺学籍基本信息表\n")


# 学籍核查 -------------------------------------------------------------------------------------

def _audit_day(first: date, today: date) -> date | None:
    """A school day in the audit's first week (or before today, when the window has just opened)."""
    day = min(first + timedelta(days=6), today)
    while day >= first and not workdays.is_working_day(day):
        day -= timedelta(days=1)
    return day if day >= first else None


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _caller(school_class: SchoolClass) -> User:
    if school_class.head_teacher_id:
        return school_class.head_teacher
    return Membership.objects.filter(unit_id=school_class.school_id, role="registrar").select_related("user").first().user


def _call(school_class: SchoolClass, day: date, *, finish: bool, twists: bool = False, half: bool = False) -> RollCall:
    actor = _caller(school_class)
    roll_call = rollcall.rollcall_open(actor=actor, school_class=school_class, today=day)
    entries = list(roll_call.entries.filter(present__isnull=True).order_by("pupil_id"))
    marks = [rollcall.EntryMark(e.pk, True) for e in entries]
    if twists and len(entries) >= 4:
        marks[0] = rollcall.EntryMark(entries[0].pk, False, RollCallEntry.Reason.UNKNOWN, "开学至今未到校，电话无人接听（演示数据）")
        marks[1] = rollcall.EntryMark(entries[1].pk, False, RollCallEntry.Reason.MOVED, "家长称已随父母到长春务工，未办转学（演示数据）")
        marks[2] = rollcall.EntryMark(entries[2].pk, False, RollCallEntry.Reason.SICK, "肺炎住院（演示数据）")
    if half:
        marks = marks[: len(marks) // 2]
    if marks:
        rollcall.rollcall_entries_mark(actor=actor, roll_call=roll_call, marks=marks, today=day)
    if twists:
        rollcall.rollcall_unlisted_add(actor=actor, roll_call=roll_call, name="王小虎", today=day,
                                       note="9月随父母从外省来，家长称已在原籍办理学籍（演示数据）")
    if finish:
        rollcall.rollcall_finish(actor=actor, roll_call=roll_call, today=day)
    started, done = _at(day, 8), _at(day, 10)
    RollCall.objects.filter(pk=roll_call.pk).update(started_at=started, **({"finished_at": done} if finish else {}))
    RollCallEntry.objects.filter(roll_call=roll_call, marked_at__isnull=False).update(marked_at=started + timedelta(minutes=20))
    return roll_call


def _rollcalls(say) -> None:
    semester = rollcall.semester_for(timezone.localdate())
    if semester is None or RollCall.objects.filter(semester=semester).exists():
        return
    first, _last = rollcall.audit_window(semester)
    day = _audit_day(first, timezone.localdate())
    if day is None:
        return
    schools = {code: Unit.objects.get(code=code) for code in (A1, A3)}
    with transaction.atomic():
        for school_class in SchoolClass.objects.filter(school=schools[A3], school_year=semester.school_year).order_by("grade"):
            _call(school_class, day, finish=True)
        classes = list(SchoolClass.objects.filter(school=schools[A1], school_year=semester.school_year)
                       .select_related("head_teacher").order_by("grade", "number"))
        not_started = {(6, 2), (6, 3)}
        for school_class in classes:
            key = (school_class.grade, school_class.number)
            if key in not_started:
                continue
            if school_class.head_teacher and school_class.head_teacher.username == "teacher_a1":
                _call(school_class, day, finish=False, half=True)
                continue
            _call(school_class, day, finish=True, twists=key == (2, 1))
    say(f"  学籍核查演示：{semester}，合隆镇陈家店小学已完成，农安县实验小学进行中（名单外 1 人、无故缺席 1 人、已迁走 1 人）\n")


# An overdue hand-over ------------------------------------------------------------------------

def _overdue_handover(say) -> None:
    today = timezone.localdate()
    if ArchiveHandover.objects.filter(received_at__isnull=True, sent_at__isnull=True, due_date__lt=today).exists():
        return
    from demo.transfers import DEMO_PROOF, WINDOW_OPEN
    from transfers.services import TransferApplication, transfer_start
    from xueji.approvals.services import request_decide, request_follow_up

    a1 = Unit.objects.get(code=A1)
    pupil = (Pupil.objects.filter(school__code=A3, grade=4, status="enrolled", deleted_at__isnull=True)
             .exclude(requests__status=RequestStatus.PENDING).order_by("id").first())
    target = SchoolClass.objects.filter(school=a1, grade=4).order_by("number").first()
    if pupil is None or target is None:
        return
    with transaction.atomic():
        request = transfer_start(
            actor=User.objects.get(username="registrar_a1"), school=a1, files=[DEMO_PROOF], today=WINDOW_OPEN,
            application=TransferApplication(pupil.student_number, pupil.name, "residence", "随父母迁居县城（演示数据）", target),
        )
        while request.status == RequestStatus.PENDING:
            step = ApprovalStep.objects.get(request=request, status="pending")
            decider = (Membership.objects.filter(unit_id=step.unit_id, role=step.role).exclude(user=request.started_by)
                       .select_related("user").first())
            request_decide(actor=decider.user, request_id=request.pk, approve=True, comment="同意（演示数据）")
            request.refresh_from_db()
        finished = timezone.now() - timedelta(days=49)
        ChangeRequest.objects.filter(pk=request.pk).update(finished_at=finished)
        request_follow_up(request.pk)
        due = timezone.localtime(finished).date() + relativedelta(months=1)
        ArchiveHandover.objects.filter(change_request=request).update(due_date=due)
        # The sending school's copy (transfers/left) says the day the pupil left, as the request does.
        LeftPupilCopy.objects.filter(change_request=request).update(left_on=timezone.localtime(finished).date())
    say(f"  档案移交演示：{pupil.name}由合隆镇陈家店小学转入农安县实验小学，纸质档案已超期 {(today - due).days} 天未移交\n")
