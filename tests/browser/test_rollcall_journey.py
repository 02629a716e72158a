"""学籍核查 in a real browser: teacher_a1 calls the roll of the own class (one pupil absent without
a reason, the rest present at once, a child found on no list), submits it; registrar_a1 sees the
class done, the child waiting for late registration with the link to 补建, the absence listed as a
suspected dropout, records what was done and prints the school's report (a worker prints it, the
job's page offers 下载)."""

import re
from datetime import timedelta

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from playwright.sync_api import Page, expect

from archives.rollcall.models import RollCall
from tests.factories import make_pupil
from tests.pdfs import pdf_words
from xueji.celery import app
from xueji.pupils.models import Semester

pytestmark = pytest.mark.browser


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def test_head_teacher_calls_the_roll_and_the_registrar_sees_the_result(page: Page, browser_world, login, new_page, screenshot):
    world = browser_world
    today = timezone.localdate()
    # The semester of the world's classes started three days ago: its audit window is open.
    Semester.objects.create(school_year=world.classes["a1_3_1"].school_year, term=Semester.Term.FIRST,
                            start_date=today - timedelta(days=3), end_date=today + timedelta(days=120))
    make_pupil(world.units["a1"], world.classes["a1_3_1"], name="陈二")

    login("teacher_a1")
    _nav(page).get_by_role("link", name="学籍核查").click()
    page.get_by_role("link", name="点名核查").click()
    page.get_by_role("button", name="开始点名").click()
    expect(page.locator(".messages")).to_contain_text("已开始点名")
    row = page.locator("tr", has_text="张小明")
    row.get_by_role("radio", name="缺席").check()
    page.get_by_label("张小明的缺席原因").select_option(label="无故缺席（原因不明）")
    page.get_by_label("张小明的说明").fill("开学至今未到校")
    page.get_by_role("button", name="其余未点名的学生全部记为在校").click()
    expect(page.locator(".messages")).to_contain_text("点名结果已保存")
    page.get_by_label("姓名").fill("王小虎")
    page.get_by_label(re.compile("说明（何时来校")).fill("9月随父母从外省来")
    page.get_by_role("button", name="添加").click()
    expect(page.locator("main")).to_contain_text("王小虎")
    screenshot(page, "rollcall_teacher_before_submit")
    page.get_by_role("button", name="提交核查结果").click()
    expect(page.locator(".messages")).to_contain_text("学籍核查结果已提交")
    expect(page.locator(".lead")).to_contain_text("已完成")
    assert RollCall.objects.get().status == "done"

    registrar = login("registrar_a1", target=new_page())
    _nav(registrar).get_by_role("link", name="学籍核查").click()
    expect(registrar.locator(".lead")).to_contain_text("已完成 1 个")
    unlisted = registrar.locator("section", has_text="在校无学籍").locator("tr", has_text="王小虎")
    expect(unlisted).to_contain_text("9月随父母从外省来")
    expect(registrar.get_by_role("link", name="去补建学籍")).to_have_attribute("href", "/enrolment/late/")
    expect(registrar.locator("section", has_text="无故缺席：疑似辍学")).to_contain_text("张小明")
    screenshot(registrar, "rollcall_registrar_school")
    unlisted.get_by_label("王小虎的处理情况").fill("已于本月申请补建学籍")
    unlisted.get_by_role("button", name="已处理").click()
    expect(registrar.locator(".messages")).to_contain_text("已记录王小虎的处理情况")
    expect(registrar.locator("section", has_text="在校无学籍")).to_contain_text("已处理：已于本月申请补建学籍")

    # The report, for the headmaster to sign: a worker prints it, the job's page offers 下载.
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        registrar.get_by_role("button", name="打印核查报告（PDF）").click()
        expect(registrar).to_have_url(re.compile(r"/documents/jobs/\d+/$"))
        download = registrar.get_by_role("link", name="下载")
        expect(download).to_be_visible(timeout=60_000)
    report = registrar.request.get(download.get_attribute("href"))
    assert report.ok and report.headers["content-type"] == "application/pdf"
    text = pdf_words(report.body())
    for words in ("学籍核查报告", world.units["a1"].name, "王小虎", "已于本月申请补建学籍", "张小明", "校长签字"):
        assert words in text, words


def test_the_page_says_when_the_class_changed_and_each_button_does_its_own_thing(page: Page, browser_world, login):
    """The page as stored: a pupil moved into the class is announced, not listed, until 更新名单;
    Enter in a note saves (it does not remove a child on no list); 删除 removes that child only."""
    from archives.rollcall import services as rollcall
    from xueji.pupils.services import pupil_move

    world = browser_world
    today = timezone.localdate()
    Semester.objects.create(school_year=world.classes["a1_3_1"].school_year, term=Semester.Term.FIRST,
                            start_date=today - timedelta(days=3), end_date=today + timedelta(days=120))
    teacher, school_class = world.user("teacher_a1"), world.classes["a1_3_1"]
    roll_call = rollcall.rollcall_open(actor=teacher, school_class=school_class, today=today)
    rollcall.rollcall_unlisted_add(actor=teacher, roll_call=roll_call, name="王小虎", today=today)
    pupil_move(actor=None, pupil=world.pupils["a1_other"], school=world.units["a1"], school_class=school_class,
               effective_date=today, reason="调班")

    login("teacher_a1")
    page.goto(f"/archives/rollcalls/classes/{school_class.pk}/")
    expect(page.locator("#list-changed")).to_contain_text("李晓燕在本班，但不在名单上")
    expect(page.locator("table")).not_to_contain_text("李晓燕")
    page.get_by_role("button", name="更新名单").click()
    expect(page.locator(".messages")).to_contain_text("名单已更新：新增 1 人（李晓燕）")
    expect(page.locator("table")).to_contain_text("李晓燕")

    page.locator("tr", has_text="张小明").get_by_role("radio", name="在校").check()
    page.get_by_label("张小明的说明").fill("按时到校")
    page.get_by_label("张小明的说明").press("Enter")
    expect(page.locator(".messages")).to_contain_text("点名结果已保存")
    assert roll_call.entries.filter(name="王小虎").exists()
    assert roll_call.entries.get(name="张小明").note == "按时到校"

    page.locator("tr", has_text="王小虎").get_by_role("button", name="删除").click()
    expect(page.locator(".messages")).to_contain_text("已删除名单外学生王小虎")
    assert sorted(e.name for e in roll_call.entries.all()) == ["张小明", "李晓燕"]
