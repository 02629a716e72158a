"""The rules checked when a transfer starts, each refused with its reason in Chinese."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.factories import SchoolClassFactory, SchoolYearFactory
from tests.transfers.conftest import start
from xueji.accounts.models import AuditEntry, BureauSettings
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.services import request_decide
from xueji.codes import PupilStatus
from xueji.pupils.models import Sanction, Semester
from xueji.pupils.selectors import PUPIL_NOT_FOUND
from xueji.pupils.services import pupil_set_status


@pytest.fixture
def semesters(world):
    year = SchoolYearFactory()
    Semester.objects.create(school_year=year, term=1, start_date=date(2026, 9, 1), end_date=date(2027, 1, 22))
    Semester.objects.create(school_year=year, term=2, start_date=date(2027, 3, 1), end_date=date(2027, 7, 10))
    return world


def refused(code: str, *args, **kwargs) -> ValidationError:
    with pytest.raises(ValidationError) as error:
        start(*args, **kwargs)
    codes = {e.code for e in error.value.error_list} if not hasattr(error.value, "error_dict") else {
        e.code for errors in error.value.error_dict.values() for e in errors
    }
    assert code in codes, (codes, error.value.messages)
    return error.value


def refused_unseen(reason: str, world, pupil_key: str = "a1", **kwargs) -> AuditEntry:
    """A refusal about a pupil the receiving registrar may not see (here every other school's):
    answered exactly as a number and name that match no one, and its reason audited for the
    pupil's school alone. Returns that entry."""
    pupil = world.pupils[pupil_key]
    error = refused("pupil_not_found", world, pupil_key, **kwargs)
    assert error.messages == [PUPIL_NOT_FOUND]
    entry = AuditEntry.objects.filter(action="pupil.lookup", object_type="pupil", object_id=str(pupil.pk)).latest("id")
    assert (entry.result, entry.unit_id) == (AuditEntry.Result.DENIED, pupil.school_id)
    assert reason in entry.detail, entry.detail
    return entry


def test_unknown_pupil_or_wrong_name_says_nothing_of_the_record(world):
    error = refused("pupil_not_found", world, name="错名字")
    assert world.units["a1"].name not in error.messages[0]


def test_pupil_found_by_id_number_too(world):
    request = start(world, number=world.pupils["a1"].id_number)
    assert request.pupil == world.pupils["a1"]


def test_target_class_in_another_grade_is_refused(world):
    world.classes["b1_4_1"] = SchoolClassFactory(school=world.units["b1"], grade=4, number=1)
    refused_unseen("转学不改变年级", world, to_class="b1_4_1")


def test_mid_semester_only_for_job_or_residence(semesters):
    with time_machine.travel("2026-11-02 10:00 +0800"):
        error = refused("window", semesters, grounds="other")
        assert "学期中途" in error.messages[0]
        assert start(semesters, grounds="job").pk


@pytest.mark.parametrize("day", ["2026-09-01", "2026-09-14", "2026-12-24", "2027-01-22", "2027-02-10"])
def test_other_grounds_allowed_at_start_end_of_semester_and_between(semesters, day):
    with time_machine.travel(f"{day} 10:00 +0800"):
        assert start(semesters, grounds="other").pk


def test_window_follows_bureau_setting(semesters):
    BureauSettings.objects.create(bureau=semesters.units["county_b"], transfer_window_start_days=30)
    with time_machine.travel("2026-09-25 10:00 +0800"):
        assert start(semesters, grounds="other").pk


@pytest.mark.parametrize("day", ["2026-07-15", "2026-08-01", "2026-08-14"])
def test_transfers_pause_mid_july_to_mid_august_whatever_the_grounds(world, day):
    with time_machine.travel(f"{day} 10:00 +0800"):
        error = refused("window", world, grounds="job")
    assert "暂停办理转学" in error.messages[0]


def test_pupil_under_sanction_cannot_transfer(world):
    Sanction.objects.create(pupil=world.pupils["a1"], kind="demerit", start_date=date(2026, 10, 1),
                            end_date=date(2027, 6, 30), reason="打架", recorded_by=world.user("registrar_a1"))
    with time_machine.travel("2026-11-23 10:00 +0800"):
        refused_unseen("处分期内", world)


def test_ended_sanction_does_not_block(world):
    Sanction.objects.create(pupil=world.pupils["a1"], kind="warning", start_date=date(2025, 10, 1),
                            end_date=date(2026, 3, 1), reason="迟到", recorded_by=world.user("registrar_a1"))
    with time_machine.travel("2026-11-23 10:00 +0800"):
        assert start(world).pk


def test_pupil_already_in_an_open_request_is_refused(world):
    start(world)
    refused_unseen("正在办理", world)


def test_full_target_class_is_refused(world):
    BureauSettings.objects.create(bureau=world.units["county_b"], class_cap_primary=1)  # b1_3_1 seats 刘思远
    error = refused("class_full", world)
    assert "已满" in error.messages[0]


def test_no_transfers_between_county_town_schools_when_the_bureau_says_so(world):
    world.units["a3"].is_county_town = True
    world.units["a3"].save()
    BureauSettings.objects.create(bureau=world.units["county_a"], forbid_transfers_between_county_town_schools=True)
    refused_unseen("县城学校之间", world, "a3", to="a1", to_class="a1_3_2")


def test_no_transfers_within_one_township_when_the_bureau_says_so(world):
    world.units["a3"].township = world.units["a1"].township
    world.units["a3"].save()
    settings = BureauSettings.objects.create(bureau=world.units["county_a"], forbid_transfers_within_township=True)
    refused_unseen("同一乡镇", world, "a3", to="a1", to_class="a1_3_2")
    settings.forbid_transfers_within_township = False
    settings.save()
    assert start(world, "a3", to="a1", to_class="a1_3_2").pk


@pytest.mark.parametrize("status", [PupilStatus.SUSPENDED, PupilStatus.DROPPED_OUT, PupilStatus.GRADUATED, PupilStatus.DECEASED])
def test_pupils_in_these_statuses_cannot_transfer(world, status):
    pupil_set_status(actor=None, pupil=world.pupils["a1"], status=status, effective_date=date(2026, 9, 1), reason="测试")
    refused_unseen(f"目前为“{status.label}”", world)


@pytest.mark.parametrize("status", [PupilStatus.ABROAD, PupilStatus.OTHER_LEFT, PupilStatus.WITHDRAWN])
def test_pupils_abroad_other_left_or_withdrawn_can_transfer_in(world, status):
    pupil_set_status(actor=None, pupil=world.pupils["a1"], status=status, effective_date=date(2026, 9, 1), reason="测试")
    assert start(world).pk


def test_pupil_already_at_the_school_is_refused(world):
    refused("same_school", world, "b1")


def test_proof_is_required(world):
    with pytest.raises(ValidationError) as error:
        start(world, files=[])
    assert "files" in error.value.message_dict


def test_only_the_receiving_registrar_starts(world):
    from transfers.services import TransferApplication, transfer_start

    pupil = world.pupils["a1"]
    with pytest.raises(NotAllowed) as error:
        transfer_start(actor=world.user("headmaster_b1"), school=world.units["b1"], files=[],
                       application=TransferApplication(pupil.student_number, pupil.name, "job", "", world.classes["b1_3_1"]))
    assert error.value.code == "not_registrar"


def test_graduating_grade_needs_the_bureau_exception_with_a_reason(world):
    world.classes["a1_6_1"] = SchoolClassFactory(school=world.units["a1"], grade=6, number=1)
    world.classes["b1_6_1"] = SchoolClassFactory(school=world.units["b1"], grade=6, number=1)
    from tests.factories import make_pupil

    world.pupils["a1_6"] = make_pupil(world.units["a1"], world.classes["a1_6_1"], name="毕业生")
    request = start(world, "a1_6", to_class="b1_6_1")
    assert request.payload["needs_exception"] is True
    request_decide(actor=world.user("headmaster_b1"), request_id=request.pk, approve=True)
    with pytest.raises(ValidationError) as error:
        request_decide(actor=world.user("officer_b"), request_id=request.pk, approve=True)
    assert "特批理由" in str(error.value)
    request_decide(actor=world.user("officer_b"), request_id=request.pk, approve=True, details={"exception_reason": "随军家属"})
    request.refresh_from_db()
    assert request.payload["exception"]["reason"] == "随军家属"
    request_decide(actor=world.user("headmaster_a1"), request_id=request.pk, approve=True)
    request_decide(actor=world.user("officer_a"), request_id=request.pk, approve=True)  # granted once for the chain
    request.refresh_from_db()
    assert request.status == "approved"
