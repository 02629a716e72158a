"""Pinyin order as people meet it: the registrar picks a class in the pupil list's filter (named
with its school year) and reads its pupils in pinyin order; the headmaster clicks the inbox's 学生
column to have it sorted by the pupils' names."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.factories import SchoolClassFactory, make_pupil
from tests.transfers.conftest import start

pytestmark = pytest.mark.browser

# Code-point order 张 李 王 赵 阿; pinyin order 阿 李 王 张 赵.
NAMES_BY_CODE_POINT = ["张一鸣", "李二强", "王三强", "赵四海", "阿木古"]
PINYIN_ORDER = ["阿木古", "李二强", "王三强", "张一鸣", "赵四海"]


def test_a_class_reads_in_pinyin_order_and_the_inbox_sorts_by_pupil(page: Page, browser_world, login, new_page):
    world = browser_world
    school_class = SchoolClassFactory(school=world.units["a1"], grade=3, number=5)
    for name in NAMES_BY_CODE_POINT:
        make_pupil(world.units["a1"], school_class, name=name)

    login("registrar_a1")
    page.goto("/pupils/")
    page.locator("#id_school_class").select_option(label="2026学年 三年级（5）班")
    expect(page.locator("#pupil-results tbody tr")).to_have_count(5)
    names = page.locator("#pupil-results tbody tr td:nth-child(2)").all_inner_texts()
    assert names == PINYIN_ORDER

    zhang, li = start(world), start(world, "a1_other")  # 张小明 due sooner than 李晓燕
    zhang.steps.filter(position=0).update(due_at=timezone.now() + timedelta(days=1))
    li.steps.filter(position=0).update(due_at=timezone.now() + timedelta(days=9))
    headmaster = login("headmaster_b1", target=new_page())
    headmaster.goto("/inbox/")
    rows = headmaster.locator("table.inbox tbody tr")
    expect(rows.first).to_contain_text("张小明")
    headmaster.locator("table.inbox thead").get_by_role("link", name="学生").click()
    expect(headmaster.get_by_text("按学生姓名拼音排列")).to_be_visible()
    expect(rows.first).to_contain_text("李晓燕")
    expect(rows.nth(1)).to_contain_text("张小明")
