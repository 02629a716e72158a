"""The guardian's view (xueji/approvals/tracking.py, tracking_views.py): ``/track/<code>/`` shows
nothing before the answer (the last six characters of the pupil's ID number, or the birth date),
then the request's progress with the pupil's name masked and no person's name or number; wrong
answers are counted per request and per address and stop the answers past the limit; every
view and wrong answer is audited; the session keeps the grant for that code only; the bureau's
setting turns it off; the same URL answers JSON; an unknown code is a 404 in Chinese."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from tests.suspensions.conftest import suspend
from xueji.accounts.models import AuditEntry, BureauSettings
from xueji.approvals.services import request_decide
from xueji.approvals.tracking import mask_name, normalize_code, tracking_code_for

SHANGHAI = ZoneInfo("Asia/Shanghai")
DECIDED = datetime(2026, 10, 21, 9, 15, tzinfo=SHANGHAI)
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def tracked(world):
    """A1's 休学 of 张小明 (the suspension cap lifted), signed by the headmaster 王校长, its form
    printed once (which draws the code)."""
    BureauSettings.objects.update_or_create(bureau=world.units["county_a"], defaults={"suspension_cap_percent": 100})
    headmaster = world.user("headmaster_a1")
    headmaster.full_name = "王校长"
    headmaster.save(update_fields=["full_name"])
    request = suspend(world)
    with time_machine.travel(DECIDED, tick=False):
        request_decide(actor=headmaster, request_id=request.pk, approve=True, comment="情况属实，同意。王校长")
    request.refresh_from_db()
    tracking_code_for(request)
    return request


def url(request) -> str:
    return f"/track/{request.tracking_code}/"


def last_six(request) -> str:
    return request.pupil.id_number[-6:]


def actions(request) -> list[str]:
    return list(AuditEntry.objects.filter(object_type="changerequest", object_id=str(request.pk),
                                          action__startswith="track.").order_by("id").values_list("action", flat=True))


def test_nothing_shows_before_the_answer(world, tracked):
    response = Client().get(url(tracked))
    html = response.content.decode()
    assert response.status_code == 200
    assert "请输入学生身份证件号的后六位" in html and 'name="csrfmiddlewaretoken"' in html
    for secret in ["张小明", "张*明", "农安县实验小学", "休学", "王校长", "审批步骤"]:
        assert secret not in html, secret
    assert "<script" not in html  # no script at all, inline or not: nothing for the CSP to allow
    assert actions(tracked) == ["track.open"]


def test_the_right_answer_shows_the_progress_masked(world, tracked):
    client = Client()
    response = client.post(url(tracked), {"answer": last_six(tracked).lower()})
    html = response.content.decode()
    assert response.status_code == 200
    assert "张*明" in html and "休学" in html and "农安县实验小学" in html and "农安县教育局" in html
    assert "审批中" in html and "已同意" in html and "2026-10-21 09:15" in html  # the headmaster's step
    assert "等待农安县教育局审核" in html  # what is still missing
    step = tracked.steps.get(status="pending")
    assert f"{step.due_at.astimezone(SHANGHAI):%Y-%m-%d %H:%M}" in html  # the deadline
    # Never a person's name, an ID number, a 学籍号, a phone, another pupil or a comment.
    pupil = tracked.pupil
    for secret in ["张小明", pupil.id_number, last_six(tracked), pupil.student_number, "王校长", "王建国",
                   "李秀英", "13900000000", "情况属实", "李晓燕", "骨折住院", str(pupil.birth_date)]:
        assert secret not in html, secret
    assert "<script" not in html
    assert actions(tracked) == ["track.view"]  # answered straight from the form
    entry = AuditEntry.objects.get(action="track.view")
    assert entry.unit == world.units["a1"] and entry.ip == "127.0.0.1" and entry.user is None


def test_the_session_keeps_the_grant_for_that_code_only(world, tracked):
    other = suspend(world, "a2")
    tracking_code_for(other)
    client = Client()
    with time_machine.travel(datetime(2026, 12, 4, 10, 0, tzinfo=SHANGHAI), tick=False):
        client.post(url(tracked), {"answer": last_six(tracked)})
    with time_machine.travel(datetime(2026, 12, 4, 10, 29, tzinfo=SHANGHAI), tick=False):
        assert "张*明" in client.get(url(tracked)).content.decode()
        html = client.get(url(other)).content.decode()
        assert "请输入" in html and "王*伟" not in html  # another request asks its own answer
    with time_machine.travel(datetime(2026, 12, 4, 10, 31, tzinfo=SHANGHAI), tick=False):
        assert "张*明" not in client.get(url(tracked)).content.decode()  # 30 minutes later: asked again


def test_a_wrong_answer_is_refused_and_audited(world, tracked):
    response = Client().post(url(tracked), {"answer": "000000"})
    html = response.content.decode()
    assert "输入的信息不正确" in html and "张*明" not in html and "审批步骤" not in html
    entry = AuditEntry.objects.get(action="track.failed")
    assert entry.result == AuditEntry.Result.FAILED and entry.object_id == str(tracked.pk)
    assert "000000" not in entry.detail
    # Anything typed is an answer, never an error page: Chinese, full-width, too long, nothing.
    for typed in ["张小明的证件", "１２３４５６", "9" * 500, ""]:
        assert Client().post(url(tracked), {"answer": typed}).status_code == 200


def test_wrong_answers_stop_the_answers_on_that_request(world, tracked, settings):
    settings.TRACK_FAILURE_LIMIT = 3
    for n in range(3):  # from three addresses: the request's own count stops them
        Client(REMOTE_ADDR=f"10.0.0.{n}").post(url(tracked), {"answer": "000000"})
    response = Client(REMOTE_ADDR="10.0.0.9").post(url(tracked), {"answer": last_six(tracked)})
    html = response.content.decode()
    assert response.status_code == 429 and "输入错误次数过多" in html and "张*明" not in html
    assert actions(tracked)[-1] == "track.locked"
    assert AuditEntry.objects.filter(action="track.failed").count() == 3


def test_wrong_answers_stop_the_answers_from_that_address(world, tracked, settings):
    settings.TRACK_ADDRESS_FAILURE_LIMIT = 3
    other = suspend(world, "a2")
    tracking_code_for(other)
    prober = Client(REMOTE_ADDR="10.0.0.1")
    for _ in range(3):
        prober.post(f"/track/{other.tracking_code}/", {"answer": "000000"})
    # The same address, another request, the right answer: refused unread.
    assert prober.post(url(tracked), {"answer": last_six(tracked)}).status_code == 429
    # Another address is not stopped.
    response = Client(REMOTE_ADDR="10.0.0.2").post(url(tracked), {"answer": last_six(tracked)})
    assert response.status_code == 200 and "张*明" in response.content.decode()


def test_a_pupil_without_an_id_number_answers_the_birth_date(world, tracked):
    pupil = tracked.pupil
    pupil.id_number = ""
    pupil.save(update_fields=["id_number", "id_number_index"])
    client = Client()
    assert "出生日期" in client.get(url(tracked)).content.decode()
    assert "张*明" not in client.post(url(tracked), {"answer": "000000"}).content.decode()
    answer = f"{pupil.birth_date:%Y%m%d}"
    assert "张*明" in client.post(url(tracked), {"answer": answer}).content.decode()


def test_the_bureau_turns_it_off(world, tracked):
    BureauSettings.objects.filter(bureau=world.units["county_a"]).update(guardian_tracking=False)
    client = Client()
    response = client.post(url(tracked), {"answer": last_six(tracked)})
    html = response.content.decode()
    assert response.status_code == 403 and "未开放扫码查询" in html and "张*明" not in html
    response = client.get(url(tracked), **JSON)
    assert response.status_code == 403 and response.json()["code"] == "tracking_off"


def test_an_unknown_code_is_a_404_in_chinese_and_audited(world, tracked):
    code = "Z" * 12 if tracked.tracking_code != "Z" * 12 else "Y" * 12
    response = Client().get(f"/track/{code}/")
    assert response.status_code == 404 and "没有找到这份申请" in response.content.decode()
    assert AuditEntry.objects.filter(action="lookup.denied", object_type="track").exists()
    # The request's id is not a code.
    assert Client().get(f"/track/{tracked.pk}/").status_code == 404
    response = Client().get(f"/track/{code}/", **JSON)
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_json_asks_for_the_answer_then_answers_the_progress(world, tracked):
    client = Client(enforce_csrf_checks=True)
    response = client.get(url(tracked), **JSON)
    assert response.status_code == 401
    assert response.json() == {"detail": "请输入学生身份证件号的后六位。", "code": "answer_required",
                               "question": "请输入学生身份证件号的后六位。"}
    token = client.cookies["csrftoken"].value
    # Without the CSRF token the answer is not read.
    assert client.post(url(tracked), {"answer": last_six(tracked)}, content_type="application/json", **JSON).status_code == 403
    response = client.post(url(tracked), {"answer": "000000"}, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token, **JSON)
    assert response.status_code == 400 and response.json()["code"] == "wrong_answer"
    response = client.post(url(tracked), {"answer": last_six(tracked)}, content_type="application/json",
                           HTTP_X_CSRFTOKEN=token, **JSON)
    assert response.status_code == 200
    progress = response.json()["progress"]
    assert progress["pupil"] == "张*明" and progress["kind"] == "休学" and progress["status"] == "pending"
    assert [s["status"] for s in progress["steps"]] == ["approved", "pending"]
    assert progress["steps"][0]["decided_at"].startswith("2026-10-21T09:15") and progress["deadline"]
    text = response.content.decode()
    for secret in ["张小明", tracked.pupil.id_number, "王校长"]:
        assert secret not in text
    # Then the session answers without the answer.
    assert client.get(url(tracked), **JSON).json()["progress"]["pupil"] == "张*明"


def test_the_html_form_needs_its_csrf_token(world, tracked):
    client = Client(enforce_csrf_checks=True)
    assert client.post(url(tracked), {"answer": last_six(tracked)}).status_code == 403


def test_a_half_logged_in_session_reaches_the_page(world, tracked):
    """The login gate lets /track/ through: a registrar who has typed the password but not yet the
    code is sent to the code page everywhere else."""
    from tests.factories import PASSWORD

    client = Client()
    response = client.post("/login/", {"username": "registrar_a1", "password": PASSWORD})
    assert response["Location"].startswith("/login/otp/")
    assert client.get("/").status_code == 302
    assert client.get(url(tracked)).status_code == 200


def test_codes_are_read_as_typed_from_paper():
    assert normalize_code("k04v-msmm 4yqj") == "K04VMSMM4YQJ"
    assert normalize_code("KO4VMSMM4YQI") == "K04VMSMM4YQ1"


@pytest.mark.parametrize("name, masked", [("张小明", "张*明"), ("王明", "王*"), ("欧阳小明", "欧**明"),
                                          ("Anna Lee", "A*** L**"), ("", "")])
def test_names_are_masked(name, masked):
    assert mask_name(name) == masked


def test_the_json_side_is_in_the_schema(world, api_as):
    schema = api_as("officer_a").get("/api/schema/?format=json").json()
    operations = schema["paths"]["/track/{code}/"]
    assert set(operations) == {"get", "post"}
    assert set(operations["get"]["responses"]) == {"200", "400", "401", "403", "404", "429"}


def test_guessing_codes_stops_the_address(world, tracked, settings):
    settings.TRACK_ADDRESS_FAILURE_LIMIT = 3
    guesser = Client(REMOTE_ADDR="10.0.0.5")
    for n in range(3):
        assert guesser.get(f"/track/ZZZZZZZZZZZ{n}/").status_code == 404
    assert guesser.get(url(tracked)).status_code == 429
    assert Client(REMOTE_ADDR="10.0.0.6").get(url(tracked)).status_code == 200


def test_the_right_answer_gives_the_session_a_new_key(world, tracked):
    """A session key planted before the answer (a link with a fixed cookie) is not the one granted."""
    from django.conf import settings as django_settings

    client = Client()
    planted = client.session.session_key
    client.post(url(tracked), {"answer": last_six(tracked)})
    assert client.cookies[django_settings.SESSION_COOKIE_NAME].value != planted
    assert "张*明" in client.get(url(tracked)).content.decode()
    assert "张*明" not in Client(HTTP_COOKIE=f"{django_settings.SESSION_COOKIE_NAME}={planted}").get(url(tracked)).content.decode()
