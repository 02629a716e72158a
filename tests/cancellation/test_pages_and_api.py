"""The pages and the API of 注销学籍: the pupil-page action, the start form, the list, the request's
page with the death report's due date; the API's start (multipart), list, detail and decision,
and who is refused."""

from datetime import date

import pytest
import time_machine

from tests.cancellation.conftest import DIED, FILED, cancel, proof


@pytest.fixture
def filing_day():
    with time_machine.travel(FILED, tick=False):
        yield


def start_url(pupil) -> str:
    return f"/pupils/{pupil.pk}/cancellation/new/"


def form_data(**overrides):
    return {"grounds": "death", "date_of_death": DIED.isoformat(), "note": "车祸",
            "guardian_files": [proof("监护人申请.pdf")], "proof_files": [proof("死亡证明.pdf")], **overrides}


def test_pupil_page_offers_cancellation_to_its_schools_registrar_only(world, login, filing_day):
    pupil = world.pupils["a1"]
    assert start_url(pupil) in login(world.user("registrar_a1")).get(f"/pupils/{pupil.pk}/").content.decode()
    for user in ("headmaster_a1", "officer_a"):
        client = login(world.user(user))
        assert start_url(pupil) not in client.get(f"/pupils/{pupil.pk}/").content.decode(), user
        assert client.get(start_url(pupil)).status_code == 404, user


def test_pupil_page_offers_nothing_once_the_pupil_is_deceased(world, login, filing_day):
    from tests.cancellation.conftest import decide

    decide(world, cancel(world))
    pupil = world.pupils["a1"]
    assert start_url(pupil) not in login(world.user("registrar_a1")).get(f"/pupils/{pupil.pk}/").content.decode()


def test_form_offers_only_the_listed_grounds(world, login, filing_day):
    text = login(world.user("registrar_a1")).get(start_url(world.pupils["a1"])).content.decode()
    assert 'value="death"' in text and 'value="emigration"' in text
    assert 'type="date"' in text and 'name="date_of_death"' in text
    for refused in ("dropout", "withdrawal", "expulsion"):
        assert f'value="{refused}"' not in text


def test_start_form_files_a_cancellation_and_its_page_shows_the_due_date(world, login, filing_day):
    client = login(world.user("registrar_a1"))
    response = client.post(start_url(world.pupils["a1"]), form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"]).content.decode()
    assert "2026-10-16" in page and "按时报告" in page and "死亡日期" in page
    assert "注销学籍" in client.get("/cancellations/").content.decode()


def test_late_death_report_is_accepted_and_marked_late_on_its_page(world, login):
    with time_machine.travel(date(2026, 10, 19), tick=False):
        client = login(world.user("registrar_a1"))
        response = client.post(start_url(world.pupils["a1"]), form_data())
        assert response.status_code == 302
        page = client.get(response["Location"]).content.decode()
    assert "逾期报告：超过时限 1 个工作日" in page


def test_form_refuses_a_dropout_ground_and_shows_why(world, login, filing_day):
    response = login(world.user("registrar_a1")).post(start_url(world.pupils["a1"]), form_data(grounds="dropout"))
    assert response.status_code == 200 and "注销学籍只限所列情形" in response.content.decode()


def test_form_shows_the_services_refusal(world, login, filing_day):
    client = login(world.user("registrar_a1"))
    response = client.post(start_url(world.pupils["a1"]), form_data(date_of_death="2026-12-01"))
    assert response.status_code == 200 and "死亡日期不能晚于今天" in response.content.decode()


def test_list_shows_the_schools_and_the_bureaus_cancellations(world, login):
    request = cancel(world)
    link = f"/requests/{request.pk}/"
    for user, sees in [("registrar_a1", True), ("headmaster_a1", True), ("officer_a", True), ("city_officer", True),
                       ("registrar_b1", False), ("officer_b", False), ("registrar_a2", False)]:
        assert (link in login(world.user(user)).get("/cancellations/").content.decode()) is sees, user


def test_rejected_request_can_be_resubmitted_from_its_page(world, login, filing_day):
    from tests.cancellation.conftest import decide

    request = decide(world, cancel(world), "headmaster_a1", approve=False, comment="证明不全")
    client = login(world.user("registrar_a1"))
    resubmit = f"{start_url(world.pupils['a1'])}?resubmit={request.pk}"
    assert resubmit in client.get(f"/requests/{request.pk}/").content.decode()
    # The form comes back with the rejected request's answers, only the files to choose again.
    form = client.get(resubmit).content.decode()
    assert 'value="2026-09-28"' in form and '<option value="death" selected>' in form
    response = client.post(resubmit, form_data())
    assert response.status_code == 302


# The API --------------------------------------------------------------------------------------

def api_start(client, pupil, **overrides):
    return client.post("/api/v1/cancellations/", {"pupil": pupil.pk, **form_data(**overrides)}, format="multipart")


def test_api_start_list_detail_and_decide(world, api_as, filing_day):
    client = api_as("registrar_a1")
    response = api_start(client, world.pupils["a1"])
    assert response.status_code == 201, response.content.decode()
    pk = response.json()["id"]
    assert pk in {row["id"] for row in client.get("/api/v1/cancellations/").json()["results"]}
    assert client.get(f"/api/v1/cancellations/{pk}/").status_code == 200
    assert client.get(f"/api/v1/suspensions/{pk}/").status_code == 404  # another kind's endpoint
    assert api_as("officer_b").get(f"/api/v1/cancellations/{pk}/").status_code == 404
    assert pk not in {row["id"] for row in api_as("registrar_b1").get("/api/v1/cancellations/").json()["results"]}
    early = api_as("officer_a").post(f"/api/v1/requests/{pk}/decide/", {"decision": "approve"}, format="json")
    assert early.status_code == 400 and "审批人" in early.content.decode()  # the school verifies first
    for user in ("headmaster_a1", "officer_a"):
        decided = api_as(user).post(f"/api/v1/requests/{pk}/decide/", {"decision": "approve"}, format="json")
        assert decided.status_code == 200, decided.content.decode()
    world.pupils["a1"].refresh_from_db()
    assert world.pupils["a1"].status == "deceased"


@pytest.mark.parametrize("grounds, reason", [("dropout", "辍学学生不得注销学籍"), ("withdrawal", "不得以任何理由退学"),
                                             ("expulsion", "不得劝退、开除学生")])
def test_api_refuses_dropout_withdrawal_and_expulsion_in_chinese(world, api_as, filing_day, grounds, reason):
    response = api_start(api_as("registrar_a1"), world.pupils["a1"], grounds=grounds)
    assert response.status_code == 400
    assert reason in response.json()["grounds"][0]
    assert api_as("registrar_a1").get("/api/v1/cancellations/").json()["results"] == []


def test_api_refuses_another_schools_registrar(world, api_as, filing_day):
    assert api_start(api_as("registrar_b1"), world.pupils["a1"]).status_code == 404  # a pupil it cannot see


def test_api_refuses_the_headmaster_starting(world, api_as, filing_day):
    response = api_start(api_as("headmaster_a1"), world.pupils["a1"])
    assert response.status_code == 403 and "只有本校学籍管理员" in response.content.decode()


def test_api_needs_the_guardians_request(world, api_as, filing_day):
    response = api_start(api_as("registrar_a1"), world.pupils["a1"], guardian_files=[])
    assert response.status_code == 400 and "guardian_files" in response.json()


def test_api_refuses_anonymous(world, client):
    assert client.get("/api/v1/cancellations/").status_code == 401
