"""纸质学籍档案 in a real browser: registrar_a1 marks a whole class's files complete in one action,
then one pupil's info sheet missing; the school's page lists what is missing; officer_a sees the
school's completeness among the county's."""

import pytest
from playwright.sync_api import Page, expect

from tests.factories import make_pupil

pytestmark = pytest.mark.browser


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def test_registrar_marks_a_class_at_once_and_the_bureau_sees_the_school(page: Page, browser_world, login, new_page, screenshot):
    world = browser_world
    make_pupil(world.units["a1"], world.classes["a1_3_1"], name="陈二")

    login("registrar_a1")
    _nav(page).get_by_role("link", name="纸质档案").click()
    expect(page.locator(".lead")).to_contain_text("在籍学生 3 人")
    page.get_by_role("link", name="三年级（1）班").click()
    page.get_by_label("全班学生").check()
    page.get_by_label("标记为").select_option(label="全部材料齐全")
    page.get_by_role("button", name="执行").click()
    expect(page.locator(".messages")).to_contain_text("已将 2 名学生的档案标记为“全部材料齐全”")
    page.get_by_label("选择陈二").check()
    page.get_by_label("标记为").select_option(label="学籍基本信息表：缺失")
    page.get_by_role("button", name="执行").click()
    expect(page.locator(".lead")).to_contain_text("完整 1，缺材料 1")
    screenshot(page, "paper_class_marked")
    page.get_by_role("link", name="返回全校情况").click()
    expect(page.locator("section", has_text="缺失材料清单")).to_contain_text("陈二")

    officer = login("officer_a", target=new_page())
    _nav(officer).get_by_role("link", name="纸质档案").click()
    row = officer.locator("tr", has_text="农安县实验小学")
    expect(row).to_contain_text("33%")
    screenshot(officer, "paper_bureau_overview")
