"""A suspension in a real browser: registrar_a1 opens a pupil's record, 申请休学 with the
diagnosis, headmaster_a1 signs it from the inbox, officer_a approves on the request's page, and
the pupil's record shows 休学."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.transfers.conftest import PDF
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser

DIAGNOSIS = {"name": "诊断证明.pdf", "mimeType": "application/pdf", "buffer": PDF}


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def test_registrar_files_a_suspension_and_the_chain_approves_it(page: Page, browser_world, login, new_page, screenshot):
    world = browser_world
    pupil = world.pupils["a1_other"]
    first_absence = timezone.localdate() - timedelta(days=5)

    login("registrar_a1")
    page.goto(f"/pupils/{pupil.pk}/")
    page.get_by_role("link", name="申请休学").click()
    page.get_by_label("休学原因").select_option(label="伤病")
    page.get_by_label(re.compile("开始缺课日期")).fill(first_absence.isoformat())
    page.get_by_label(re.compile("出具诊断证明的医院")).fill("农安县人民医院")
    page.get_by_label("该医院为县级以上（含县级）医院").check()
    page.get_by_label("证明材料").set_input_files([DIAGNOSIS])
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    request_url = page.url
    screenshot(page, "suspension_started")

    headmaster = login("headmaster_a1", target=new_page())
    _nav(headmaster).get_by_role("link", name="待我审批").click()
    row = headmaster.locator("table.inbox tbody tr").filter(has_text=pupil.name)
    expect(row).to_have_count(1)
    row.get_by_role("checkbox").check()
    headmaster.get_by_role("button", name="同意所选申请").click()
    # The confirmation (issue 14): what will be signed, nothing decided before 确认.
    expect(headmaster.get_by_role("heading", level=1)).to_have_text("确认同意所选申请")
    headmaster.get_by_role("button", name="确认同意 1 项申请").click()
    expect(headmaster.locator(".messages")).to_contain_text("已同意 1 项申请。")

    officer = login("officer_a", target=new_page())
    officer.goto(request_url)
    # The world's grade is small: one pupil is over 3 % of it, so the bureau gives its reason.
    officer.get_by_label(re.compile("休学比例的特批理由")).fill("病情严重，特批休学")
    officer.get_by_role("button", name="同意", exact=True).click()
    screenshot(officer, "suspension_bureau_decided")
    expect(officer.get_by_role("heading", level=1)).to_contain_text("已通过")

    page.goto(f"/pupils/{pupil.pk}/")
    expect(page.locator("main")).to_contain_text("休学")
    assert Pupil.objects.get(pk=pupil.pk).status == PupilStatus.SUSPENDED
