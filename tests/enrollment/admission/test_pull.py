"""学前调档: matched / to confirm / not found; a matched child keeps the record and its 学籍号,
and its five fields cannot be changed in the entry."""

from datetime import date

import pytest
import time_machine

from enrollment.admission.models import AdmissionEntry
from enrollment.admission.pull import preschool_pull
from enrollment.intake import services
from enrollment.intake.validation import IntakeInvalid
from tests.enrollment.conftest import COLLECTING, SUBMITTING, admit, new_pupil_row
from tests.factories import make_pupil
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.services import request_decide
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil
from xueji.pupils.services import pupil_set_status


@pytest.fixture
def deferred(world):
    """A child of county B whose entry was deferred last year (缓学): a record without a school year of its own."""
    pupil = make_pupil(world.units["b1"], grade=1, birth_date=date(2019, 10, 10))
    return pupil_set_status(actor=None, pupil=pupil, status=PupilStatus.DEFERRED, effective_date=date(2025, 8, 20), reason="缓学")


def test_pull_sorts_the_admission_list(world, deferred, intake):
    enrolled_elsewhere = world.pupils["b1"]
    rows = [
        new_pupil_row(2, birth=deferred.birth_date, id_number=deferred.id_number, name=deferred.name, gender=deferred.gender),
        new_pupil_row(3, birth=enrolled_elsewhere.birth_date, id_number=enrolled_elsewhere.id_number,
                      name=enrolled_elsewhere.name, gender=enrolled_elsewhere.gender),
        new_pupil_row(4),
    ]
    admit(intake.school, rows, by=world.user("officer_a"))

    summary = preschool_pull(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026)

    assert (summary.matched, summary.to_confirm, summary.not_found) == (1, 1, 1)
    matched = AdmissionEntry.objects.get(pull_result="matched")
    assert matched.pulled_pupil_id == deferred.pk and deferred.student_number in matched.pull_note
    note = AdmissionEntry.objects.get(pull_result="to_confirm").pull_note
    assert "转学" in note and PupilStatus.ENROLLED.label not in note  # another school's record: not its status


def test_matched_child_keeps_the_record_and_number_and_the_five_fields_are_locked(world, deferred, intake):
    row = new_pupil_row(2, birth=deferred.birth_date, id_number=deferred.id_number, name=deferred.name, gender=deferred.gender)
    admit(intake.school, [row], by=world.user("officer_a"))
    preschool_pull(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026)
    renamed = new_pupil_row(2, birth=deferred.birth_date, id_number=deferred.id_number, name="改名字", gender=deferred.gender)
    with time_machine.travel(COLLECTING, tick=False):
        with pytest.raises(IntakeInvalid):
            services.entry_save(actor=world.user("registrar_a1"), school=intake.school, intake=intake, row=renamed)
        entry = services.entry_save(actor=world.user("registrar_a1"), school=intake.school, intake=intake, row=row)
    assert entry.continues_id == deferred.pk
    [school_class] = services.classes_create(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1, count=1)
    services.entries_assign(actor=world.user("registrar_a1"), school=intake.school, entry_ids=[entry.pk], school_class=school_class)
    with time_machine.travel(SUBMITTING, tick=False):
        batch = services.batch_submit(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1)
        request_decide(actor=world.user("headmaster_a1"), request_id=batch.pk, approve=True)
        request_decide(actor=world.user("officer_a"), request_id=batch.pk, approve=True)
    pupil = Pupil.objects.get(pk=deferred.pk)
    assert (pupil.school_id, pupil.status, pupil.student_number) == (intake.school.pk, PupilStatus.ENROLLED, deferred.student_number)


def test_locked_field_error_names_the_reason(world, deferred, intake):
    row = new_pupil_row(2, birth=deferred.birth_date, id_number=deferred.id_number, name=deferred.name, gender=deferred.gender)
    admit(intake.school, [row], by=world.user("officer_a"))
    preschool_pull(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026)
    renamed = new_pupil_row(2, birth=deferred.birth_date, id_number=deferred.id_number, name="改名字", gender=deferred.gender)
    from enrollment.intake.validation import validate_intake

    with pytest.raises(IntakeInvalid) as caught:
        validate_intake(intake, [renamed])
    assert [(e.key, "以已有学籍为准" in e.message) for e in caught.value.row_errors] == [("name", True)]


def test_only_the_schools_registrar_runs_the_pull(world, intake, login):
    with pytest.raises(NotAllowed):
        preschool_pull(actor=world.user("registrar_b1"), school=intake.school, intake_year=2026)
    assert login(world.user("registrar_a1")).post("/enrolment/pull/").status_code == 302
    assert login(world.user("officer_a")).get("/enrolment/pull/").status_code == 403
