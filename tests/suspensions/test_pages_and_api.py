"""The pages and the API of suspensions/: a pupil's page action, the start form, the list; the
API's start (multipart), list and detail, and who is refused."""

import pytest
import time_machine

from tests.suspensions.conftest import FILED, proof, suspend


@pytest.fixture
def filing_day():
    with time_machine.travel(FILED, tick=False):
        yield


def test_pupil_page_offers_suspension_to_its_registrar_only(world, login, filing_day):
    pupil = world.pupils["a1"]
    url = f"/pupils/{pupil.pk}/suspensions/suspension/new/"
    assert url in login(world.user("registrar_a1")).get(f"/pupils/{pupil.pk}/").content.decode()
    client = login(world.user("headmaster_a1"))
    assert url not in client.get(f"/pupils/{pupil.pk}/").content.decode()
    assert client.get(url).status_code == 404


def test_start_form_files_a_suspension(world, login, filing_day, no_cap):
    client = login(world.user("registrar_a1"))
    pupil = world.pupils["a1"]
    response = client.post(f"/pupils/{pupil.pk}/suspensions/suspension/new/", {
        "grounds": "illness", "first_absence": "2026-10-12", "hospital": "农安县人民医院",
        "hospital_county_level": "on", "files": [proof()],
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    assert "/requests/" in response["Location"]
    assert "休学" in client.get("/suspensions/").content.decode()


def test_start_form_shows_the_reason_it_was_refused(world, login, filing_day):
    client = login(world.user("registrar_a1"))
    response = client.post(f"/pupils/{world.pupils['a1'].pk}/suspensions/suspension/new/", {
        "grounds": "illness", "first_absence": "2026-09-01", "hospital": "农安县人民医院",
        "hospital_county_level": "on", "files": [proof()],
    })
    assert response.status_code == 200 and "一个月内办理" in response.content.decode()


def test_list_shows_the_schools_and_the_bureaus_suspensions(world, login, no_cap):
    request = suspend(world)
    link = f"/requests/{request.pk}/"
    for user, sees in [("registrar_a1", True), ("officer_a", True), ("registrar_b1", False), ("officer_b", False)]:
        assert (link in login(world.user(user)).get("/suspensions/").content.decode()) is sees, user


def test_api_start_list_and_detail(world, api_as, filing_day, no_cap):
    client = api_as("registrar_a1")
    response = client.post("/api/v1/suspensions/", {
        "pupil": world.pupils["a1"].pk, "grounds": "illness", "first_absence": "2026-10-12",
        "hospital": "农安县人民医院", "hospital_county_level": "true", "files": [proof()],
    }, format="multipart")
    assert response.status_code == 201, response.content.decode()
    pk = response.json()["id"]
    assert pk in {row["id"] for row in client.get("/api/v1/suspensions/").json()["results"]}
    assert client.get(f"/api/v1/suspensions/{pk}/").status_code == 200
    assert client.get(f"/api/v1/resumptions/{pk}/").status_code == 404  # another kind's endpoint
    assert api_as("officer_b").get(f"/api/v1/suspensions/{pk}/").status_code == 404


def test_api_refuses_another_schools_registrar(world, api_as, filing_day):
    response = api_as("registrar_b1").post("/api/v1/suspensions/", {
        "pupil": world.pupils["a1"].pk, "grounds": "abroad", "first_absence": "2026-10-12", "files": [proof()],
    }, format="multipart")
    assert response.status_code == 404  # a pupil it cannot see


def test_api_refusal_carries_the_reason(world, api_as, filing_day):
    response = api_as("registrar_a1").post("/api/v1/deferrals/", {
        "pupil": world.pupils["a1"].pk, "hospital": "农安县人民医院", "hospital_county_level": "true",
        "medical_files": [proof()], "guardian_files": [proof("申请.pdf")],
    }, format="multipart")
    assert response.status_code == 400 and "缓学只适用于" in response.content.decode()


def test_api_resumption_refused_for_a_pupil_at_school(world, api_as, filing_day):
    response = api_as("registrar_a1").post("/api/v1/resumptions/", {
        "pupil": world.pupils["a1"].pk, "target_class": world.classes["a1_3_1"].pk, "files": [proof()],
    }, format="multipart")
    assert response.status_code == 400 and "不能申请复学" in response.content.decode()


def test_a_rejected_suspension_comes_back_filled(world, login, filing_day, no_cap):
    from xueji.approvals.services import request_decide

    request = suspend(world, grounds_note="骨折住院", hospital="农安县人民医院")
    request_decide(actor=world.user("headmaster_a1"), request_id=request.pk, approve=False, comment="诊断证明不清晰")
    client = login(world.user("registrar_a1"))
    form = client.get(f"/pupils/{request.pupil_id}/suspensions/suspension/new/?resubmit={request.pk}").content.decode()
    assert '<option value="illness" selected>' in form and 'value="2026-10-12"' in form
    assert 'value="农安县人民医院"' in form and "骨折住院" in form
