"""The rules of dropout and the return procedure (dropouts/services.py)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from dropouts import services
from dropouts.models import CaseStep, DropoutCase
from tests.dropouts.helpers import absent_days, log_absences
from xueji.approvals.models import Notice
from xueji.calendar import workdays
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil, StatusChange
from xueji.pupils.scoping import pupils_visible_to

# 2025's National Day holiday runs 1–8 October; the last absence is the first school day after.
AFTER_HOLIDAY = date(2025, 10, 9)
NOW = datetime(2025, 10, 9, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def suspect_names(world, key="a1"):
    return [s.pupil.name for s in services.suspected_dropouts(school=world.units[key], today=AFTER_HOLIDAY)]


def confirmed(world, key="a1"):
    pupil = world.pupils[key]
    log_absences(world.user("registrar_a1"), pupil, absent_days(AFTER_HOLIDAY, 10))
    return services.confirm_dropout(actor=world.user("registrar_a1"), pupil=pupil, contacts_tried="电话三次，未接通",
                                    today=AFTER_HOLIDAY)


def test_ten_school_days_across_a_holiday_make_a_suspect(world, frozen):
    days = absent_days(AFTER_HOLIDAY, 10)
    assert days[0] < date(2025, 10, 1) < days[-1]  # the run spans the holiday
    assert not any(date(2025, 10, 1) <= d <= date(2025, 10, 8) for d in days)
    log_absences(world.user("teacher_a1"), world.pupils["a1"], days[:-1])
    assert suspect_names(world) == []  # nine days: not yet
    log_absences(world.user("teacher_a1"), world.pupils["a1"], days[-1:])
    assert suspect_names(world) == ["张小明"]


def test_an_explained_day_breaks_the_run(world, frozen):
    days = absent_days(AFTER_HOLIDAY, 10)
    log_absences(world.user("registrar_a1"), world.pupils["a1"], days[:4] + days[5:])
    log_absences(world.user("registrar_a1"), world.pupils["a1"], days[4:5], explained=True)
    assert suspect_names(world) == []


def test_a_run_that_ended_weeks_ago_is_not_a_suspect(world):
    days = absent_days(date(2025, 9, 19), 10)
    with time_machine.travel(NOW, tick=False):
        log_absences(world.user("registrar_a1"), world.pupils["a1"], days)
        assert suspect_names(world) == []


def test_absence_only_on_school_days_and_not_in_the_future(world, frozen):
    with pytest.raises(ValidationError):
        services.record_absence(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], day=date(2025, 10, 3))
    with pytest.raises(ValidationError):
        services.record_absence(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], day=date(2025, 10, 10))
    assert workdays.is_working_day(date(2025, 9, 28))  # a make-up Sunday is a school day
    services.record_absence(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], day=date(2025, 9, 28))


@pytest.mark.parametrize("user", ["teacher_a1", "registrar_a1"])
def test_head_teacher_and_registrar_record_absences(world, frozen, user):
    absence = services.record_absence(actor=world.user(user), pupil=world.pupils["a1"], day=AFTER_HOLIDAY)
    assert absence.recorded_by == world.user(user)


@pytest.mark.parametrize("user,pupil", [("teacher_a1", "a1_other"), ("headmaster_a1", "a1"), ("registrar_b1", "a1"),
                                        ("officer_a", "a1")])
def test_others_cannot_record_absences(world, frozen, user, pupil):
    with pytest.raises(PermissionDenied):
        services.record_absence(actor=world.user(user), pupil=world.pupils[pupil], day=AFTER_HOLIDAY)


def test_confirming_sets_dropped_out_never_cancelled_and_reports_at_once(world, frozen):
    case = confirmed(world)
    pupil = Pupil.objects.get(pk=world.pupils["a1"].pk)
    assert pupil.status == PupilStatus.DROPPED_OUT
    assert pupil.deleted_at is None and pupil.student_number == world.pupils["a1"].student_number
    assert pupils_visible_to(world.user("registrar_a1")).filter(pk=pupil.pk).exists()  # kept in the school's lists
    assert not StatusChange.objects.filter(pupil=pupil, to_status=PupilStatus.CANCELLED).exists()
    assert StatusChange.objects.filter(pupil=pupil, to_status=PupilStatus.DROPPED_OUT).exists()
    step = case.steps.get()
    assert (step.kind, step.day) == (CaseStep.Kind.BUREAU_REPORT, AFTER_HOLIDAY)
    notice = Notice.objects.get(key=f"dropout-{case.pk}-reported")
    assert notice.unit == world.units["county_a"] and "张小明" in notice.message
    assert case.status == DropoutCase.Status.OPEN


def test_confirming_for_absence_needs_ten_days(world, frozen):
    log_absences(world.user("registrar_a1"), world.pupils["a1"], absent_days(AFTER_HOLIDAY, 9))
    with pytest.raises(ValidationError):
        services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], contacts_tried="电话",
                                 today=AFTER_HOLIDAY)
    assert Pupil.objects.get(pk=world.pupils["a1"].pk).status == PupilStatus.ENROLLED


def test_leaving_for_abroad_without_applying_is_dropout(world, frozen):
    case = services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1_other"],
                                    contacts_tried="邻居称已随父母出境", ground=DropoutCase.Ground.ABROAD)
    assert case.ground == DropoutCase.Ground.ABROAD
    assert Pupil.objects.get(pk=world.pupils["a1_other"].pk).status == PupilStatus.DROPPED_OUT


def test_confirming_needs_contacts_tried_and_is_done_once(world, frozen):
    with pytest.raises(ValidationError):
        services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1_other"], contacts_tried=" ",
                                 ground=DropoutCase.Ground.ABROAD)
    services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1_other"], contacts_tried="电话",
                             ground=DropoutCase.Ground.ABROAD)
    with pytest.raises(ValidationError):
        services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1_other"], contacts_tried="电话",
                                 ground=DropoutCase.Ground.ABROAD)
    assert DropoutCase.objects.count() == 1


@pytest.mark.parametrize("user", ["registrar_b1", "headmaster_a1", "teacher_a1", "officer_a"])
def test_only_the_schools_registrar_confirms(world, frozen, user):
    with pytest.raises(PermissionDenied):
        services.confirm_dropout(actor=world.user(user), pupil=world.pupils["a1_other"], contacts_tried="电话",
                                 ground=DropoutCase.Ground.ABROAD)
    assert not DropoutCase.objects.exists()


def test_steps_are_logged_with_their_details(world, frozen):
    case = confirmed(world)
    headmaster = world.user("headmaster_a1")
    services.add_step(actor=headmaster, case=case, kind=CaseStep.Kind.HOME_VISIT, day=AFTER_HOLIDAY,
                      visitors="校长、班主任", outcome="家长答应劝说")
    with pytest.raises(ValidationError) as error:
        services.add_step(actor=headmaster, case=case, kind=CaseStep.Kind.NOTICE, day=AFTER_HOLIDAY)
    assert "deadline" in error.value.error_dict
    services.add_step(actor=headmaster, case=case, kind=CaseStep.Kind.NOTICE, day=AFTER_HOLIDAY,
                      deadline=date(2025, 10, 20))
    with pytest.raises(ValidationError):
        services.add_step(actor=headmaster, case=case, kind=CaseStep.Kind.REFERRAL, day=AFTER_HOLIDAY)
    services.add_step(actor=headmaster, case=case, kind=CaseStep.Kind.REFERRAL, day=AFTER_HOLIDAY,
                      referred_to="合隆镇人民政府", text="镇政府派员动员")
    with pytest.raises(ValidationError):  # the automatic report is not logged by hand
        services.add_step(actor=headmaster, case=case, kind=CaseStep.Kind.BUREAU_REPORT, day=AFTER_HOLIDAY)
    assert list(case.steps.values_list("kind", flat=True)) == ["bureau_report", "home_visit", "notice", "referral"]


@pytest.mark.parametrize("user", ["registrar_b1", "officer_a", "teacher_a1"])
def test_others_cannot_log_steps(world, frozen, user):
    case = confirmed(world)
    with pytest.raises(PermissionDenied):
        services.add_step(actor=world.user(user), case=case, kind=CaseStep.Kind.HOME_VISIT, day=AFTER_HOLIDAY,
                          visitors="某人", outcome="某结果")
    assert case.steps.count() == 1


def test_return_into_a_class_closes_the_case(world, frozen):
    case = confirmed(world)
    services.close_returned(actor=world.user("registrar_a1"), case=case, school_class=world.classes["a1_3_2"])
    pupil = Pupil.objects.get(pk=world.pupils["a1"].pk)
    assert (pupil.status, pupil.school_class) == (PupilStatus.ENROLLED, world.classes["a1_3_2"])
    case.refresh_from_db()
    assert (case.status, case.closed_on) == (DropoutCase.Status.RETURNED, AFTER_HOLIDAY)
    assert case.steps.last().kind == CaseStep.Kind.RETURNED
    with pytest.raises(ValidationError):  # closed: no more steps
        services.add_step(actor=world.user("registrar_a1"), case=case, kind=CaseStep.Kind.HOME_VISIT,
                          day=AFTER_HOLIDAY, visitors="甲", outcome="乙")


def test_return_only_into_the_schools_classes(world, frozen):
    case = confirmed(world)
    with pytest.raises(ValidationError):
        services.close_returned(actor=world.user("registrar_a1"), case=case, school_class=world.classes["b1_3_1"])
    with pytest.raises(PermissionDenied):
        services.close_returned(actor=world.user("registrar_b1"), case=case, school_class=world.classes["b1_3_1"])
    assert Pupil.objects.get(pk=world.pupils["a1"].pk).status == PupilStatus.DROPPED_OUT


def test_turning_16_closes_the_case_and_keeps_the_record(world, frozen):
    case = confirmed(world)
    Pupil.objects.filter(pk=case.pupil_id).update(birth_date=date(2009, 10, 10))
    case.refresh_from_db()
    with pytest.raises(ValidationError):  # 16 only tomorrow
        services.close_aged_out(actor=world.user("registrar_a1"), case=case, day=date(2025, 10, 9))
    assert services.close_all_aged_out(today=date(2025, 10, 9)) == 0
    assert services.close_all_aged_out(today=date(2025, 10, 10)) == 1
    assert services.close_all_aged_out(today=date(2025, 10, 11)) == 0  # idempotent
    case.refresh_from_db()
    assert case.status == DropoutCase.Status.AGED_OUT
    assert Pupil.objects.get(pk=case.pupil_id).status == PupilStatus.DROPPED_OUT


def test_sixteenth_birthday_of_a_leap_day_child():
    assert services.sixteenth_birthday(Pupil(birth_date=date(2012, 2, 29))) == date(2028, 2, 29)
    assert services.sixteenth_birthday(Pupil(birth_date=date(2008, 2, 29))) == date(2024, 2, 29)
    assert services.sixteenth_birthday(Pupil(birth_date=date(2004, 2, 29))) == date(2020, 2, 29)


def test_the_aged_out_sweep_is_a_beat_task():
    from django.conf import settings

    from xueji.celery import app

    entries = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "dropouts.tasks.close_aged_out_cases" in entries
    app.loader.import_default_modules()
    assert "dropouts.tasks.close_aged_out_cases" in app.tasks
