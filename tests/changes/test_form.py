"""学籍信息变更申请表, printed beside the request (page and API) and read back with pdftotext: one
page, the pupil, each change with its old and new value, the reason, the proof, the signature and
stamp boxes, the QR code of the guardian's view with its code; the ID number masked for those who
see it masked; nothing for a user outside the request's scope; every print audited."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.changes.test_info_change import approve, start
from tests.factories import id_number
from tests.pdfs import image_pages, page_count, pdf_words
from xueji.accounts.models import AuditEntry
from xueji.identity import mask_id_number

PRINTED = datetime(2026, 12, 4, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
BOX_LABELS = ["监护人签字", "学校意见", "校长签字", "学校盖章", "县教育局意见", "负责人签字", "教育局盖章"]


def printed(client, url: str):
    with time_machine.travel(PRINTED, tick=False):
        return client.get(url)


def form_url(request) -> str:
    return f"/changes/requests/{request.pk}/form.pdf"


def test_the_form_prints_the_changes_the_boxes_and_the_qr_code(world, login):
    request = start(world, name="张晓明")
    response = printed(login(world.user("registrar_a1")), form_url(request))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert page_count(response.content) == 1
    text = pdf_words(response.content)
    assert "学籍信息变更申请表" in text and "张小明→张晓明" in text and "户口簿姓名已更改" in text
    assert "监护人申请.pdf" in text and "户口簿.pdf" in text
    for label in BOX_LABELS:
        assert label in text, label
    request.refresh_from_db()
    assert f"查询码{request.tracking_code}" in text and image_pages(response.content) == [1]
    entry = AuditEntry.objects.get(action="document.print", object_id=str(request.pk))
    assert "学籍信息变更申请表" in entry.detail


def test_the_request_page_offers_the_form(world, login):
    request = start(world, name="张晓明")
    html = login(world.user("headmaster_a1")).get(f"/requests/{request.pk}/").content.decode()
    assert form_url(request) in html and "打印申请表" in html


def test_an_id_number_change_prints_masked_for_the_city(world, login):
    pupil = world.pupils["a1"]
    request = start(world, id_number=id_number("220122", pupil.birth_date, pupil.gender, sequence=777))
    text = pdf_words(printed(login(world.user("city_officer")), form_url(request)).content)
    assert pupil.id_number not in text and mask_id_number(pupil.id_number) in text


@pytest.mark.parametrize("username", ["registrar_b1", "officer_b", "teacher_a1"])
def test_nobody_outside_the_request_prints_it(world, login, api_as, username):
    request = start(world, name="张晓明")
    assert printed(login(world.user(username)), form_url(request)).status_code == 404
    assert api_as(username).get(f"/api/v1/changes/{request.pk}/form.pdf").status_code == 404


def test_the_api_serves_the_form_after_approval_with_the_deciders(world, api_as):
    request = approve(world, start(world, name="张晓明"))
    response = api_as("officer_a").get(f"/api/v1/changes/{request.pk}/form.pdf")
    assert response.status_code == 200 and page_count(response.content) == 1
    assert "系统审批记录" in pdf_words(response.content)
