"""The sending school after a transfer, in a real browser: its registrar records how the paper file
left (a courier needs its tracking number: the form says so and keeps what was typed), finds the
pupil under 已转出学生 by name, opens the copy as it stood with the hand-over on it; the receiving
school confirms receipt naming who took the file."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.test_transfer_journey import _open_for_transfers
from tests.transfers.test_transitions import approved

pytestmark = pytest.mark.browser


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def test_sending_school_hands_the_file_over_and_keeps_its_copy(page: Page, browser_world, login, new_page, screenshot):
    world = browser_world
    _open_for_transfers(world)
    approved(world)

    login("registrar_a1")
    _nav(page).get_by_role("link", name="档案移交").click()
    page.locator("table.list tbody tr").filter(has_text="张小明").get_by_role("link", name="登记已移交").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("纸质档案移交：张小明")
    page.get_by_label("快递", exact=True).check()
    page.get_by_label("快递公司").fill("顺丰速运")
    page.get_by_role("button", name="登记已移交").click()
    field = page.locator(".field").filter(has=page.get_by_label("邮寄或快递单号"))
    expect(field.locator(".error")).to_have_text("邮寄或快递移交的，请填写单号。")
    expect(page.get_by_label("快递公司")).to_have_value("顺丰速运")
    expect(page.get_by_label("快递", exact=True)).to_be_checked()
    page.get_by_label("邮寄或快递单号").fill("SF1234567890")
    page.get_by_role("button", name="登记已移交").click()
    expect(page.locator(".messages")).to_contain_text("已登记张小明的档案已移交。")
    expect(page.locator("main")).to_contain_text("快递（顺丰速运，单号 SF1234567890）")

    # The receiving school confirms, naming who took the file.
    receiver = login("registrar_b1", target=new_page())
    receiver.goto(page.url)
    receiver.get_by_label("接收人").fill("赵会计")
    receiver.get_by_role("button", name="确认收到").click()
    expect(receiver.locator(".messages")).to_contain_text("已确认收到张小明的档案。")

    # The sending school's copy: found by name, as the record stood, with the hand-over.
    _nav(page).get_by_role("link", name="已转出学生").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("已转出学生")
    page.get_by_label("搜索").fill("小明")
    page.get_by_role("button", name="查询").click()
    row = page.locator("table.list tbody tr").filter(has_text="张小明")
    expect(row).to_contain_text("三年级（1）班")
    expect(row).to_contain_text("榆树市实验小学")
    row.get_by_role("link", name="张小明").click()
    expect(page).to_have_url(re.compile(r"/pupils/left/\d+/$"))
    main = page.locator("main")
    expect(main).to_contain_text("离校当天")
    expect(main).to_contain_text("农安县实验小学")
    expect(main).to_contain_text("快递（顺丰速运，单号 SF1234567890）")
    expect(main).to_contain_text("赵会计")
    expect(main.get_by_role("link", name="户口簿.pdf")).to_be_visible()
    screenshot(page, "left_copy")
