"""学籍核查 (archives/rollcall/services.py): the window (the semester's first month), who calls a class's roll,
the list (the class's pupils in school and its visiting pupils), submission, and the work it makes —
late registration, suspected dropouts fed to the dropouts app, transfers to chase, visiting pupils
for their home school to confirm — and who sees the progress."""

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall, RollCallEntry
from dropouts.models import Absence
from enrollment.intake.visiting import visit_start
from tests.archives.rollcall.helpers import AFTER, IN_WINDOW, LAST_DAY, START, mark_all, open_call, semester
from tests.factories import make_pupil
from xueji.accounts.models import AuditEntry
from xueji.approvals.models import Notice
from xueji.codes import PupilStatus
from xueji.pupils.services import pupil_set_status

Reason, Outcome = RollCallEntry.Reason, RollCallEntry.Outcome


def visiting_b1_pupil(world):
    """B1's pupil 刘思远 visiting A1's class 3(1): B1 keeps the record."""
    pupil = world.pupils["b1"]
    return visit_start(actor=world.user("registrar_a1"), host=world.units["a1"], number=pupil.student_number, name=pupil.name,
                       school_class=world.classes["a1_3_1"], start_date=date(2026, 9, 1), planned_end=date(2027, 1, 20),
                       reason="随父母在县城务工")


def finished_with_every_outcome(world):
    """teacher_a1's class: 张小明 absent without reason, 陈迁 moved away, 陈病 sick, the visiting 刘思远
    present, and 王小虎 found in class with no record."""
    school_class = world.classes["a1_3_1"]
    make_pupil(world.units["a1"], school_class, name="陈迁")
    make_pupil(world.units["a1"], school_class, name="陈病")
    visiting_b1_pupil(world)
    roll_call = open_call(world)
    mark_all(world, roll_call, 张小明=(False, Reason.UNKNOWN, "开学未到校"), 陈迁=(False, Reason.MOVED, "随父母去长春"),
             陈病=(False, Reason.SICK, "住院"))
    rollcall.rollcall_unlisted_add(actor=world.user("teacher_a1"), roll_call=roll_call, name="王小虎", note="9月从外省来", today=IN_WINDOW)
    return rollcall.rollcall_finish(actor=world.user("teacher_a1"), roll_call=roll_call, today=IN_WINDOW)


# The window ----------------------------------------------------------------------------------

def test_the_audit_window_is_the_semesters_first_month(world):
    semester(world)
    teacher, school_class = world.user("teacher_a1"), world.classes["a1_3_1"]
    assert rollcall.audit_window(semester(world)) == (START, LAST_DAY)
    with pytest.raises(ValidationError, match="自 2026-09-01 开始"):
        rollcall.rollcall_open(actor=teacher, school_class=school_class, today=date(2026, 8, 31))
    assert not RollCall.objects.exists()

    roll_call = rollcall.rollcall_open(actor=teacher, school_class=school_class, today=START)
    mark_all(world, roll_call, day=LAST_DAY)  # the last day still counts
    for refused in (
        lambda: mark_all(world, roll_call, day=AFTER),
        lambda: rollcall.rollcall_unlisted_add(actor=teacher, roll_call=roll_call, name="王小虎", today=AFTER),
        lambda: rollcall.rollcall_finish(actor=teacher, roll_call=roll_call, today=AFTER),
    ):
        with pytest.raises(ValidationError, match="已于 2026-09-30 结束"):
            refused()
    roll_call.refresh_from_db()
    assert roll_call.status == RollCall.Status.OPEN and roll_call.entries.count() == 1


def test_a_class_not_started_in_the_window_cannot_start_after_it(world):
    semester(world)
    with pytest.raises(ValidationError, match="已于 2026-09-30 结束"):
        rollcall.rollcall_open(actor=world.user("teacher_a1"), school_class=world.classes["a1_3_1"], today=AFTER)


# Who and what is called --------------------------------------------------------------------

def test_head_teacher_calls_only_the_own_class(world):
    semester(world)
    with pytest.raises(PermissionDenied):
        rollcall.rollcall_open(actor=world.user("teacher_a1"), school_class=world.classes["a1_3_2"], today=IN_WINDOW)
    for name in ("registrar_a1", "headmaster_a1", "registrar_b1", "officer_a"):
        with pytest.raises(PermissionDenied):
            rollcall.rollcall_open(actor=world.user(name), school_class=world.classes["a1_3_1"], today=IN_WINDOW)
    # A class without a head teacher: the school's registrar calls its roll.
    assert rollcall.rollcall_open(actor=world.user("registrar_a1"), school_class=world.classes["a1_3_2"], today=IN_WINDOW)
    roll_call = open_call(world)
    with pytest.raises(PermissionDenied):
        mark_all(world, roll_call, user="registrar_a1")
    assert set(rollcall.rollcalls_visible_to(world.user("teacher_a1"))) == {roll_call}


