"""Studying abroad and coming back, and leaving the system (转出)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.transfers.conftest import proof
from transfers.services import abroad_return_start, study_abroad_start, transfer_out_start
from xueji.accounts.permissions import NotAllowed
from xueji.approvals.services import request_decide
from xueji.codes import PupilStatus
from xueji.files.proof import check_uploads
from xueji.pupils.models import StatusChange


def approve(world, request, names=("headmaster_a1", "officer_a")):
    for name in names:
        request_decide(actor=world.user(name), request_id=request.pk, approve=True)
    request.refresh_from_db()
    request.pupil.refresh_from_db()
    return request


def test_study_abroad_is_asked_at_school_and_decided_by_the_bureau(world):
    pupil = world.pupils["a1"]
    request = study_abroad_start(actor=world.user("registrar_a1"), pupil=pupil, country="CAN",
                                 departure_date=date(2026, 12, 20), note="随父母", files=check_uploads([proof("签证.pdf")]))
    assert [s.role for s in request.steps.order_by("position")] == ["headmaster", "county_officer"]
    request = approve(world, request)
    assert request.pupil.status == PupilStatus.ABROAD
    change = StatusChange.objects.filter(pupil=pupil).latest("id")
    assert change.effective_date == date(2026, 12, 20) and "加拿大" in change.reason


def test_abroad_needs_a_country_and_proof(world):
    with pytest.raises(ValidationError) as error:
        study_abroad_start(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], country="CHN",
                           departure_date=date(2026, 12, 20), note="", files=[])
    assert "country" in error.value.message_dict


def test_returning_pupil_continues_the_same_record(world):
    pupil = world.pupils["a1"]
    approve(world, study_abroad_start(actor=world.user("registrar_a1"), pupil=pupil, country="USA",
                                      departure_date=date(2026, 12, 20), note="", files=check_uploads([proof()])))
    pupil.refresh_from_db()
    number = pupil.student_number
    request = abroad_return_start(actor=world.user("registrar_a1"), pupil=pupil, return_date=date(2027, 9, 1),
                                  target_class=world.classes["a1_3_2"], files=[])
    request = approve(world, request)
    assert (request.pupil.status, request.pupil.school_class, request.pupil.student_number) == (
        PupilStatus.ENROLLED, world.classes["a1_3_2"], number)


def test_transfer_out_of_the_system_keeps_the_destination(world):
    pupil = world.pupils["a1"]
    request = transfer_out_start(actor=world.user("registrar_a1"), pupil=pupil, destination="台湾省台北市某小学",
                                 reason="随父母迁居", files=[])
    request = approve(world, request)
    assert request.pupil.status == PupilStatus.TRANSFERRED_OUT
    assert "台湾省台北市某小学" in StatusChange.objects.filter(pupil=pupil).latest("id").reason


def test_only_the_pupils_own_registrar_starts_these(world):
    with pytest.raises(NotAllowed):
        transfer_out_start(actor=world.user("registrar_b1"), pupil=world.pupils["a1"], destination="某地", reason="", files=[])


def test_pupil_page_offers_what_may_be_started(world, login):
    body = login(world.user("registrar_a1")).get(f"/pupils/{world.pupils['a1'].pk}/").content.decode()
    assert "出境学习" in body and "转出（系统外）" in body
    body = login(world.user("headmaster_a1")).get(f"/pupils/{world.pupils['a1'].pk}/").content.decode()
    assert f"/pupils/{world.pupils['a1'].pk}/requests/" not in body


def test_start_pages_explain_bad_input(world, login):
    client = login(world.user("registrar_a1"))
    url = f"/pupils/{world.pupils['a1'].pk}/requests/study_abroad/new/"
    body = client.post(url, {"country": "CAN", "departure_date": "明天"}).content.decode()
    assert "请上传证明材料" in body and "日期" in body
    response = client.post(url, {"country": "CAN", "departure_date": "2026-12-20", "files": [proof("x.pdf", b"not a pdf")]})
    assert "不是 PDF、JPG 或 PNG" in response.content.decode()
    assert client.get(f"/pupils/{world.pupils['a1'].pk}/requests/nonsense/new/").status_code == 404


def test_transfer_start_page_round_trip(world, login):
    """The page's two steps: the pupil looked up (a wrong name is a miss), then the application."""
    import time_machine

    client = login(world.user("registrar_b1"))
    pupil = world.pupils["a1"]
    assert client.get("/transfers/new/").status_code == 200
    body = client.post("/transfers/new/", {"step": "lookup", "number": pupil.student_number, "name": "别人"}).content.decode()
    assert "没有找到学籍号" in body
    with time_machine.travel("2026-10-12 10:00 +0800"):
        found = client.post("/transfers/new/", {"step": "lookup", "number": pupil.student_number, "name": pupil.name})
        response = client.post("/transfers/new/", {"step": "apply", "draft": found.context["draft"], "grounds": "job",
                                                   "target_class": world.classes["b1_3_1"].pk, "files": [proof()]})
    assert response.status_code == 302 and "/requests/" in response["Location"]
