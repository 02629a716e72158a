"""Wrong-user and wrong-state tests for the transitions of transfers/ and archives/."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from archives.handover.services import handover_confirm_received, handover_mark_sent
from tests.transfers.conftest import start
from transfers.services import abroad_return_start, study_abroad_start, transfer_confirm_arrival
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.services import request_decide, request_follow_up, resubmission_source
from xueji.codes import PupilStatus
from xueji.pupils.services import pupil_set_status


def approved(world):
    request = start(world)
    for name in ("headmaster_b1", "officer_b", "headmaster_a1", "officer_a"):
        request_decide(actor=world.user(name), request_id=request.pk, approve=True)
    request.refresh_from_db()
    request_follow_up(request.pk)
    return request


def test_resubmission_only_of_a_rejected_request_by_its_school(world):
    request = start(world)
    with pytest.raises(ValidationError, match="只有被退回的申请"):
        resubmission_source(actor=world.user("registrar_b1"), kind="transfer", unit=world.units["b1"], request_id=request.pk)
    request_decide(actor=world.user("headmaster_b1"), request_id=request.pk, approve=False, comment="材料不全")
    with pytest.raises(ValidationError, match="只有发起单位"):
        resubmission_source(actor=world.user("registrar_a1"), kind="transfer", unit=world.units["b1"], request_id=request.pk)
    assert resubmission_source(actor=world.user("registrar_b1"), kind="transfer", unit=world.units["b1"], request_id=request.pk).pk == request.pk


def test_arrival_only_after_approval_by_the_receiving_registrar_once(world):
    pending = start(world)
    with pytest.raises(ValidationError, match="已审批完成"):
        transfer_confirm_arrival(actor=world.user("registrar_b1"), request=pending, school_class=None)
    request_decide(actor=world.user("headmaster_b1"), request_id=pending.pk, approve=False, comment="撤销")
    request = approved(world)
    with pytest.raises(NotAllowed, match="学籍管理员"):
        transfer_confirm_arrival(actor=world.user("registrar_a1"), request=request, school_class=None)
    transfer_confirm_arrival(actor=world.user("registrar_b1"), request=request, school_class=None)
    with pytest.raises(ValidationError, match="已经确认过"):
        transfer_confirm_arrival(actor=world.user("registrar_b1"), request=request, school_class=None)


def test_arrival_class_must_be_of_the_school_and_grade(world):
    request = approved(world)
    with pytest.raises(ValidationError):
        transfer_confirm_arrival(actor=world.user("registrar_b1"), request=request, school_class=world.classes["a1_3_2"])


def test_archive_handover_each_school_its_own_step_once(world):
    handover = approved(world).handover
    with pytest.raises(ValidationError, match="只有转出学校"):
        handover_mark_sent(actor=world.user("registrar_b1"), handover_id=handover.pk, method="in_person")
    handover_mark_sent(actor=world.user("registrar_a1"), handover_id=handover.pk, method="in_person")
    with pytest.raises(ValidationError, match="已登记过"):
        handover_mark_sent(actor=world.user("registrar_a1"), handover_id=handover.pk, method="in_person")
    with pytest.raises(ValidationError, match="只有转入学校"):
        handover_confirm_received(actor=world.user("registrar_a1"), handover_id=handover.pk, receiver_name="王老师")
    handover_confirm_received(actor=world.user("registrar_b1"), handover_id=handover.pk, receiver_name="王老师")
    handover.refresh_from_db()
    assert handover.received_at and handover.state_label == "已接收"
    with pytest.raises(ValidationError, match="已确认收到"):
        handover_confirm_received(actor=world.user("registrar_b1"), handover_id=handover.pk, receiver_name="王老师")


def test_overdue_handover_shows_on_both_schools_and_bureaus(world, login):
    from datetime import timedelta

    handover = approved(world).handover
    handover.due_date = timezone.localdate() - timedelta(days=3)
    handover.save()
    for name in ("registrar_a1", "registrar_b1", "officer_a", "officer_b"):
        body = login(world.user(name)).get("/").content.decode()
        assert "超过一个月未移交" in body, name


def test_abroad_only_from_enrolled_and_return_only_from_abroad(world):
    pupil = world.pupils["a1"]
    with pytest.raises(ValidationError, match="出国"):
        abroad_return_start(actor=world.user("registrar_a1"), pupil=pupil, return_date=date(2026, 9, 1),
                            target_class=world.classes["a1_3_1"], files=[])
    pupil_set_status(actor=None, pupil=pupil, status=PupilStatus.SUSPENDED, effective_date=date(2026, 9, 1), reason="病休")
    pupil.refresh_from_db()
    with pytest.raises(ValidationError, match="不能申请出境学习"):
        study_abroad_start(actor=world.user("registrar_a1"), pupil=pupil, country="CAN", departure_date=date(2026, 12, 1), note="", files=[])