def test_the_list_is_the_classs_pupils_in_school_and_the_pupils_visiting_it(world):
    school_class = world.classes["a1_3_1"]
    suspended = make_pupil(world.units["a1"], school_class, name="陈休")
    pupil_set_status(actor=None, pupil=suspended, status=PupilStatus.SUSPENDED, effective_date=START, reason="病休")
    away = make_pupil(world.units["a1"], school_class, name="陈外")
    visit_start(actor=world.user("registrar_b1"), host=world.units["b1"], number=away.student_number, name=away.name,
                school_class=world.classes["b1_3_1"], start_date=START, planned_end=date(2027, 1, 20), reason="随父母")
    visiting_b1_pupil(world)

    entries = {e.name: e for e in open_call(world).entries.all()}

    assert set(entries) == {"张小明", "陈外", "刘思远"}
    assert entries["刘思远"].kind == "visiting" and entries["刘思远"].home_school == world.units["b1"]
    # A pupil visiting another school is absent for that reason before the teacher says anything.
    assert (entries["陈外"].present, entries["陈外"].reason) == (False, Reason.VISITING_ELSEWHERE)
    assert entries["张小明"].present is None


def test_submission_needs_every_pupil_called_and_a_reason_for_each_absence(world):
    make_pupil(world.units["a1"], world.classes["a1_3_1"], name="陈二")
    roll_call = open_call(world)
    teacher = world.user("teacher_a1")
    with pytest.raises(ValidationError, match="还有 2 名学生未点名：张小明、陈二"):
        rollcall.rollcall_finish(actor=teacher, roll_call=roll_call, today=IN_WINDOW)
    with pytest.raises(ValidationError, match="陈二：请选择缺席原因"):
        mark_all(world, roll_call, 陈二=(False, "", ""))
    unlisted = rollcall.rollcall_unlisted_add(actor=teacher, roll_call=roll_call, name="王小虎", today=IN_WINDOW)
    with pytest.raises(ValidationError, match="不能记为缺席"):
        mark_all(world, roll_call, 王小虎=(False, Reason.UNKNOWN, ""))
    with pytest.raises(ValidationError, match="请填写学生姓名"):
        rollcall.rollcall_unlisted_add(actor=teacher, roll_call=roll_call, name="  ", today=IN_WINDOW)
    with pytest.raises(ValidationError, match="名单上的学生请点名"):
        rollcall.rollcall_unlisted_remove(actor=teacher, entry=roll_call.entries.get(name="陈二"), today=IN_WINDOW)
    rollcall.rollcall_unlisted_remove(actor=teacher, entry=unlisted, today=IN_WINDOW)
    mark_all(world, roll_call)
    assert rollcall.rollcall_finish(actor=teacher, roll_call=roll_call, today=IN_WINDOW).status == RollCall.Status.DONE


# The work ------------------------------------------------------------------------------------

def test_outcomes_become_the_right_work(world):
    roll_call = finished_with_every_outcome(world)
    outcomes = {e.name: e.outcome for e in roll_call.entries.all()}
    assert outcomes == {"张小明": Outcome.DROPOUT, "陈迁": Outcome.TRANSFER, "陈病": "", "刘思远": Outcome.VISITING,
                        "王小虎": Outcome.LATE_REGISTRATION}
    # The unexplained absence is a day of the pupil's absence log (the dropouts app's), the sick day is not.
    absence = Absence.objects.get()
    assert (absence.pupil, absence.day, absence.explained) == (world.pupils["a1"], IN_WINDOW, False)
    assert roll_call.entries.get(name="张小明").absence_recorded
    # The registrar is told, and the visiting pupil's home school.
    told_a1 = Notice.objects.get(unit=world.units["a1"], role="registrar")
    assert "在校无学籍 1 人" in told_a1.message and "无故缺席 1 人" in told_a1.message and "已迁走未办手续 1 人" in told_a1.message
    told_b1 = Notice.objects.get(unit=world.units["b1"], key__startswith="rollcall-visit")
    assert "刘思远" in told_b1.message and "在校" in told_b1.message
    work = {e.name for e in rollcall.work_of_school(world.units["a1"])}
    assert work == {"张小明", "陈迁", "刘思远", "王小虎"}
    assert [e.name for e in rollcall.visiting_to_confirm(world.units["b1"])] == ["刘思远"]
    assert AuditEntry.objects.filter(action="archive.rollcall_finish").count() == 1


def test_a_roll_call_on_a_day_off_lists_the_absence_without_recording_it(world):
    semester(world)
    saturday = date(2026, 9, 12)
    roll_call = open_call(world, day=saturday)
    mark_all(world, roll_call, day=saturday, 张小明=(False, Reason.UNKNOWN, ""))
    rollcall.rollcall_finish(actor=world.user("teacher_a1"), roll_call=roll_call, today=saturday)
    entry = roll_call.entries.get()
    assert entry.outcome == Outcome.DROPOUT and not entry.absence_recorded and not Absence.objects.exists()


