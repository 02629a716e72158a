"""复学 on the end date into the original or the next lower grade; 缓学 before 1 September."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from suspensions.services import deferral_start, kinds_startable_for, resumption_start
from tests.factories import SchoolClassFactory, make_pupil
from tests.suspensions.conftest import decide, proofs, suspend
from tests.suspensions.test_suspension_rules import codes
from xueji.accounts.permissions import NotAllowed
from xueji.codes import PupilStatus

END = date(2027, 10, 12)  # the period of conftest's suspension ends here


@pytest.fixture
def suspended(world, no_cap):
    decide(world, suspend(world))
    pupil = world.pupils["a1"]
    pupil.refresh_from_db()
    return pupil


def resume(world, pupil, today=END, target="a1_3_2", files=None):
    with time_machine.travel(today, tick=False):
        return resumption_start(actor=world.user("registrar_a1"), pupil=pupil, target_class=world.classes[target]
                                if isinstance(target, str) else target, files=proofs("康复证明.pdf") if files is None else files, today=today)


def refused(callable_, *args, **kwargs) -> set[str]:
    with pytest.raises(ValidationError) as error:
        callable_(*args, **kwargs)
    return codes(error.value)


def test_resumption_on_the_end_date_returns_the_pupil_to_school(world, suspended):
    request = resume(world, suspended)
    assert [s.role for s in request.steps.order_by("position")] == ["headmaster", "county_officer"]
    request = decide(world, request, today=END)
    assert (request.pupil.status, request.pupil.school_class, request.pupil.grade) == (
        PupilStatus.ENROLLED, world.classes["a1_3_2"], 3)


@pytest.mark.parametrize("day", [date(2027, 10, 11), date(2027, 10, 13)])
def test_no_early_or_late_resumption(world, suspended, day):
    assert refused(resume, world, suspended, today=day) == {"not_end_date"}


def test_resumption_needs_a_recovery_certificate(world, suspended):
    assert refused(resume, world, suspended, files=[]) == {"proof_required"}


def test_resumption_into_the_next_lower_grade_but_not_two_lower(world, suspended):
    second = SchoolClassFactory(school=world.units["a1"], grade=2, number=1)
    first = SchoolClassFactory(school=world.units["a1"], grade=1, number=1)
    assert refused(resume, world, suspended, target=first) == {"grade"}
    request = decide(world, resume(world, suspended, target=second), today=END)
    assert (request.pupil.grade, request.pupil.school_class) == (2, second)


def test_resumption_into_a_full_class_is_refused(world, suspended, monkeypatch):
    monkeypatch.setattr("xueji.pupils.selectors.class_cap", lambda school_class: 1)  # a1_3_2 holds a1_other
    assert refused(resume, world, suspended, target="a1_3_2") == {"class_full"}


def test_resumption_into_another_schools_class_is_refused(world, suspended):
    assert refused(resume, world, suspended, target="b1_3_1") == {"other_school"}


def test_only_a_suspended_pupil_resumes(world, no_cap):
    assert refused(resume, world, world.pupils["a1"]) == {"status"}


def test_pupil_page_offers_what_fits_the_day(world, suspended):
    assert kinds_startable_for(suspended, today=date(2027, 1, 5)) == []
    assert kinds_startable_for(suspended, today=date(2027, 10, 1)) == ["suspension"]
    assert kinds_startable_for(suspended, today=END) == ["resumption", "suspension"]


# 缓学 -------------------------------------------------------------------------------------------

@pytest.fixture
def newcomer(world):
    first = SchoolClassFactory(school=world.units["a1"], grade=1, number=1)
    return make_pupil(world.units["a1"], first, name="孙新生")  # entry 2026-09-01


def defer(world, pupil, today=date(2026, 8, 20), **kwargs):
    values = {"hospital": "农安县人民医院", "hospital_county_level": True, "note": "体弱",
              "medical_files": proofs("医务证明书.pdf"), "guardian_files": proofs("缓学申请.pdf"), **kwargs}
    with time_machine.travel(today, tick=False):
        return deferral_start(actor=world.user(kwargs.pop("registrar", "registrar_a1")), pupil=pupil, today=today, **values)


def test_deferral_before_1_september_is_approved_to_status_deferred(world, newcomer):
    request = defer(world, newcomer)
    assert sorted(request.attachments.values_list("label", flat=True)) == ["医务证明书", "家长书面缓学申请"]
    request = decide(world, request)
    assert request.pupil.status == PupilStatus.DEFERRED


def test_deferral_on_or_after_1_september_is_refused(world, newcomer):
    assert refused(defer, world, newcomer, today=date(2026, 9, 1)) == {"late"}


def test_deferral_needs_both_proofs_and_a_county_level_hospital(world, newcomer):
    assert refused(defer, world, newcomer, guardian_files=[]) == {"proof_required"}
    assert refused(defer, world, newcomer, medical_files=[]) == {"proof_required"}
    assert refused(defer, world, newcomer, hospital_county_level=False) == {"hospital_level"}


def test_deferral_only_for_the_entry_grade(world):
    assert refused(defer, world, world.pupils["a1"]) == {"not_entry_grade"}


def test_deferral_by_another_schools_registrar_is_refused(world, newcomer):
    with pytest.raises(NotAllowed) as error:
        deferral_start(actor=world.user("registrar_b1"), pupil=newcomer, hospital="县医院", hospital_county_level=True,
                       note="", medical_files=proofs(), guardian_files=proofs(), today=date(2026, 8, 20))
    assert error.value.code == "not_registrar"
