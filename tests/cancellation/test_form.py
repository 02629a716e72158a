"""注销学籍申请表, printed beside the request (page and API) and read back with pdftotext: one page,
the pupil, the grounds with the date of death and the report's due date, the signature and stamp
boxes, who decided in the boxes already decided, who printed it and when; numbers masked as the
printing user sees them; nothing for a user outside the request's scope; every print audited."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.cancellation.conftest import cancel, decide
from tests.pdfs import page_count, pdf_words, squeezed
from xueji.accounts.models import AuditEntry
from xueji.identity import mask_id_number, mask_student_number

PRINTED = datetime(2026, 12, 4, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
BOX_LABELS = ["监护人签字", "学校意见", "班主任签字", "校长签字", "学校盖章", "县教育局意见", "负责人签字", "教育局盖章"]


@pytest.fixture
def named(world):
    """The people the forms name: who prints and who decides."""
    for username, full_name in [("registrar_a1", "张三"), ("headmaster_a1", "王校长"), ("officer_a", "刘科长")]:
        user = world.user(username)
        user.full_name = full_name
        user.save(update_fields=["full_name"])
    return world


def form_url(request) -> str:
    return f"/cancellations/requests/{request.pk}/form.pdf"


def printed(client, url: str):
    with time_machine.travel(PRINTED, tick=False):
        return client.get(url)


def test_cancellation_form_prints_the_death_its_due_date_and_the_boxes(named, login):
    request = cancel(named, note="病故")
    response = printed(login(named.user("registrar_a1")), form_url(request))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert page_count(response.content) == 1
    text = pdf_words(response.content)
    assert "注销学籍申请表" in text and "张小明" in text and "农安县实验小学" in text
    for words in ["学生死亡", "病故", "2026-09-28", "2026-10-16", "按时报告", "监护人申请.pdf", "死亡证明.pdf"]:
        assert words in text, words
    for label in BOX_LABELS:
        assert label in text, label
    assert "系统审批记录" not in text  # nothing decided yet
    assert squeezed("打印：张三 2026-12-04 10:30") in text and f"申请编号：#{request.pk}" in text
    entry = AuditEntry.objects.get(action="document.print", object_id=str(request.pk))
    assert entry.user == named.user("registrar_a1") and "注销学籍申请表" in entry.detail


def test_deciders_fill_their_boxes(named, login):
    request = decide(named, cancel(named), comment="经核实，情况属实。")
    text = pdf_words(printed(login(named.user("officer_a")), form_url(request)).content)
    assert "王校长" in text and "刘科长" in text and text.count("经核实，情况属实。") == 2
    assert squeezed("打印：刘科长 2026-12-04 10:30") in text


def test_a_late_death_report_prints_as_late(named, login):
    request = cancel(named, today=date(2026, 10, 20))
    text = pdf_words(printed(login(named.user("registrar_a1")), form_url(request)).content)
    assert "逾期报告" in text


@pytest.mark.parametrize("username, full", [("registrar_a1", True), ("city_officer", False)])
def test_numbers_are_printed_as_the_user_sees_them(named, login, username, full):
    request = cancel(named)
    pupil = request.pupil
    text = pdf_words(printed(login(named.user(username)), form_url(request)).content)
    assert (pupil.id_number in text) is full and (pupil.student_number in text) is full
    if not full:
        assert mask_id_number(pupil.id_number) in text and mask_student_number(pupil.student_number) in text


@pytest.mark.parametrize("username", ["registrar_b1", "officer_b", "registrar_a2", "teacher_a1"])
def test_nobody_outside_the_request_prints_it(named, login, api_as, username):
    request = cancel(named)
    assert printed(login(named.user(username)), form_url(request)).status_code == 404
    assert api_as(username).get(f"/api/v1/cancellations/{request.pk}/form.pdf").status_code == 404
    assert not AuditEntry.objects.filter(action="document.print").exists()


def test_api_serves_the_form(named, api_as):
    request = cancel(named)
    client = api_as("officer_a")
    with time_machine.travel(PRINTED, tick=False):
        response = client.get(f"/api/v1/cancellations/{request.pk}/form.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert page_count(response.content) == 1 and "注销学籍申请表" in pdf_words(response.content)
    entries = AuditEntry.objects.filter(action="document.print", object_id=str(request.pk))
    assert [entry.user for entry in entries] == [named.user("officer_a")]


def test_other_kinds_are_not_printed_as_a_cancellation(named, login, api_as):
    from tests.suspensions.conftest import suspend

    suspension = suspend(named)
    assert login(named.user("registrar_a1")).get(form_url(suspension)).status_code == 404
    assert api_as("registrar_a1").get(f"/api/v1/cancellations/{suspension.pk}/form.pdf").status_code == 404


def test_request_page_offers_the_form(named, login):
    request = cancel(named)
    page = login(named.user("headmaster_a1")).get(f"/requests/{request.pk}/").content.decode()
    assert "打印申请表" in page and form_url(request) in page
