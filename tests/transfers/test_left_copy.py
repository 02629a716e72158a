"""The sending school keeps its copy (2025 办法 第十五条; transfers/left/): after a pupil leaves, the
school finds the pupil under 已转出学生, read-only, as the record stood that day, with the request's
decisions and proofs and the paper archive's hand-over; nothing of the pupil's life at the new
school; only that school and the bureaus above it; every read audited; the API says the same."""

from datetime import date

import pytest

from archives.handover.services import handover_confirm_received, handover_mark_sent
from tests.factories import SchoolClassFactory, guardian_data
from tests.transfers.conftest import proof
from tests.transfers.test_transitions import approved
from transfers.left.models import LeftPupilCopy
from transfers.services import study_abroad_start, transfer_confirm_arrival, transfer_out_start
from xueji.accounts.models import AuditEntry
from xueji.approvals.services import request_decide
from xueji.files.proof import check_uploads
from xueji.identity import mask_id_number
from xueji.pupils.services import pupil_update

NEW_ADDRESS = "榆树市新华路甲九号"
NEW_PHONE = "13655556666"


@pytest.fixture
def left(world):
    """张小明 (A1, 三年级（1）班) transferred to B1, then his life there: seated in B1's 3(2),
    a new address and a new guardian's phone, the file handed over and received."""
    old = world.pupils["a1"]
    old_phones = [g.phone for g in old.guardians.all()]
    request = approved(world)
    copy = LeftPupilCopy.objects.get(change_request=request)
    b1_3_2 = SchoolClassFactory(school=world.units["b1"], grade=3, number=2)
    transfer_confirm_arrival(actor=world.user("registrar_b1"), request=request, school_class=b1_3_2)
    pupil = request.pupil
    pupil.refresh_from_db()
    pupil_update(actor=world.user("registrar_b1"), pupil=pupil, changes={"address": NEW_ADDRESS},
                 guardians=[guardian_data(phone=NEW_PHONE)], reason="到校后核对")
    handover_mark_sent(actor=world.user("registrar_a1"), handover_id=request.handover.pk, method="post",
                       tracking_number="1187654321098")
    handover_confirm_received(actor=world.user("registrar_b1"), handover_id=request.handover.pk, receiver_name="赵会计")
    copy.old, copy.old_phones = old, old_phones
    return copy


def test_the_copy_is_written_when_the_pupil_leaves(world, left):
    assert (left.school, left.name, left.grade, left.class_name, left.destination, left.kind) == (
        world.units["a1"], "张小明", 3, "三年级（1）班", "榆树市实验小学", "transfer")


def test_copy_shows_the_record_as_it_stood_and_nothing_of_the_new_school(world, login, left):
    page = login(world.user("registrar_a1")).get(f"/pupils/left/{left.pk}/").content.decode()
    assert "张小明" in page and "农安县实验小学" in page and "三年级（1）班" in page
    assert left.old.address in page and left.old_phones[0] in page
    assert "在籍在校" in page
    # His life at B1: the new class, the new address, the new phone.
    assert "三年级（2）班" not in page and NEW_ADDRESS not in page and NEW_PHONE not in page
    # The decisions, the proof and the hand-over (how it travelled, who received it).
    assert page.count("已同意") == 4 and "户口簿.pdf" in page
    assert "纸质档案移交" in page and "邮寄（中国邮政）（单号 1187654321098）" in page and "赵会计" in page
    # While B1 sees the living record.
    living = login(world.user("registrar_b1")).get(f"/pupils/{left.pupil_id}/").content.decode()
    assert NEW_ADDRESS in living


def test_the_list_finds_the_pupil_by_name_and_number(world, login, left):
    client = login(world.user("registrar_a1"))
    assert "张小明" in client.get("/pupils/left/").content.decode()
    assert "张小明" in client.get("/pupils/left/", {"q": "小明"}).content.decode()
    assert "张小明" in client.get("/pupils/left/", {"q": left.student_number[:8]}).content.decode()
    assert "张小明" not in client.get("/pupils/left/", {"q": "李"}).content.decode()
    # In the navigation of the school's registrar.
    assert 'href="/pupils/left/"' in client.get("/").content.decode()


@pytest.mark.parametrize("name", ["registrar_b1", "headmaster_b1", "officer_b", "registrar_a2", "teacher_a1", "central_a3"])
def test_other_schools_and_counties_get_the_404_page(world, login, left, name):
    """The receiving school too: it has the living record, not the sending school's copy."""
    client = login(world.user(name))
    mark = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first()
    response = client.get(f"/pupils/left/{left.pk}/")
    assert response.status_code == 404 and "张小明" not in response.content.decode()
    assert AuditEntry.objects.filter(id__gt=mark, action="lookup.denied", username=name).exists()
    assert "张小明" not in client.get("/pupils/left/").content.decode()


