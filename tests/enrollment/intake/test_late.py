"""Late registration (补建): only in October and March by the 5th, not bound to the admission
list, headmaster then bureau, and the record with its L number on approval."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from enrollment.intake.late import late_start
from enrollment.intake.models import EnrolmentEntry
from tests.enrollment.conftest import new_pupil_row, row_cells
from xueji.approvals.services import request_decide
from xueji.pupils.models import Pupil


@pytest.fixture
def grade_three(world):
    return world.classes["a1_3_2"]


def start(world, school_class, *, today, grounds="missed", row=None):
    row = row or new_pupil_row(1, birth=date(2017, 10, 10))
    return late_start(actor=world.user("registrar_a1"), school=world.units["a1"], row=row, school_class=school_class,
                      grounds=grounds, note="随父母返乡，九月未报到", today=today)


@pytest.mark.parametrize("day", [date(2026, 10, 1), date(2026, 10, 5), date(2027, 3, 3)])
def test_open_on_the_first_five_days_of_october_and_march(world, grade_three, day):
    with time_machine.travel(day, tick=False):
        assert start(world, grade_three, today=day).kind == "late_enrolment"


@pytest.mark.parametrize("day", [date(2026, 10, 6), date(2026, 11, 2), date(2026, 9, 20), date(2027, 3, 6)])
def test_refused_on_other_days(world, grade_three, day):
    with pytest.raises(ValidationError, match="10 月和 3 月"):
        start(world, grade_three, today=day)
    assert not EnrolmentEntry.objects.exists()


def test_approved_late_registration_establishes_the_record(world, grade_three):
    day = date(2026, 10, 2)
    with time_machine.travel(day, tick=False):
        change = start(world, grade_three, today=day)
        assert [s.role for s in change.steps.order_by("position")] == ["headmaster", "county_officer"]
        request_decide(actor=world.user("headmaster_a1"), request_id=change.pk, approve=True)
        request_decide(actor=world.user("officer_a"), request_id=change.pk, approve=True)
    pupil = Pupil.objects.get(school_class=grade_three, name=change.payload["subject"].split("：")[1].split("（")[0])
    assert pupil.student_number.startswith("L") and pupil.grade == 3


def test_rules_of_a_new_pupil_still_hold_and_overseas_needs_its_status(world, grade_three):
    day = date(2026, 10, 2)
    too_young = new_pupil_row(1, birth=date(2020, 10, 10))
    with time_machine.travel(day, tick=False):
        with pytest.raises(ValidationError):
            start(world, grade_three, today=day, row=too_young)
        with pytest.raises(ValidationError, match="港澳台侨外"):
            start(world, grade_three, today=day, grounds="overseas")


def test_rejected_application_frees_the_child_for_a_corrected_one(world, grade_three):
    day = date(2026, 10, 2)
    row = new_pupil_row(1, birth=date(2017, 10, 10))
    with time_machine.travel(day, tick=False):
        change = start(world, grade_three, today=day, row=row)
        request_decide(actor=world.user("headmaster_a1"), request_id=change.pk, approve=False, comment="证明不全")
        assert not EnrolmentEntry.objects.exists()
        assert start(world, grade_three, today=day, row=new_pupil_row(1, birth=row.data["birth_date"],
                                                                      id_number=row.data["id_number"],
                                                                      name=row.data["name"]))


def test_the_page_submits_and_reports_errors(world, grade_three, login):
    client = login(world.user("registrar_a1"))
    row = new_pupil_row(1, birth=date(2017, 10, 10))
    with time_machine.travel("2026-10-02 10:00 +0800", tick=False):
        page = client.post("/enrolment/late/", {**row_cells(row), "school_class": grade_three.pk, "grounds": "missed", "note": ""})
        assert "请说明需要补建学籍的情况" in page.content.decode()
        response = client.post("/enrolment/late/", {**row_cells(row), "school_class": grade_three.pk, "grounds": "missed",
                                                   "note": "漏报"})
        assert response.status_code == 302 and EnrolmentEntry.objects.count() == 1
    assert login(world.user("officer_a")).get("/enrolment/late/").status_code == 403


def test_the_page_shows_a_too_long_note_and_the_pupils_errors_at_once(world, grade_three, login):
    client = login(world.user("registrar_a1"))
    row = new_pupil_row(1, birth=date(2017, 10, 10))
    cells = {**row_cells(row), "guardian1_phone": "", "address": "长" * 201}
    with time_machine.travel("2026-10-02 10:00 +0800", tick=False):
        page = client.post("/enrolment/late/", {**cells, "school_class": grade_three.pk, "grounds": "missed",
                                                "note": "漏" * 501}).content.decode()
    assert "501" in page and "201" in page  # the two too-long fields
    assert "请填写第一监护人的联系电话" in page  # and the rules' error of the pupil's form
    assert not EnrolmentEntry.objects.exists()
