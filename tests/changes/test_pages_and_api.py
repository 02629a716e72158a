"""Information changes through the pages and the API: the forms keep what was typed and say what is
wrong in Chinese; the request page masks ID numbers for those who see records masked."""

from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from tests.changes.test_info_change import PDF, approve, start
from tests.conftest import login_with_code
from tests.factories import id_number
from xueji.accounts.models import User
from xueji.approvals.models import ChangeRequest


def login(client, user):
    return login_with_code(client, User.objects.get(username=user))


def pdf(name):
    return SimpleUploadedFile(name, PDF, content_type="application/pdf")


def test_the_registrar_asks_from_the_pupils_page(world, client):
    pupil = world.pupils["a1"]
    login(client, "registrar_a1")
    page = client.get(f"/pupils/{pupil.pk}/").content.decode()
    assert "申请变更关键信息" in page and "更正学籍信息" in page
    form = client.get(f"/pupils/{pupil.pk}/changes/new/").content.decode()
    assert f'value="{pupil.name}"' in form  # the record's values to start from
    data = {"name": "王新名", "gender": pupil.gender, "birth_date": pupil.birth_date.isoformat(), "id_type": pupil.id_type,
            "id_number": pupil.id_number, "ethnicity": pupil.ethnicity, "nationality": pupil.nationality,
            "overseas_status": pupil.overseas_status, "former_name": "", "reason": "户口簿已更名",
            "guardian_files": [pdf("申请.pdf")], "proof_files": [pdf("户口簿.pdf")]}
    response = client.post(f"/pupils/{pupil.pk}/changes/new/", data)
    change = ChangeRequest.objects.get(kind="info_change")
    assert response.status_code == 302 and response["Location"] == f"/requests/{change.pk}/"
    assert change.payload["changes"] == {"name": "王新名", "former_name": pupil.name}
    assert sorted(change.attachments.values_list("label", flat=True)) == ["户口簿（或其他身份证件）的相关页", "监护人书面申请"]


def test_a_refused_request_keeps_what_was_typed(world, client):
    pupil = world.pupils["a1"]
    login(client, "registrar_a1")
    data = {"name": "Tom", "gender": pupil.gender, "birth_date": pupil.birth_date.isoformat(), "id_type": pupil.id_type,
            "id_number": pupil.id_number, "ethnicity": pupil.ethnicity, "nationality": pupil.nationality,
            "overseas_status": pupil.overseas_status, "reason": "更名", "guardian_files": [pdf("a.pdf")], "proof_files": [pdf("b.pdf")]}
    response = client.post(f"/pupils/{pupil.pk}/changes/new/", data)
    body = response.content.decode()
    assert response.status_code == 200 and "申请没有提交" in body and 'value="Tom"' in body
    assert not ChangeRequest.objects.filter(kind="info_change").exists()


def test_the_request_page_masks_id_numbers_for_masked_viewers(world, client):
    pupil = world.pupils["a1"]
    new_id = id_number("220122", pupil.birth_date, pupil.gender, sequence=777)
    change = start(world, id_number=new_id, reason="身份证号登记错误")
    login(client, "officer_a")
    assert new_id in client.get(f"/requests/{change.pk}/").content.decode()
    login(client, "city_officer")
    body = client.get(f"/requests/{change.pk}/").content.decode()
    assert new_id not in body and pupil.id_number not in body and "身份证件号" in body


def test_the_school_corrects_through_the_page(world, client):
    pupil = world.pupils["a1"]
    login(client, "registrar_a1")
    form = client.get(f"/pupils/{pupil.pk}/correct/")
    data = {name: ("" if value is None else value) for name, value in form.context["form"].initial.items()}
    data = {k: v for k, v in data.items() if v is not False}
    data.update({"address": "农安县新阳街 8 号", "note": "家长来电告知搬家"})
    response = client.post(f"/pupils/{pupil.pk}/correct/", data)
    assert response.status_code == 302
    pupil.refresh_from_db()
    assert pupil.address == "农安县新阳街 8 号"
    history = client.get(f"/pupils/{pupil.pk}/").content.decode()
    assert "学校更正：家长来电告知搬家" in history


