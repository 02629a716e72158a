"""A dropout in a real browser: after ten school days of unexplained absence the pupil is on the
school's suspected list; registrar_a1 confirms the dropout with the contacts tried, logs a home
visit on the case; officer_a finds the case on the bureau's 控辍保学 page. The record stays: 辍学."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dropouts.services import record_absence
from xueji.calendar import workdays
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser


def _last_school_days(count: int) -> list:
    day, days = timezone.localdate(), []
    while len(days) < count:
        if workdays.is_working_day(day):
            days.append(day)
        day -= timedelta(days=1)
    return days


def test_suspected_confirmed_visited_and_seen_by_the_bureau(page: Page, browser_world, login, new_page, screenshot):
    world = browser_world
    pupil = world.pupils["a1_other"]
    for day in _last_school_days(10):
        record_absence(actor=world.user("registrar_a1"), pupil=pupil, day=day)

    login("registrar_a1")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="控辍保学").click()
    row = page.locator("tr").filter(has_text=pupil.name)
    row.get_by_role("link", name="联系家长后确认辍学").click()
    page.get_by_label("联系家长情况").fill("电话联系父亲三次未接通，家访时家中无人。")
    page.get_by_role("button", name="确认辍学并报告教育局").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("辍学劝返")
    page.get_by_label("步骤").select_option(label="家访")
    page.get_by_label(re.compile(r"^日期")).fill(timezone.localdate().isoformat())
    page.get_by_label("家访人员（家访）").fill("班主任、学籍管理员")
    page.get_by_label("家访结果（家访）").fill("家长同意下周送孩子返校")
    page.get_by_role("button", name="记录").click()
    expect(page.locator("ol, table, ul").filter(has_text="家长同意下周送孩子返校").first).to_be_visible()
    expect(page.locator(".messages")).to_be_visible()
    screenshot(page, "dropout_case")

    officer = login("officer_a", target=new_page())
    officer.get_by_role("navigation", name="主导航").get_by_role("link", name="控辍保学").click()
    expect(officer.locator("main")).to_contain_text(pupil.name)
    expect(officer.locator("tr").filter(has_text=pupil.name)).to_contain_text("家访")  # the last step taken
    assert Pupil.objects.get(pk=pupil.pk).status == PupilStatus.DROPPED_OUT