def test_each_school_handles_its_own_work(world):
    roll_call = finished_with_every_outcome(world)
    entries = {e.name: e for e in roll_call.entries.all()}
    # The host school cannot confirm a visiting pupil, nor the home school another school's dropout.
    with pytest.raises(PermissionDenied):
        rollcall.rollcall_entry_handle(actor=world.user("registrar_a1"), entry=entries["刘思远"], note="属实")
    with pytest.raises(PermissionDenied):
        rollcall.rollcall_entry_handle(actor=world.user("registrar_b1"), entry=entries["张小明"], note="已返校")
    with pytest.raises(PermissionDenied):
        rollcall.rollcall_entry_handle(actor=world.user("teacher_a1"), entry=entries["王小虎"], note="已补建")
    with pytest.raises(ValidationError, match="请填写处理情况"):
        rollcall.rollcall_entry_handle(actor=world.user("registrar_a1"), entry=entries["王小虎"], note=" ")
    rollcall.rollcall_entry_handle(actor=world.user("registrar_b1"), entry=entries["刘思远"], note="与家长核实，借读属实")
    rollcall.rollcall_entry_handle(actor=world.user("registrar_a1"), entry=entries["王小虎"], note="已于10月3日申请补建")
    with pytest.raises(ValidationError, match="已处理"):
        rollcall.rollcall_entry_handle(actor=world.user("registrar_a1"), entry=entries["王小虎"], note="再次")
    with pytest.raises(ValidationError, match="没有需要处理"):
        rollcall.rollcall_entry_handle(actor=world.user("registrar_a1"), entry=entries["陈病"], note="病愈")
    assert not rollcall.visiting_to_confirm(world.units["b1"]).exists()
    # In pinyin order (chen before zhang).
    assert [e.name for e in rollcall.work_of_school(world.units["a1"]) if not e.handled_at] == ["陈迁", "张小明"]


def test_a_submitted_roll_call_is_closed_until_the_registrar_reopens_it_in_the_window(world):
    teacher, registrar = world.user("teacher_a1"), world.user("registrar_a1")
    roll_call = open_call(world)
    with pytest.raises(ValidationError, match="尚未提交"):
        rollcall.rollcall_reopen(actor=registrar, roll_call=roll_call, today=IN_WINDOW)
    mark_all(world, roll_call)
    rollcall.rollcall_finish(actor=teacher, roll_call=roll_call, today=IN_WINDOW)
    for refused in (lambda: mark_all(world, roll_call), lambda: rollcall.rollcall_finish(actor=teacher, roll_call=roll_call, today=IN_WINDOW),
                    lambda: rollcall.rollcall_unlisted_add(actor=teacher, roll_call=roll_call, name="王小虎", today=IN_WINDOW)):
        with pytest.raises(ValidationError, match="已提交"):
            refused()
    for name in ("teacher_a1", "headmaster_a1", "registrar_b1"):
        with pytest.raises(PermissionDenied):
            rollcall.rollcall_reopen(actor=world.user(name), roll_call=roll_call, today=IN_WINDOW)
    with pytest.raises(ValidationError, match="已于 2026-09-30 结束"):
        rollcall.rollcall_reopen(actor=registrar, roll_call=roll_call, today=AFTER)
    assert rollcall.rollcall_reopen(actor=registrar, roll_call=roll_call, today=IN_WINDOW).status == RollCall.Status.OPEN
    mark_all(world, roll_call, 张小明=(False, Reason.SICK, ""))
    assert rollcall.rollcall_finish(actor=teacher, roll_call=roll_call, today=IN_WINDOW).status == RollCall.Status.DONE


# Progress ------------------------------------------------------------------------------------

def test_registrar_sees_classes_done_and_not_done_and_the_bureau_its_county(world):
    finished_with_every_outcome(world)
    [row] = rollcall.progress([world.units["a1"]], semester(world))
    assert (len(row.classes), row.done, row.open, row.not_started) == (2, 1, 0, 1)
    done = next(c for c in row.classes if c.state == "done")
    assert (done.records, done.present, done.absent, done.unlisted, done.visiting) == (3, 0, 3, 1, 1)
    assert row.work == {Outcome.LATE_REGISTRATION: 1, Outcome.DROPOUT: 1, Outcome.TRANSFER: 1}
    assert {s.name for s in rollcall.rollcall_schools_visible_to(world.user("officer_a"))} == {"农安县实验小学", "农安县第一中学", "合隆镇陈家店小学"}
    assert {s.name for s in rollcall.rollcall_schools_visible_to(world.user("officer_b"))} == {"榆树市实验小学", "榆树市第二中学"}
    assert not rollcall.rollcall_schools_visible_to(world.user("teacher_a1")).exists()