def test_the_school_corrects_the_national_items_itself(world, client):
    """The national form's newer items are the school's to correct (no bureau): a postcode, 是否受过学前
    教育 (unknown until now), the distance (48 then follows from 46), and a second family member who
    is a grandparent, not a guardian."""
    pupil = world.pupils["a1"]
    assert pupil.preschool is None
    login(client, "registrar_a1")
    form = client.get(f"/pupils/{pupil.pk}/correct/")
    page = form.content.decode()
    assert all(label in page for label in ("邮政编码", "是否受过学前教育", "上下学距离", "成员2是否监护人", "成员2职务"))
    data = {name: ("" if value is None else value) for name, value in form.context["form"].initial.items()}
    data = {k: v for k, v in data.items() if v is not False}
    data.update({"postcode": "130200", "preschool": "true", "distance_km": "3.5", "note": "家长核对基本信息表",
                 "guardian2_relation": "62", "guardian2_name": "李桂兰", "guardian2_relation_note": "",
                 "guardian2_id_type": "", "guardian2_id_number": "", "guardian2_phone": "", "guardian2_workplace": "",
                 "guardian2_hukou_division_id": "", "guardian2_address": "", "guardian2_ethnicity": "",
                 "guardian2_job_title": ""})
    data.pop("guardian2_is_guardian", None)  # unticked: a family member who is not a guardian
    response = client.post(f"/pupils/{pupil.pk}/correct/", data)
    assert response.status_code == 302, response.context["form"].errors
    pupil.refresh_from_db()
    assert (pupil.postcode, pupil.preschool, str(pupil.distance_km), pupil.school_bus) == ("130200", True, "3.5", True)
    member = pupil.guardians.get(position=2)
    assert (member.name, member.is_guardian) == ("李桂兰", False)
    bad = client.post(f"/pupils/{pupil.pk}/correct/", {**data, "postcode": "1302"})
    assert bad.status_code == 200 and "6 位数字" in bad.content.decode()


def test_api_start_list_and_decide(world):
    client = APIClient()
    pupil = world.pupils["a1"]
    client.force_authenticate(world.user("registrar_a1"))
    response = client.post("/api/v1/changes/", {"pupil": pupil.pk, "name": "王新名", "reason": "户口簿更名",
                                                "guardian_files": [pdf("申请.pdf")], "proof_files": [pdf("户口簿.pdf")]})
    assert response.status_code == 201, response.json()
    pk = response.json()["id"]
    assert response.json()["kind"] == "info_change"
    assert {"label": "姓名", "value": f"{pupil.name} → 王新名"} in response.json()["details"]
    refused = client.post("/api/v1/changes/", {"pupil": pupil.pk, "name": "Tom", "reason": "x",
                                               "guardian_files": [pdf("a.pdf")], "proof_files": [pdf("b.pdf")]})
    assert refused.status_code == 400
    client.force_authenticate(world.user("registrar_b1"))
    assert client.get(f"/api/v1/changes/{pk}/").status_code == 404
    assert pk not in [row["id"] for row in client.get("/api/v1/changes/").json()["results"]]
    for user in ("headmaster_a1", "officer_a"):
        client.force_authenticate(world.user(user))
        assert client.post(f"/api/v1/requests/{pk}/decide/", {"decision": "approve"}, format="json").status_code == 200
    pupil.refresh_from_db()
    assert pupil.name == "王新名"


def test_api_start_for_another_schools_pupil_is_404(world):
    client = APIClient()
    client.force_authenticate(world.user("registrar_b1"))
    response = client.post("/api/v1/changes/", {"pupil": world.pupils["a1"].pk, "name": "王新名", "reason": "x",
                                                "guardian_files": [pdf("a.pdf")], "proof_files": [pdf("b.pdf")]})
    assert response.status_code == 404


def test_api_correction(world):
    client = APIClient()
    pupil = world.pupils["a1"]
    client.force_authenticate(world.user("registrar_a1"))
    response = client.post("/api/v1/corrections/", {"pupil": pupil.pk, "note": "家长告知", "address": "新地址 1 号"}, format="json")
    assert response.status_code == 200 and response.json() == {"pupil": pupil.pk, "changed": ["现住址"]}
    bad = client.post("/api/v1/corrections/", {"pupil": pupil.pk, "note": "x", "hukou_division_id": "999999"}, format="json")
    assert bad.status_code == 400 and "行政区划代码" in str(bad.json())
    client.force_authenticate(world.user("registrar_b1"))
    assert client.post("/api/v1/corrections/", {"pupil": pupil.pk, "note": "x", "address": "y"}, format="json").status_code == 404
    client.force_authenticate(world.user("officer_a"))
    assert client.post("/api/v1/corrections/", {"pupil": pupil.pk, "note": "x", "address": "y"}, format="json").status_code == 403


def test_an_approved_change_shows_in_the_field_history_with_the_request(world, client):
    change = approve(world, start(world, name="王新名"))
    login(client, "registrar_a1")
    body = client.get(f"/pupils/{change.pupil_id}/").content.decode()
    assert "王新名" in body and f"#{change.pk}" in body


def test_a_rejected_change_comes_back_filled(world, client):
    from xueji.approvals.services import request_decide

    change = start(world, name="王新名", reason="户口簿已更名")
    request_decide(actor=world.user("headmaster_a1"), request_id=change.pk, approve=False, comment="户口簿页不清晰")
    login(client, "registrar_a1")
    url = f"/requests/{change.pk}/"
    resubmit = f"/pupils/{change.pupil_id}/changes/new/?resubmit={change.pk}"
    assert resubmit in client.get(url).content.decode()
    form = client.get(resubmit).content.decode()
    assert 'value="王新名"' in form and "户口簿已更名" in form
