"""A resumption in a real browser: a pupil's one-year suspension ends today (the clock is frozen on
that day; 复学 is allowed on it and on no other), registrar_a1 opens the record, 申请复学 into a
class with room with the recovery certificate, headmaster_a1 signs it from 待我审批, officer_a
approves on the request's page, and the record shows 在籍在校 in the class chosen."""

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from tests.suspensions.conftest import decide, suspend
from tests.transfers.conftest import PDF
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser

CERTIFICATE = {"name": "康复证明.pdf", "mimeType": "application/pdf", "buffer": PDF}
FIRST_ABSENCE = date(2025, 11, 10)
END = date(2026, 11, 10)  # one year after the first day of absence: the day of 复学
ON_THE_END_DAY = datetime(2026, 11, 10, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def test_registrar_files_a_resumption_on_the_end_day_and_the_chain_approves_it(
    page: Page, browser_world, login, new_page, screenshot
):
    world = browser_world
    pupil = world.pupils["a1_other"]  # 三年级（2）班
    # Suspended a year ago: filed two days after the first absence, approved by the chain (the
    # world's grade is small, so the bureau gave its reason for the 3 % cap).
    decide(world, suspend(world, "a1_other", first_absence=FIRST_ABSENCE, today=date(2025, 11, 12)),
           over_cap_reason="病情严重，特批休学")
    assert Pupil.objects.get(pk=pupil.pk).status == PupilStatus.SUSPENDED

    # The live server runs in this process: the frozen clock is its clock too.
    with time_machine.travel(ON_THE_END_DAY):
        login("registrar_a1")
        page.goto(f"/pupils/{pupil.pk}/")
        expect(page.locator(".record-head")).to_contain_text("休学")
        # On the end day: resume, or renew.
        expect(page.get_by_role("link", name="续办休学")).to_be_visible()
        page.get_by_role("link", name="申请复学").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("申请复学")
        classes = page.get_by_label(re.compile("复学编入班级"))
        expect(classes.locator("option")).to_have_text(["请选择班级", "三年级（1）班", "三年级（2）班"])
        classes.select_option(label="三年级（1）班")
        # Forgot the certificate: the form says so and keeps the class.
        page.get_by_role("button", name="提交申请").click()
        expect(page.get_by_role("alert")).to_contain_text("申请没有提交")
        certificate_field = page.locator(".field").filter(has=page.get_by_label(re.compile("康复证明")))
        expect(certificate_field.locator(".error")).to_have_text("请上传康复证明。")
        expect(classes.locator("option:checked")).to_have_text("三年级（1）班")
        page.get_by_label(re.compile("康复证明")).set_input_files([CERTIFICATE])
        page.get_by_role("button", name="提交申请").click()
        expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
        request_url = page.url
        expect(page.locator(".messages")).to_have_text(re.compile(r"^\s*复学申请已提交，等待校长审核。\s*$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("复学")
        expect(page.get_by_role("heading", level=1)).to_contain_text("审批中")
        details = page.locator("section.card").filter(has_text="申请内容")
        expect(details).to_contain_text("2026-11-10")
        expect(details).to_contain_text("三年级（1）班")
        expect(page.get_by_role("link", name="康复证明.pdf")).to_be_visible()
        screenshot(page, "resumption_started")

        headmaster = login("headmaster_a1", target=new_page())
        _nav(headmaster).get_by_role("link", name="待我审批").click()
        row = headmaster.locator("table.inbox tbody tr").filter(has_text=pupil.name)
        expect(row).to_have_count(1)
        expect(row.get_by_role("link", name="复学", exact=True)).to_be_visible()
        expect(row).to_contain_text("休学期满复学（2026-11-10），回三年级")
        row.get_by_role("checkbox").check()
        headmaster.get_by_role("button", name="同意所选申请").click()
        # The confirmation (issue 14): what will be signed, nothing decided before 确认.
        expect(headmaster.get_by_role("heading", level=1)).to_have_text("确认同意所选申请")
        headmaster.get_by_role("button", name="确认同意 1 项申请").click()
        expect(headmaster.locator(".messages")).to_contain_text("已同意 1 项申请。")

        officer = login("officer_a", target=new_page())
        _nav(officer).get_by_role("link", name="待我审批").click()
        row = officer.locator("table.inbox tbody tr").filter(has_text=pupil.name)
        row.get_by_role("link", name="复学", exact=True).click()
        expect(officer).to_have_url(request_url)
        expect(officer.locator(".callout-action")).to_contain_text("等待您审批")
        officer.get_by_role("button", name="同意", exact=True).click()
        expect(officer.locator(".messages")).to_contain_text("已同意。")
        expect(officer.get_by_role("heading", level=1)).to_contain_text("已通过")
        screenshot(officer, "resumption_bureau_decided")

        page.goto(f"/pupils/{pupil.pk}/")
        head = page.locator(".record-head")
        expect(head).to_contain_text("在籍在校")
        expect(head).to_contain_text("三年级（1）班")
        expect(page.get_by_role("link", name="申请复学")).to_have_count(0)
        # The history names the classes, not their ids.
        history = page.locator("section.card").filter(has=page.get_by_role("heading", name="信息变更记录"))
        expect(history.locator("tr").filter(has_text="班级")).to_contain_text(re.compile(r"三年级（2）班\s*三年级（1）班"))
        screenshot(page, "resumption_record")
    pupil.refresh_from_db()
    assert (pupil.status, pupil.school_class) == (PupilStatus.ENROLLED, world.classes["a1_3_1"])
