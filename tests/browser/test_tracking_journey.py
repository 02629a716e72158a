"""A guardian's phone follows a request without an account: registrar_a1 prints the 休学申请表,
whose corner carries the QR code and its code; the guardian's phone (375 px wide) opens
/track/<code>/ as the QR code leads it, types the last six characters of the child's ID number and
sees the progress: the kind, the masked name, the steps by unit, what is still missing. The page
fits the phone (no horizontal scrolling) before and after the answer, with no violation of the
Content-Security-Policy."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.pdfs import pdf_words
from tests.suspensions.conftest import suspend
from xueji.accounts.models import BureauSettings

pytestmark = pytest.mark.browser

PHONE = {"viewport": {"width": 375, "height": 667}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def scroll_width(page: Page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


def test_a_guardians_phone_sees_the_progress_after_the_six_characters(page: Page, browser_world, login, browser,
                                                                      browser_context_args, screenshot):
    world = browser_world
    BureauSettings.objects.update_or_create(bureau=world.units["county_a"], defaults={"suspension_cap_percent": 100})
    request = suspend(world)

    login("registrar_a1")
    response = page.request.get(f"/suspensions/requests/{request.pk}/form.pdf")
    assert response.ok
    text = pdf_words(response.body())
    code = re.search(r"查询码([0-9A-Z]{12})", text).group(1)  # what the QR code's address ends with

    context = browser.new_context(**{**browser_context_args, **PHONE})
    try:
        phone = context.new_page()
        violations = []  # under the Content-Security-Policy: chromium logs each refusal
        phone.on("console", lambda message: violations.append(message.text)
                 if "Content Security Policy" in message.text else None)
        phone.goto(f"/track/{code}/")
        expect(phone.get_by_role("heading", level=1)).to_have_text("查询申请办理进度")
        expect(phone.locator("main")).not_to_contain_text("张")
        assert scroll_width(phone) <= 375
        screenshot(phone, "tracking_question_phone")

        phone.get_by_label("请输入学生身份证件号的后六位。").fill("123456" if not request.pupil.id_number.endswith("123456") else "654321")
        phone.get_by_role("button", name="查询").click()
        expect(phone.get_by_role("alert")).to_contain_text("输入的信息不正确")

        phone.get_by_label("请输入学生身份证件号的后六位。").fill(request.pupil.id_number[-6:])
        phone.get_by_role("button", name="查询").click()
        main = phone.locator("main")
        expect(phone.get_by_role("heading", level=1)).to_have_text("休学")
        expect(main).to_contain_text("张*明")
        expect(main).to_contain_text("审批中")
        expect(main).to_contain_text("等待农安县实验小学审核")
        expect(main).to_contain_text("农安县教育局")
        expect(main).not_to_contain_text("张小明")
        expect(main).not_to_contain_text(request.pupil.id_number)
        assert scroll_width(phone) <= 375
        screenshot(phone, "tracking_progress_phone")

        # Opened again from the QR code within the half hour: the progress straight away.
        phone.goto(f"/track/{code}/")
        expect(phone.locator("main")).to_contain_text("张*明")
        assert violations == []
    finally:
        context.close()
