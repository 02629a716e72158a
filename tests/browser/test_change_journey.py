"""Information change and reversal in a real browser.

- 学籍信息变更: registrar_a1 asks for a pupil's new name with the guardian's request and the
  household register, headmaster_a1 signs from the inbox, officer_a approves on the request's page,
  and the record shows the new name with the old one as 曾用名.
- 撤销审批: officer_a reverses a suspension it approved today, headmaster_a1 signs the reversal,
  officer_a confirms it, and the record is 在籍在校 again."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from suspensions.services import SuspensionApplication, suspension_start
from tests.transfers.conftest import PDF
from xueji.accounts.models import BureauSettings
from xueji.approvals.services import request_decide
from xueji.codes import PupilStatus
from xueji.files.proof import CheckedFile
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser

REQUEST = {"name": "监护人申请.pdf", "mimeType": "application/pdf", "buffer": PDF}
REGISTER = {"name": "户口簿.pdf", "mimeType": "application/pdf", "buffer": PDF}


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def _sign_from_inbox(page: Page, pupil_name: str) -> None:
    _nav(page).get_by_role("link", name="待我审批").click()
    row = page.locator("table.inbox tbody tr").filter(has_text=pupil_name)
    expect(row).to_have_count(1)
    row.get_by_role("checkbox").check()
    page.get_by_role("button", name="同意所选申请").click()
    # The confirmation (issue 14): what will be signed, nothing decided before 确认.
    expect(page.get_by_role("heading", level=1)).to_have_text("确认同意所选申请")
    page.get_by_role("button", name="确认同意 1 项申请").click()
    expect(page.locator(".messages")).to_contain_text("已同意 1 项申请。")


def test_registrar_asks_for_a_name_change_and_the_bureau_approves_it(page: Page, browser_world, login, new_page, screenshot):
    pupil = browser_world.pupils["a1_other"]
    old_name = pupil.name

    login("registrar_a1")
    page.goto(f"/pupils/{pupil.pk}/")
    page.get_by_role("link", name="申请变更关键信息").click()
    page.get_by_label(re.compile(r"^姓名")).fill("李晓雁")
    page.get_by_label("变更原因").fill("户口簿姓名已更改")
    page.get_by_label("监护人书面申请").set_input_files([REQUEST])
    page.get_by_label("户口簿（或其他身份证件）的相关页").set_input_files([REGISTER])
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    expect(page.locator("main")).to_contain_text(f"{old_name} → 李晓雁")
    request_url = page.url
    screenshot(page, "info_change_started")

    _sign_from_inbox(login("headmaster_a1", target=new_page()), old_name)

    officer = login("officer_a", target=new_page())
    officer.goto(request_url)
    officer.get_by_role("button", name="同意", exact=True).click()
    expect(officer.get_by_role("heading", level=1)).to_contain_text("已通过")
    screenshot(officer, "info_change_bureau_decided")

    page.goto(f"/pupils/{pupil.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("李晓雁")
    expect(page.locator("main")).to_contain_text(old_name)  # now the 曾用名, and in the history


def test_the_bureau_reverses_a_suspension_it_approved(page: Page, browser_world, login, new_page, screenshot):
    world = browser_world
    pupil = world.pupils["a1_other"]
    BureauSettings.objects.create(bureau=world.units["county_a"], suspension_cap_percent=100)
    today = timezone.localdate()
    suspension = suspension_start(
        actor=world.user("registrar_a1"), pupil=pupil, today=today,
        application=SuspensionApplication(grounds="illness", grounds_note="住院", first_absence=today - timedelta(days=3),
                                          hospital="农安县人民医院", hospital_county_level=True),
        files=[CheckedFile(content=PDF, content_type="application/pdf", extension=".pdf", original_name="诊断证明.pdf")],
    )
    for user in ("headmaster_a1", "officer_a"):
        request_decide(actor=world.user(user), request_id=suspension.pk, approve=True)
    assert Pupil.objects.get(pk=pupil.pk).status == PupilStatus.SUSPENDED

    login("officer_a")
    page.goto(f"/requests/{suspension.pk}/")
    page.get_by_label("撤销理由").fill("诊断证明系伪造，撤销休学")
    page.get_by_role("button", name="发起撤销").click()
    expect(page.locator(".messages")).to_contain_text("撤销申请已发起")
    reversal_url = page.url
    screenshot(page, "reversal_started")

    _sign_from_inbox(login("headmaster_a1", target=new_page()), pupil.name)

    page.goto(reversal_url)
    page.get_by_role("button", name="同意", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("已通过")
    page.goto(f"/requests/{suspension.pk}/")
    expect(page.locator("main")).to_contain_text("该项变动已撤销")
    screenshot(page, "reversal_done")
    page.goto(f"/pupils/{pupil.pk}/")
    expect(page.get_by_role("heading", level=1).locator("..")).to_contain_text("在籍在校")