def test_every_read_is_audited_like_a_record_read(world, login, left):
    login(world.user("headmaster_a1")).get(f"/pupils/left/{left.pk}/")
    entry = AuditEntry.objects.filter(action="pupil.view", username="headmaster_a1").latest("id")
    assert entry.object_id == str(left.pupil_id) and "留存记录" in entry.detail


def test_bureaus_above_see_it_as_the_policy_says(world, login, left):
    county = login(world.user("officer_a")).get(f"/pupils/left/{left.pk}/").content.decode()
    assert left.old.id_number in county and left.old.address in county
    city = login(world.user("city_officer")).get(f"/pupils/left/{left.pk}/").content.decode()
    assert mask_id_number(left.old.id_number) in city
    assert left.old.id_number not in city and left.old.address not in city


def test_api_matches_the_page(world, api_as, left):
    client = api_as("registrar_a1")
    rows = client.get("/api/v1/pupils/left/", {"search": "小明"}).json()["results"]
    assert [(r["id"], r["name"], r["class_name"], r["destination"]) for r in rows] == [
        (left.pk, "张小明", "三年级（1）班", "榆树市实验小学")]
    detail = client.get(f"/api/v1/pupils/left/{left.pk}/").json()
    record = detail["record"]
    assert record["address"] == left.old.address and record["school_class"] == world.classes["a1_3_1"].pk
    assert record["class_name"] == "三年级（1）班" and record["status"] == "enrolled"
    assert [g["phone"] for g in record["guardians"]] == left.old_phones
    assert NEW_PHONE not in str(detail) and NEW_ADDRESS not in str(detail) and "三年级（2）班" not in str(detail)
    assert [d["status"] for d in detail["decisions"]] == ["approved"] * 4
    assert [p["name"] for p in detail["proofs"]] == ["户口簿.pdf"]
    rows = {r["label"]: r["value"] for r in detail["facts"][0]["rows"]}
    assert rows["接收人"] == "赵会计" and "1187654321098" in rows["移交方式"]
    assert AuditEntry.objects.filter(action="pupil.view", username="registrar_a1", detail__contains="API").exists()
    # Masked for the city, refused elsewhere.
    city = api_as("city_officer").get(f"/api/v1/pupils/left/{left.pk}/").json()["record"]
    assert "address" not in city and city["id_number"] == mask_id_number(left.old.id_number)
    assert api_as("registrar_b1").get(f"/api/v1/pupils/left/{left.pk}/").status_code == 404
    assert api_as("registrar_b1").get("/api/v1/pupils/left/").json()["results"] == []


def _approve(world, request, names=("headmaster_a1", "officer_a")):
    for name in names:
        request_decide(actor=world.user(name), request_id=request.pk, approve=True)
    return request


def test_transfer_out_and_study_abroad_keep_a_copy_too(world, login):
    out = _approve(world, transfer_out_start(actor=world.user("registrar_a1"), pupil=world.pupils["a1"],
                                             destination="台湾省台北市某小学", reason="随父母迁居", files=[]))
    abroad = _approve(world, study_abroad_start(actor=world.user("registrar_a1"), pupil=world.pupils["a1_other"],
                                                country="CAN", departure_date=date(2026, 12, 20), note="",
                                                files=check_uploads([proof("签证.pdf")])))
    copies = {c.change_request_id: c for c in LeftPupilCopy.objects.all()}
    assert copies[out.pk].destination == "台湾省台北市某小学" and copies[out.pk].class_name == "三年级（1）班"
    assert "加拿大" in copies[abroad.pk].destination and copies[abroad.pk].name == "李晓燕"
    page = login(world.user("registrar_a1")).get("/pupils/left/").content.decode()
    assert "转出（系统外）" in page and "出境学习" in page


def test_the_endpoints_are_in_the_openapi_schema(world, api_as):
    schema = api_as("registrar_a1").get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    assert "/api/v1/pupils/left/" in schema and "/api/v1/pupils/left/{id}/" in schema
    assert "LeftPupilDetail" in schema


def test_a_reversed_departure_leaves_the_list(world, login):
    """撤销审批 of a 转出 puts the pupil back in school (xueji/approvals/reversal.py marks the
    original's payload ``reversed_by``): the copy is no longer a pupil who left."""
    out = _approve(world, transfer_out_start(actor=world.user("registrar_a1"), pupil=world.pupils["a1"],
                                             destination="台湾省台北市某小学", reason="随父母迁居", files=[]))
    copy = LeftPupilCopy.objects.get(change_request=out)
    client = login(world.user("registrar_a1"))
    assert "张小明" in client.get("/pupils/left/").content.decode()
    out.payload["reversed_by"] = 999
    out.save(update_fields=["payload"])
    assert "张小明" not in client.get("/pupils/left/").content.decode()
    assert client.get(f"/pupils/left/{copy.pk}/").status_code == 404
