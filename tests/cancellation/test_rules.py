"""注销学籍: each rule of the start, the chain, the effect of the last approval, and the 10
working days to report a death (frozen time, across the National Day holiday)."""

from datetime import date, timedelta

import pytest
import time_machine
from django.core.exceptions import ValidationError

from cancellation.kinds import GROUNDS, REFUSED_GROUNDS, death_report_due
from cancellation.services import CancellationApplication, cancellation_start
from tests.cancellation.conftest import DIED, DUE, cancel, decide, proofs
from tests.factories import MembershipFactory, UserFactory
from xueji.accounts.models import Role
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.kinds import get_kind
from xueji.approvals.services import request_decide, request_withdraw
from xueji.codes import PupilStatus
from xueji.pupils.models import StatusChange
from xueji.pupils.services import pupil_set_status


def refusal(callable_, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        callable_(*args, **kwargs)
    return error.value


def codes(error: ValidationError) -> set[str]:
    if hasattr(error, "error_dict"):
        return {item.code for items in error.error_dict.values() for item in items}
    return {item.code for item in error.error_list}


def details(request) -> dict[str, str]:
    return dict(get_kind("cancellation").details(request))


# The chain and the effect ---------------------------------------------------------------------

def test_chain_is_school_headmaster_then_county_bureau(world):
    request = cancel(world)
    assert [(s.role, s.unit.name) for s in request.steps.order_by("position")] == [
        ("headmaster", "农安县实验小学"), ("county_officer", "农安县教育局")]


def test_rural_school_is_verified_by_its_central_school_too(world):
    registrar = UserFactory(username="registrar_a3")
    MembershipFactory(user=registrar, unit=world.units["a3"], role=Role.REGISTRAR)
    world.users["registrar_a3"] = registrar
    request = cancel(world, "a3", registrar="registrar_a3")
    assert [s.role for s in request.steps.order_by("position")] == ["headmaster", "central_registrar", "county_officer"]


def test_approved_death_sets_deceased_from_the_date_of_death(world):
    request = decide(world, cancel(world))
    assert request.status == "approved" and request.pupil.status == PupilStatus.DECEASED
    change = StatusChange.objects.filter(pupil=request.pupil).latest("id")
    assert change.effective_date == DIED and change.change_request_id == request.pk


@pytest.mark.parametrize("grounds, extra", [
    ("disappearance", {}), ("incapacity", {}), ("imprisonment", {"release_date": date(2040, 1, 1)}),
    ("emigration", {"country": "加拿大"}),
])
def test_approved_other_grounds_set_cancelled(world, grounds, extra):
    request = decide(world, cancel(world, grounds=grounds, **extra))
    assert request.pupil.status == PupilStatus.CANCELLED
    assert StatusChange.objects.filter(pupil=request.pupil).latest("id").reason == f"注销学籍：{GROUNDS[grounds]}"


def test_headmaster_approval_alone_changes_nothing(world):
    request = decide(world, cancel(world), "headmaster_a1")
    assert request.status == "pending" and request.pupil.status == PupilStatus.ENROLLED


def test_rejection_needs_a_reason_and_leaves_the_pupil(world):
    request = cancel(world)
    error = refusal(request_decide, actor=world.user("headmaster_a1"), request_id=request.pk, approve=False)
    assert codes(error) == {"reason_required"}
    request = decide(world, request, "headmaster_a1", approve=False, comment="死亡证明不清晰")
    assert request.status == "rejected" and request.pupil.status == PupilStatus.ENROLLED


# Wrong users and wrong states -----------------------------------------------------------------

@pytest.mark.parametrize("user", ["registrar_b1", "headmaster_a1", "officer_a", "registrar_a2", "teacher_a1"])
def test_only_the_pupils_schools_registrar_may_start(world, user):
    with pytest.raises(NotAllowed) as error:
        cancel(world, registrar=user)
    assert error.value.code == "not_registrar"


@pytest.mark.parametrize("user", ["headmaster_b1", "officer_a", "officer_b", "registrar_a1", "central_a3"])
def test_wrong_user_cannot_verify_at_the_school_step(world, user):
    request = cancel(world)
    error = refusal(request_decide, actor=world.user(user), request_id=request.pk, approve=True)
    assert codes(error) & {"not_decider", "own_request"}


@pytest.mark.parametrize("user", ["officer_b", "city_officer", "headmaster_a1"])
def test_wrong_user_cannot_confirm_at_the_bureau_step(world, user):
    request = decide(world, cancel(world), "headmaster_a1")
    error = refusal(request_decide, actor=world.user(user), request_id=request.pk, approve=True)
    assert codes(error) == {"not_decider"}


def test_a_decided_request_cannot_be_decided_again(world):
    request = decide(world, cancel(world))
    error = refusal(request_decide, actor=world.user("officer_a"), request_id=request.pk, approve=True)
    assert codes(error) == {"not_pending"}


def test_withdrawn_by_its_registrar_only_before_any_decision(world):
    request = cancel(world)
    assert codes(refusal(request_withdraw, actor=world.user("headmaster_a1"), request_id=request.pk)) == {"not_starter"}
    decide(world, request, "headmaster_a1")
    error = refusal(request_withdraw, actor=world.user("registrar_a1"), request_id=request.pk)
    assert codes(error) == {"already_decided"}


def test_one_open_request_per_pupil(world):
    cancel(world)
    assert codes(refusal(cancel, world, grounds="emigration", country="日本")) == {"open_request"}


@pytest.mark.parametrize("status", [PupilStatus.DECEASED, PupilStatus.CANCELLED, PupilStatus.GRADUATED,
                                    PupilStatus.TRANSFERRED_OUT, PupilStatus.WITHDRAWN])
def test_pupil_off_the_roll_cannot_be_cancelled(world, status):
    pupil_set_status(actor=None, pupil=world.pupils["a1"], status=status, effective_date=date(2026, 9, 1), reason="测试")
    assert codes(refusal(cancel, world)) == {"status"}


def test_a_dropped_out_pupil_can_be_cancelled_on_a_listed_ground(world):
    pupil_set_status(actor=None, pupil=world.pupils["a1"], status=PupilStatus.DROPPED_OUT,
                     effective_date=date(2026, 9, 1), reason="辍学")
    request = decide(world, cancel(world))
    assert request.pupil.status == PupilStatus.DECEASED


# Grounds --------------------------------------------------------------------------------------

@pytest.mark.parametrize("grounds", sorted(REFUSED_GROUNDS))
def test_dropout_withdrawal_and_expulsion_are_refused_with_the_reason(world, grounds):
    error = refusal(cancel, world, grounds=grounds)
    assert codes(error) == {"grounds_refused"} and error.message_dict["grounds"] == [REFUSED_GROUNDS[grounds]]


def test_unlisted_grounds_are_refused(world):
    error = refusal(cancel, world, grounds="illness")
    assert codes(error) == {"grounds"} and "只限以下情形" in error.message_dict["grounds"][0]


def test_guardians_written_request_is_required(world):
    error = refusal(cancel, world, guardian_files=[])
    assert codes(error) == {"guardian_request_required"} and "guardian_files" in error.message_dict


@pytest.mark.parametrize("grounds, extra", [
    ("death", {}), ("disappearance", {}), ("incapacity", {}),
    ("imprisonment", {"release_date": date(2040, 1, 1)}), ("emigration", {"country": "加拿大"}),
])
def test_every_ground_needs_its_proof(world, grounds, extra):
    error = refusal(cancel, world, grounds=grounds, proof_files=[], **extra)
    assert codes(error) == {"proof_required"} and "proof_files" in error.message_dict


def test_request_and_proof_are_stored_with_their_labels(world):
    request = cancel(world, guardian_files=proofs("申请.pdf"), proof_files=proofs("死亡证明.pdf", "户籍注销.pdf"))
    proof = "医学死亡证明或公安机关出具的死亡证明"
    assert sorted(request.attachments.values_list("label", flat=True)) == sorted(["监护人书面申请", proof, proof])


def test_death_needs_a_date_not_in_the_future(world):
    assert codes(refusal(cancel, world, date_of_death=None)) == {"date_of_death_required"}
    assert codes(refusal(cancel, world, date_of_death=date(2026, 10, 10))) == {"date_of_death_future"}


def test_imprisonment_needs_the_term_to_end_after_sixteen(world):
    pupil = world.pupils["a1"]
    sixteen = pupil.birth_date.replace(year=pupil.birth_date.year + 16)
    assert codes(refusal(cancel, world, grounds="imprisonment", release_date=None)) == {"release_date_required"}
    the_day_before = sixteen - timedelta(days=1)
    assert codes(refusal(cancel, world, grounds="imprisonment", release_date=the_day_before)) == {"under_sixteen"}
    request = cancel(world, grounds="imprisonment", release_date=sixteen)
    assert request.payload["age_at_release"] == 16 and "16 周岁" in details(request)["刑满日期"]


def test_emigration_needs_the_country(world):
    assert codes(refusal(cancel, world, grounds="emigration")) == {"country_required"}
    assert details(cancel(world, grounds="emigration", country="加拿大"))["定居国家（地区）"] == "加拿大"


# Reporting a death within 10 working days -----------------------------------------------------

def test_death_report_due_counts_working_days_across_national_day():
    assert death_report_due(DIED) == DUE  # 29, 30 Sep; 1–7 Oct off; 8, 9, 12–16 Oct


@pytest.mark.parametrize("filed, late", [(DIED, False), (date(2026, 10, 12), False), (DUE, False),
                                         (date(2026, 10, 19), True)])
def test_death_reported_after_ten_working_days_is_accepted_and_marked_late(world, filed, late):
    with time_machine.travel(filed, tick=False):
        request = cancel(world, today=filed)
    assert request.status == "pending"
    assert request.payload["report_due"] == "2026-10-16" and request.payload["late"] is late
    rows = details(request)
    assert rows["死亡日期"] == "2026-09-28"
    assert rows["应报时限（死亡之日起 10 个工作日内）"] == "2026-10-16"
    assert rows["是否逾期"] == ("逾期报告：超过时限 1 个工作日" if late else "按时报告")
    assert ("逾期报告" in get_kind("cancellation").summary(request)) is late


def test_late_report_uses_the_clock_when_no_day_is_given(world):
    with time_machine.travel(date(2026, 10, 21), tick=False):
        request = cancellation_start(
            actor=world.user("registrar_a1"), pupil=world.pupils["a1"],
            application=CancellationApplication(grounds="death", date_of_death=DIED),
            guardian_files=proofs(), proof_files=proofs(),
        )
    assert request.payload["reported_on"] == "2026-10-21" and request.payload["late_working_days"] == 3


def test_late_death_can_still_be_approved(world):
    request = decide(world, cancel(world, today=date(2026, 11, 30)))
    assert request.payload["late"] and request.pupil.status == PupilStatus.DECEASED


def test_resubmission_keeps_the_day_first_reported(world):
    first = decide(world, cancel(world, today=DUE), "headmaster_a1", approve=False, comment="缺少死亡证明原件")
    second = cancel(world, today=date(2026, 10, 20), resubmission_of=first)
    assert second.payload["reported_on"] == DUE.isoformat() and second.payload["late"] is False
