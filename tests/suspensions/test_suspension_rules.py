"""休学: each rule of the start, and what the bureau must grant at its step."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from suspensions.quota import over_cap
from tests.factories import MembershipFactory, SchoolClassFactory, UserFactory, make_pupil
from tests.suspensions.conftest import FIRST_ABSENCE, decide, proofs, suspend
from xueji.accounts.models import BureauSettings, Role
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.services import request_decide
from xueji.codes import PupilStatus
from xueji.pupils.models import StatusChange


def refusal(callable_, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        callable_(*args, **kwargs)
    return error.value


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {item.code for items in error.error_dict.values() for item in items}
    return {item.code for item in error.error_list}


def test_chain_is_headmaster_then_county_bureau(world, no_cap):
    request = suspend(world)
    assert [(s.role, s.unit.name) for s in request.steps.order_by("position")] == [
        ("headmaster", "农安县实验小学"), ("county_officer", "农安县教育局")]


def test_rural_school_passes_its_central_school(world, no_cap):
    registrar = UserFactory(username="registrar_a3")
    MembershipFactory(user=registrar, unit=world.units["a3"], role=Role.REGISTRAR)
    world.users["registrar_a3"] = registrar
    request = suspend(world, "a3", registrar="registrar_a3")
    assert [s.role for s in request.steps.order_by("position")] == ["headmaster", "central_registrar", "county_officer"]


def test_approved_suspension_sets_status_with_one_year_period(world, no_cap):
    request = decide(world, suspend(world))
    assert request.status == "approved"
    assert request.payload["period_start"] == "2026-10-12" and request.payload["period_end"] == "2027-10-12"
    assert request.pupil.status == PupilStatus.SUSPENDED
    change = StatusChange.objects.filter(pupil=request.pupil).latest("id")
    assert change.effective_date == FIRST_ABSENCE and "2027-10-12" in change.reason


@pytest.mark.parametrize("grounds", ["illness", "abroad", "other"])
def test_every_ground_needs_proof_files(world, no_cap, grounds):
    error = refusal(suspend, world, grounds=grounds, files=[])
    assert "files" in error.message_dict and codes(error) == {"proof_required"}


def test_study_abroad_and_other_grounds_need_no_hospital(world, no_cap):
    assert suspend(world, grounds="abroad", hospital="", hospital_county_level=False, files=proofs("护照.pdf", "签证.pdf"))
    assert suspend(world, "a1_other", grounds="other", hospital="", hospital_county_level=False, files=proofs("派出所证明.pdf"))


def test_illness_needs_a_county_level_hospital(world, no_cap):
    assert codes(refusal(suspend, world, hospital_county_level=False)) == {"hospital_level"}
    assert codes(refusal(suspend, world, hospital="")) == {"hospital_required"}


def test_filed_within_one_month_of_the_first_day_of_absence(world, no_cap):
    assert suspend(world, today=date(2026, 11, 12))  # the last day
    error = refusal(suspend, world, "a1_other", today=date(2026, 11, 13))
    assert codes(error) == {"late"} and "2026-11-12" in error.messages[0]


def test_first_day_of_absence_cannot_be_in_the_future(world, no_cap):
    assert codes(refusal(suspend, world, first_absence=date(2026, 10, 21))) == {"first_absence"}


def test_only_a_pupil_at_school_may_be_suspended(world, no_cap):
    decide(world, suspend(world))
    world.pupils["a1"].refresh_from_db()
    # Suspended and not yet near the end: a renewal is not open yet.
    assert codes(refusal(suspend, world, today=date(2027, 1, 5))) == {"renewal_window"}


def test_another_schools_registrar_cannot_start(world, no_cap):
    with pytest.raises(NotAllowed) as error:
        suspend(world, "a1", registrar="registrar_b1")
    assert error.value.code == "not_registrar"


def test_another_countys_officer_cannot_decide(world, no_cap):
    request = decide(world, suspend(world), "headmaster_a1")
    error = refusal(request_decide, actor=world.user("officer_b"), request_id=request.pk, approve=True)
    assert codes(error) == {"not_decider"}
    request.refresh_from_db()
    assert request.status == "pending"


def test_renewal_continues_the_period_and_a_third_year_is_refused(world, no_cap):
    first = decide(world, suspend(world))
    # Renewal in the last month of the period: it starts the day the first one ends.
    renewal = suspend(world, today=date(2027, 10, 1), first_absence=None)
    assert (renewal.payload["period_start"], renewal.payload["period_end"]) == ("2027-10-12", "2028-10-12")
    assert renewal.payload["renewal_of"] == first.pk and renewal.payload["consecutive_years"] == 2
    renewal = decide(world, renewal, today=date(2027, 10, 2))
    assert renewal.pupil.status == PupilStatus.SUSPENDED
    error = refusal(suspend, world, today=date(2028, 10, 12), first_absence=None)
    assert codes(error) == {"consecutive"} and "两年" in error.messages[0]


def test_renewal_outside_the_last_month_is_refused(world, no_cap):
    decide(world, suspend(world))
    assert codes(refusal(suspend, world, today=date(2027, 9, 11), first_absence=None)) == {"renewal_window"}
    assert codes(refusal(suspend, world, today=date(2027, 10, 13), first_absence=None)) == {"renewal_window"}


def test_graduating_grade_needs_the_bureaus_exception_with_a_reason(world, no_cap):
    six = SchoolClassFactory(school=world.units["a1"], grade=6, number=1)
    world.pupils["a1_6"] = make_pupil(world.units["a1"], six, name="陈毕业")
    request = decide(world, suspend(world, "a1_6", registrar="registrar_a1"), "headmaster_a1")
    assert request.payload["graduating"] is True
    error = refusal(request_decide, actor=world.user("officer_a"), request_id=request.pk, approve=True)
    assert "graduating_reason" in error.message_dict
    request = decide(world, request, "officer_a", graduating_reason="重病需长期住院治疗")
    assert request.status == "approved" and request.payload["exceptions"]["graduating"]["reason"] == "重病需长期住院治疗"


def test_junior_graduating_grade_is_nine(world, no_cap):
    nine = SchoolClassFactory(school=world.units["a2"], grade=9, number=1)
    world.pupils["a2_9"] = make_pupil(world.units["a2"], nine, name="周九年")
    assert suspend(world, "a2_9", registrar="registrar_a2").payload["graduating"] is True
    assert suspend(world, "a2").payload["graduating"] is False


def test_over_the_grade_cap_the_bureau_must_give_a_reason(world):
    # Grade 3 of A1 holds two pupils: one suspended is 50 % > 3 %.
    request = suspend(world)
    assert request.payload["over_cap"] is True
    assert request.payload["grade_count"] == {"suspended": 1, "size": 2, "cap_percent": 3}
    request = decide(world, request, "headmaster_a1")
    error = refusal(request_decide, actor=world.user("officer_a"), request_id=request.pk, approve=True)
    assert "over_cap_reason" in error.message_dict
    request = decide(world, request, "officer_a", over_cap_reason="小规模年级，确需休学")
    assert request.status == "approved" and "over_cap" in request.payload["exceptions"]


def test_the_cap_is_counted_on_integers():
    assert over_cap(1, 33, 3) is True  # 3.03 %
    assert over_cap(1, 34, 3) is False  # 2.94 %
    assert over_cap(3, 100, 3) is False
    assert over_cap(4, 100, 3) is True


def test_the_cap_is_the_bureaus_setting(world):
    # Grade 3 of A1 holds two pupils: one suspended is 50 %, over the default 3 % but within 50 %.
    BureauSettings.objects.create(bureau=world.units["county_a"], suspension_cap_percent=50)
    request = suspend(world)
    assert request.payload["over_cap"] is False
    assert request.payload["grade_count"] == {"suspended": 1, "size": 2, "cap_percent": 50}
    # County B keeps the default: its bureau set nothing.
    assert BureauSettings.objects.filter(bureau=world.units["county_b"]).count() == 0


def test_the_bureau_is_asked_against_its_own_cap(world):
    BureauSettings.objects.create(bureau=world.units["county_a"], suspension_cap_percent=10)
    request = decide(world, suspend(world), "headmaster_a1")
    error = refusal(request_decide, actor=world.user("officer_a"), request_id=request.pk, approve=True)
    assert "10%" in error.message_dict["over_cap_reason"][0]


def test_bureau_decision_form_asks_for_the_reasons_it_needs(world):
    from xueji.approvals.kinds import get_kind

    request = decide(world, suspend(world), "headmaster_a1")
    step = request.steps.get(position=1)
    assert [name for name, _ in get_kind("suspension").decision_fields(request, step)] == ["over_cap_reason"]
    assert get_kind("suspension").decision_fields(request, request.steps.get(position=0)) == []
