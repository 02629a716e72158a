"""Transfers end to end: the chains, the four-party happy path through the API, the effect and
the follow-ups."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from archives.handover.models import ArchiveHandover
from tests.factories import MembershipFactory, UnitFactory, UserFactory
from tests.transfers.conftest import PDF, start
from xueji.accounts.models import Role, UnitKind
from xueji.approvals.models import ChangeRequest, Notice
from xueji.approvals.services import request_decide, request_follow_up
from xueji.pupils.models import StatusChange
from xueji.pupils.models.pupils import PupilEvent


def chain(request):
    return [(s.unit.name, s.role) for s in request.steps.order_by("position").select_related("unit")]


def test_chain_across_counties(world):
    request = start(world, "a1", to="b1")
    assert chain(request) == [
        ("榆树市实验小学", Role.HEADMASTER), ("榆树市教育局", Role.COUNTY_OFFICER),
        ("农安县实验小学", Role.HEADMASTER), ("农安县教育局", Role.COUNTY_OFFICER),
    ]


def test_chain_within_one_county(world):
    request = start(world, "a3", to="a1", to_class="a1_3_2")
    # The rural school's central school approves for it after its headmaster.
    assert chain(request) == [
        ("农安县实验小学", Role.HEADMASTER), ("合隆镇陈家店小学", Role.HEADMASTER),
        ("合隆镇中心校", Role.CENTRAL_REGISTRAR), ("农安县教育局", Role.COUNTY_OFFICER),
    ]


def test_chain_across_provinces_adds_both_provinces(world):
    other_province = UnitFactory(kind=UnitKind.PROVINCE_BUREAU, name="辽宁省教育厅", division_id="210000")
    other_city = UnitFactory(kind=UnitKind.CITY_BUREAU, name="沈阳市教育局", parent=other_province, division_id="210100")
    other_county = UnitFactory(kind=UnitKind.COUNTY_BUREAU, name="和平区教育局", parent=other_city, division_id="210102")
    from tests.factories import SchoolClassFactory, SchoolFactory

    school = SchoolFactory(name="和平区第一小学", parent=other_county, division_id="210102")
    klass = SchoolClassFactory(school=school, grade=3, number=1)
    registrar = UserFactory(username="registrar_ln")
    MembershipFactory(user=registrar, unit=school, role=Role.REGISTRAR)
    world.units["ln"], world.classes["ln_3_1"], world.users["registrar_ln"] = school, klass, registrar
    request = start(world, "a1", to="ln", to_class="ln_3_1")
    assert [name for name, _ in chain(request)] == [
        "和平区第一小学", "和平区教育局", "辽宁省教育厅", "农安县实验小学", "农安县教育局", "吉林省教育厅",
    ]


def test_four_parties_approve_through_the_api_and_the_pupil_moves(world, api_as):
    pupil = world.pupils["a1"]
    client = api_as("registrar_b1")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post("/api/v1/transfers/", {
        "number": pupil.student_number, "name": pupil.name, "grounds": "job", "grounds_note": "父亲调往榆树",
        "target_class": world.classes["b1_3_1"].pk, "files": [SimpleUploadedFile("调令.pdf", PDF)],
    }, format="multipart")
    assert response.status_code == 201, response.json()
    request_id = response.json()["id"]
    for username in ("headmaster_b1", "officer_b", "headmaster_a1", "officer_a"):
        inbox = api_as(username).get("/api/v1/inbox/").json()["results"]
        assert [row["request"]["id"] for row in inbox] == [request_id], username
        decided = api_as(username).post(f"/api/v1/requests/{request_id}/decide/", {"decision": "approve", "comment": "同意"}, format="json")
        assert decided.status_code == 200, decided.json()
    body = api_as("registrar_b1").get(f"/api/v1/transfers/{request_id}/").json()
    assert body["status"] == "approved"
    assert [s["status"] for s in body["steps"]] == ["approved"] * 4
    pupil.refresh_from_db()
    assert (pupil.school, pupil.school_class, pupil.grade) == (world.units["b1"], world.classes["b1_3_1"], 3)
    # The pupil now shows in the receiving school, and no longer in the sending one.
    assert api_as("registrar_b1").get(f"/api/v1/pupils/{pupil.pk}/").status_code == 200
    assert api_as("registrar_a1").get(f"/api/v1/pupils/{pupil.pk}/").status_code == 404


def _approve_all(world, request, names=("headmaster_b1", "officer_b", "headmaster_a1", "officer_a"), **details):
    for name in names:
        request_decide(actor=world.user(name), request_id=request.pk, approve=True, details=details)
    request.refresh_from_db()
    return request


def test_last_approval_records_status_and_field_history(world):
    request = _approve_all(world, start(world))
    pupil = request.pupil
    move = StatusChange.objects.filter(pupil=pupil).latest("id")
    assert move.change_request_id == request.pk and move.school == world.units["b1"] and "转学" in move.reason
    event = PupilEvent.objects.filter(pgh_obj_id=pupil.pk).latest("pgh_id")
    assert event.school_id == world.units["b1"].pk
    assert event.pgh_context.metadata["change_request"] == request.pk


def test_follow_up_tells_the_schools_and_opens_the_archive_handover(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        request = _approve_all(world, start(world))
    assert request_follow_up(request.pk) is True
    assert request_follow_up(request.pk) is False  # idempotent
    handover = ArchiveHandover.objects.get(change_request=request)
    assert (handover.from_school, handover.to_school) == (world.units["a1"], world.units["b1"])
    assert (handover.due_date - timezone.localdate(request.finished_at)).days in (28, 29, 30, 31)
    notices = Notice.objects.filter(request=request)
    assert {n.unit for n in notices} == {world.units["a1"], world.units["b1"]}
    assert any("报到" in n.message for n in notices)


def test_receiving_school_confirms_arrival(world, login):
    request = _approve_all(world, start(world))
    client = login(world.user("registrar_b1"))
    response = client.post(f"/transfers/{request.pk}/arrive/", {"school_class": world.classes["b1_3_1"].pk})
    assert response.status_code == 302
    request.refresh_from_db()
    assert request.payload["arrived_on"]


def test_pupil_in_abroad_status_can_be_transferred_in_and_becomes_enrolled_on_arrival(world):
    from transfers.services import transfer_confirm_arrival
    from xueji.codes import PupilStatus
    from xueji.pupils.services import pupil_set_status

    pupil_set_status(actor=None, pupil=world.pupils["a1"], status=PupilStatus.ABROAD, effective_date=date(2026, 9, 1), reason="出国")
    request = _approve_all(world, start(world))
    assert request.pupil.status == PupilStatus.ABROAD  # unchanged by the transfer itself
    transfer_confirm_arrival(actor=world.user("registrar_b1"), request=request, school_class=world.classes["b1_3_1"])
    request.pupil.refresh_from_db()
    assert request.pupil.status == PupilStatus.ENROLLED


def test_rejected_request_can_be_resubmitted_once_linking_the_old(world):
    request = start(world)
    request_decide(actor=world.user("headmaster_b1"), request_id=request.pk, approve=False, comment="证明不全")
    again = start(world, resubmission_of=ChangeRequest.objects.get(pk=request.pk))
    assert again.resubmission_of_id == request.pk
    from xueji.approvals.services import resubmission_source

    with pytest.raises(ValidationError, match="已经重新提交过"):
        resubmission_source(actor=world.user("registrar_b1"), kind="transfer", unit=world.units["b1"], request_id=request.pk)


def test_registrar_home_shows_own_requests_under_way_and_sent_back(world, login):
    from xueji.web.home import started_requests_panel

    registrar = world.user("registrar_b1")
    membership = registrar.memberships.get(role=Role.REGISTRAR)
    assert started_requests_panel(registrar, membership) == []

    under_way = start(world)
    [panel] = started_requests_panel(registrar, membership)
    assert panel.title == "本校申请" and panel.items[0].value == 1

    request_decide(actor=world.user("headmaster_b1"), request_id=under_way.pk, approve=False, comment="证明不全")
    [panel] = started_requests_panel(registrar, membership)
    assert [(i.label, i.value, i.warn) for i in panel.items] == [
        ("本校发起、审批中的申请", 0, False), ("被退回、待修改重新提交", 1, True)
    ]
    body = login(registrar).get("/").content.decode()
    assert "被退回、待修改重新提交" in body and "?status=rejected" in body

    # Once corrected and resubmitted, the old one no longer waits for the registrar.
    start(world, resubmission_of=ChangeRequest.objects.get(pk=under_way.pk))
    [panel] = started_requests_panel(registrar, membership)
    assert [(i.label, i.value) for i in panel.items] == [("本校发起、审批中的申请", 1)]
    # Another school's registrar sees none of it.
    other = world.user("registrar_a1")
    assert started_requests_panel(other, other.memberships.get(role=Role.REGISTRAR)) == []
