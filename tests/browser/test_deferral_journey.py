"""A deferred entry (缓学) in a real browser: a child admitted to grade 1 of the autumn intake is too
weak to start school; before 1 September of the intake year (the clock is frozen in August: 缓学
is refused from 1 September on) registrar_a1 opens the record, 申请缓学 with the county hospital's
certificate and the guardian's written request, headmaster_a1 signs it from 待我审批, officer_a
approves on the request's page, and the record shows 缓学."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from tests.factories import SchoolClassFactory, make_pupil
from tests.transfers.conftest import PDF
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser

CERTIFICATE = {"name": "医务证明书.pdf", "mimeType": "application/pdf", "buffer": PDF}
GUARDIAN_REQUEST = {"name": "缓学申请书.pdf", "mimeType": "application/pdf", "buffer": PDF}
# The newcomer enters on 2026-09-01 (tests.factories.make_pupil): 缓学 is filed in August.
BEFORE_1_SEPTEMBER = datetime(2026, 8, 20, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def test_registrar_files_a_deferral_before_1_september_and_the_chain_approves_it(
    page: Page, browser_world, login, new_page, screenshot
):
    world = browser_world
    first = SchoolClassFactory(school=world.units["a1"], grade=1, number=1)
    pupil = make_pupil(world.units["a1"], first, name="孙新禾")

    # The live server runs in this process: the frozen clock is its clock too.
    with time_machine.travel(BEFORE_1_SEPTEMBER):
        login("registrar_a1")
        page.goto(f"/pupils/{pupil.pk}/")
        expect(page.locator(".record-head")).to_contain_text("在籍在校")
        page.get_by_role("link", name="申请缓学").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("申请缓学")
        page.get_by_label("出具医务证明书的医院").fill("农安县人民医院")
        page.get_by_label("情况说明").fill("先天性心脏病术后康复，体质虚弱，家长申请延缓一年入学")
        page.get_by_label(re.compile("^医务证明书")).set_input_files([CERTIFICATE])
        page.get_by_label("家长书面缓学申请").set_input_files([GUARDIAN_REQUEST])
        # Without saying the hospital is of county level: refused with the reason, the rest kept.
        page.get_by_role("button", name="提交申请").click()
        expect(page.get_by_role("alert")).to_contain_text("申请没有提交")
        hospital_field = page.locator(".field").filter(has=page.get_by_label("出具医务证明书的医院"))
        expect(hospital_field.locator(".error")).to_have_text("证明须由县级以上（含县级）医院出具。")
        expect(page.get_by_label("出具医务证明书的医院")).to_have_value("农安县人民医院")
        page.get_by_label("该医院为县级以上（含县级）医院").check()
        page.get_by_label(re.compile("^医务证明书")).set_input_files([CERTIFICATE])
        page.get_by_label("家长书面缓学申请").set_input_files([GUARDIAN_REQUEST])
        page.get_by_role("button", name="提交申请").click()
        expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
        request_url = page.url
        expect(page.locator(".messages")).to_have_text(re.compile(r"^\s*缓学申请已提交，等待校长审核。\s*$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("缓学")
        expect(page.get_by_role("heading", level=1)).to_contain_text("审批中")
        expect(page.locator("p.lead")).to_have_text("2026年秋季延缓入学")
        details = page.locator("section.card").filter(has_text="申请内容")
        expect(details).to_contain_text("农安县人民医院")
        expect(details).to_contain_text("先天性心脏病术后康复")
        expect(page.get_by_role("link", name="医务证明书.pdf")).to_be_visible()
        expect(page.get_by_role("link", name="缓学申请书.pdf")).to_be_visible()
        screenshot(page, "deferral_started")

        headmaster = login("headmaster_a1", target=new_page())
        _nav(headmaster).get_by_role("link", name="待我审批").click()
        row = headmaster.locator("table.inbox tbody tr").filter(has_text=pupil.name)
        expect(row).to_have_count(1)
        expect(row.get_by_role("link", name="缓学", exact=True)).to_be_visible()
        expect(row).to_contain_text("2026年秋季延缓入学")
        row.get_by_role("checkbox").check()
        headmaster.get_by_role("button", name="同意所选申请").click()
        # The confirmation (issue 14): what will be signed, nothing decided before 确认.
        expect(headmaster.get_by_role("heading", level=1)).to_have_text("确认同意所选申请")
        headmaster.get_by_role("button", name="确认同意 1 项申请").click()
        expect(headmaster.locator(".messages")).to_contain_text("已同意 1 项申请。")

        officer = login("officer_a", target=new_page())
        officer.goto(request_url)
        expect(officer.get_by_role("heading", name="审批：农安县教育局审批")).to_be_visible()
        officer.get_by_label(re.compile("^意见")).fill("同意缓学一年")
        officer.get_by_role("button", name="同意", exact=True).click()
        expect(officer.locator(".messages")).to_contain_text("已同意。")
        expect(officer.get_by_role("heading", level=1)).to_contain_text("已通过")
        expect(officer.locator("ol.timeline > li").nth(1)).to_contain_text("同意缓学一年")
        screenshot(officer, "deferral_bureau_decided")

        page.goto(f"/pupils/{pupil.pk}/")
        expect(page.locator(".record-head")).to_contain_text("缓学")
        expect(page.get_by_role("link", name="申请缓学")).to_have_count(0)
        screenshot(page, "deferral_record")
    assert Pupil.objects.get(pk=pupil.pk).status == PupilStatus.DEFERRED
