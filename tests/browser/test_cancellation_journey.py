"""注销学籍 in a real browser: a pupil has died; registrar_a1 opens the record, 申请注销学籍 on the
ground 学生死亡 with the date of death, the guardian's written request and the death certificate
(the form offers only the listed grounds: no dropout, withdrawal or expulsion); the request's page
shows the date the death had to be reported by; headmaster_a1 signs it from 待我审批, officer_a
confirms on the request's page, and the record shows 死亡.

And a rejection: officer_a sends a late-reported death back with a reason (a reason is required),
and the registrar finds the reason on the request's page with the way to resubmit.

The clock is frozen (the live server runs in this process): the due date is counted in working
days from the date of death, across the National Day holiday."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from tests.cancellation.conftest import DIED, DUE, FILED, cancel, decide
from tests.transfers.conftest import PDF
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser

GUARDIAN_REQUEST = {"name": "监护人注销申请.pdf", "mimeType": "application/pdf", "buffer": PDF}
DEATH_CERTIFICATE = {"name": "死亡医学证明.pdf", "mimeType": "application/pdf", "buffer": PDF}
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Died on Monday 28 September 2026; reported on 9 October, within the ten working days (due 16
# October: the National Day holiday does not count).
REPORTED = datetime(FILED.year, FILED.month, FILED.day, 9, 30, tzinfo=SHANGHAI)
# Reported on 20 October: two working days after the due date.
REPORTED_LATE = datetime(2026, 10, 20, 9, 30, tzinfo=SHANGHAI)


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def _steps(page: Page):
    return page.locator("ol.timeline > li")


def _details(page: Page):
    return page.locator("section.card").filter(has_text="申请内容")


def test_registrar_reports_a_death_and_the_bureau_confirms_the_cancellation(
    page: Page, browser_world, login, new_page, screenshot
):
    world = browser_world
    pupil = world.pupils["a1_other"]

    with time_machine.travel(REPORTED):
        login("registrar_a1")
        page.goto(f"/pupils/{pupil.pk}/")
        page.get_by_role("link", name="申请注销学籍").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("申请注销学籍")
        grounds = page.get_by_label("注销原因")
        # Only the listed grounds: never dropout, withdrawal or expulsion.
        expect(grounds.locator("option")).to_have_text([
            "请选择", "学生死亡", "经人民法院判决或裁定宣告失踪", "因故丧失学习能力",
            "因违法犯罪服刑，服刑期满时已满十六周岁", "出国（境）定居，不能复学",
        ])
        for refused in ("辍学", "退学", "开除"):
            expect(grounds.locator("option").filter(has_text=refused)).to_have_count(0)
        grounds.select_option(label="学生死亡")
        page.get_by_label(re.compile("^死亡日期")).fill(DIED.isoformat())
        page.get_by_label("情况说明").fill("因急性白血病医治无效去世")
        page.get_by_label("父母或其他监护人的书面申请").set_input_files([GUARDIAN_REQUEST])
        page.get_by_label("证明材料").set_input_files([DEATH_CERTIFICATE])
        page.get_by_role("button", name="提交申请").click()
        expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
        request_url = page.url
        expect(page.locator(".messages")).to_have_text(re.compile(r"^\s*注销学籍申请已提交，等待学校核实：校长审核。\s*$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("注销学籍")
        expect(page.get_by_role("heading", level=1)).to_contain_text("审批中")
        expect(page.locator("p.lead")).to_have_text("注销学籍（学生死亡）")
        # The due date of the report, and that it was met.
        details = _details(page)
        expect(details.locator("dt", has_text="死亡日期").locator("+ dd")).to_have_text("2026-09-28")
        expect(details.locator("dt", has_text="应报时限").locator("+ dd")).to_have_text(DUE.isoformat())
        expect(details.locator("dt", has_text="是否逾期").locator("+ dd")).to_have_text("按时报告")
        expect(page.get_by_role("link", name="监护人注销申请.pdf")).to_be_visible()
        expect(page.get_by_role("link", name="死亡医学证明.pdf")).to_be_visible()
        # And the due date of the step it waits at.
        expect(_steps(page).nth(0)).to_contain_text(re.compile(r"截止 \d{4}-\d{2}-\d{2}，剩余 \d+ 个工作日"))
        screenshot(page, "cancellation_started")

        headmaster = login("headmaster_a1", target=new_page())
        _nav(headmaster).get_by_role("link", name="待我审批").click()
        row = headmaster.locator("table.inbox tbody tr").filter(has_text=pupil.name)
        expect(row).to_have_count(1)
        expect(row.get_by_role("link", name="注销学籍", exact=True)).to_be_visible()
        expect(row).to_contain_text("注销学籍（学生死亡）")
        expect(row).to_contain_text("学校核实：校长审核")
        row.get_by_role("checkbox").check()
        headmaster.get_by_role("button", name="同意所选申请").click()
        # The confirmation (issue 14): what will be signed, nothing decided before 确认.
        expect(headmaster.get_by_role("heading", level=1)).to_have_text("确认同意所选申请")
        headmaster.get_by_role("button", name="确认同意 1 项申请").click()
        expect(headmaster.locator(".messages")).to_contain_text("已同意 1 项申请。")

        officer = login("officer_a", target=new_page())
        officer.goto(request_url)
        expect(officer.get_by_role("heading", name="审批：农安县教育局确认")).to_be_visible()
        expect(_details(officer).locator("dt", has_text="应报时限").locator("+ dd")).to_have_text(DUE.isoformat())
        officer.get_by_role("button", name="同意", exact=True).click()
        expect(officer.locator(".messages")).to_contain_text("已同意。")
        expect(officer.get_by_role("heading", level=1)).to_contain_text("已通过")
        screenshot(officer, "cancellation_bureau_confirmed")

        page.goto(f"/pupils/{pupil.pk}/")
        expect(page.locator(".record-head")).to_contain_text("死亡")
        expect(page.get_by_role("link", name="申请注销学籍")).to_have_count(0)
        screenshot(page, "cancellation_record")
    assert Pupil.objects.get(pk=pupil.pk).status == PupilStatus.DECEASED


def test_bureau_rejects_a_late_death_report_with_a_reason_and_the_registrar_sees_it(
    page: Page, browser_world, login, new_page, screenshot
):
    world = browser_world
    request = decide(world, cancel(world, "a1_other", today=REPORTED_LATE.date()), "headmaster_a1")
    request_url = f"/requests/{request.pk}/"

    with time_machine.travel(REPORTED_LATE):
        officer = login("officer_a", target=new_page())
        _nav(officer).get_by_role("link", name="待我审批").click()
        row = officer.locator("table.inbox tbody tr").filter(has_text=world.pupils["a1_other"].name)
        expect(row).to_contain_text("注销学籍（学生死亡，逾期报告）")
        row.get_by_role("link", name="注销学籍", exact=True).click()
        expect(officer).to_have_url(re.compile(rf"{request_url}$"))
        expect(_details(officer).locator("dt", has_text="是否逾期").locator("+ dd")).to_have_text("逾期报告：超过时限 2 个工作日")
        # A reason is required to send it back.
        officer.get_by_role("button", name="退回").click()
        expect(officer.locator("#decide .errors")).to_contain_text("退回申请时必须填写理由")
        expect(officer.get_by_role("heading", level=1)).to_contain_text("审批中")
        officer.get_by_label(re.compile("^意见")).fill("死亡证明未加盖出具单位公章，请补充后重新提交")
        officer.get_by_role("button", name="退回").click()
        expect(officer.locator(".messages")).to_contain_text("已退回。")
        expect(officer.get_by_role("heading", level=1)).to_contain_text("已退回")

        login("registrar_a1")
        page.goto(request_url)
        expect(page.get_by_role("heading", level=1)).to_contain_text("已退回")
        expect(page.locator(".callout")).to_contain_text("被农安县教育局退回")
        expect(page.locator(".callout")).to_contain_text("退回理由：死亡证明未加盖出具单位公章，请补充后重新提交")
        expect(_steps(page).nth(0)).to_contain_text("已同意")
        expect(_steps(page).nth(1)).to_contain_text("已退回")
        expect(_steps(page).nth(1)).to_contain_text(world.user("officer_a").full_name)
        screenshot(page, "cancellation_rejected")
        page.get_by_role("link", name="修改后重新提交").click()
        expect(page).to_have_url(re.compile(rf"/pupils/\d+/cancellation/new/\?resubmit={request.pk}$"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("申请注销学籍")
        expect(page.locator("main")).to_contain_text("修改后重新提交被退回的申请")
    pupil = Pupil.objects.get(pk=world.pupils["a1_other"].pk)
    assert pupil.status == PupilStatus.ENROLLED
