"""The school year and its reports in a real browser (issue 6).

- 毕业: on 12 July 2027 (graduation open since 1 July, requests to be cleared by 15 July, graduation
  by 31 July) registrar_a1 opens 毕业 and finds the school blocked by a sixth-grader's pending
  休学; headmaster_a1 follows the countdown's link to the request and sends it back; the registrar
  prints the 毕业生名册 (核对稿, a worker prints it, downloaded from its job's page) for the headmaster
  to sign, checks the list, ticks the box and graduates the three enrolled sixth-graders (the
  suspended, dropped out and abroad stay listed).
- 升级: registrar_a1 opens 升级 → the school's plan, builds next year's classes, adds a third
  fourth-grade class and sends 三年级（2）班 there; the headmaster reads the mapping, and on the
  promotion date the pupil moves up into the class chosen.
- 统计 and 月报: officer_a opens 统计 (the county's figures, the charts), downloads the
  spreadsheet, opens October's 月报 the system generated on 1 November, prints its PDF and
  generates a new version.

The clock is frozen (the live server runs in this process, so the frozen clock is its clock too)
and ticks, as in the other journeys."""

import io
import re
from datetime import date, datetime
from urllib.parse import unquote
from zoneinfo import ZoneInfo

import pytest
import time_machine
from celery.contrib.testing.worker import start_worker
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from reports.models import MonthlyReport
from reports.services import monthly_reports_generate
from schoolyear import services as schoolyear_services
from schoolyear.models import Graduation
from tests.factories import SchoolClassFactory, make_pupil
from tests.pdfs import pdf_words
from tests.reports.conftest import AFTER_OCTOBER, OCTOBER, add_october
from tests.schoolyear.conftest import at, pending_suspension, with_status
from xueji.accounts.models import User
from xueji.approvals.models import ChangeRequest, RequestStatus
from xueji.celery import app
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser

SHANGHAI = ZoneInfo("Asia/Shanghai")
JULY_12 = date(2027, 7, 12)  # three days before the clearing date, nineteen before the deadline
IN_JULY = datetime(2027, 7, 12, 9, 30, tzinfo=SHANGHAI)
AUGUST_10 = date(2027, 8, 10)  # the promotion date
IN_NOVEMBER = datetime(2026, 11, 5, 9, 30, tzinfo=SHANGHAI)  # October's reports are out


def _passwords_changed_lately():
    """The world's accounts are made today: in July their passwords would be past the 90 days the
    bureau allows, and logging in would ask for new ones first (xueji/accounts/gate.py)."""
    User.objects.update(password_changed_at=timezone.now())


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def _messages(page: Page):
    return page.locator(".messages")


def _printed_by_worker(page: Page, button):
    """Clicks a document's button with a real Celery worker running: the job's page follows the
    worker's progress until it offers 下载; the file, fetched in the same session."""
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        button.click()
        expect(page).to_have_url(re.compile(r"/documents/jobs/\d+/$"))
        download = page.get_by_role("link", name="下载")
        expect(download).to_be_visible(timeout=60_000)
    response = page.request.get(download.get_attribute("href"))
    assert response.status == 200
    return response


def _sixth_grade(world):
    """As tests/schoolyear/conftest.py's sixth_grade: A1's 六年级（1）班 with three enrolled
    pupils, one suspended, one dropped out, one abroad."""
    world.classes["a1_6_1"] = SchoolClassFactory(school=world.units["a1"], grade=6, number=1)
    grade6 = {}
    for name, status in (("毕业甲", None), ("毕业乙", None), ("毕业丙", None), ("休学丁", PupilStatus.SUSPENDED),
                         ("辍学戊", PupilStatus.DROPPED_OUT), ("出国己", PupilStatus.ABROAD)):
        pupil = make_pupil(world.units["a1"], world.classes["a1_6_1"], name=name)
        grade6[name] = with_status(pupil, status) if status else pupil
    world.grade6 = grade6
    return world


def test_a_pending_request_is_cleared_and_the_registrar_graduates_the_sixth_grade(
    page: Page, browser_world, login, new_page, screenshot
):
    world = _sixth_grade(browser_world)
    school = world.units["a1"]
    with at(JULY_12):
        request = pending_suspension(world, world.grade6["毕业乙"])

    with time_machine.travel(IN_JULY):
        _passwords_changed_lately()
        # The countdown: the school is blocked by 毕业乙's 休学, three days before the clearing date.
        login("registrar_a1")
        _nav(page).get_by_role("link", name="毕业", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("2026—2027学年 · 今天 2027-07-12")
        expect(page.locator(".callout-action")).to_contain_text("有 1 所学校的毕业年级还有 1 项变动申请未办结")
        row = page.locator("tbody tr").filter(has_text=school.name)
        expect(row).to_have_count(1)
        expect(row.locator("td").nth(1)).to_have_text("6 年级")
        expect(row.locator("td").nth(2)).to_have_text("3")
        for listed in ("休学 1", "辍学 1", "出国 1"):  # in no particular order
            expect(row.locator("td").nth(3)).to_contain_text(listed)
        expect(row.get_by_role("link", name=f"毕业乙：休学 #{request.pk}")).to_be_visible()
        expect(row.locator("td").nth(5)).to_have_text(re.compile(r"^07-15\s*还剩 3 天$"))
        expect(row.locator("td").nth(6)).to_have_text(re.compile(r"^07-31\s*还剩 19 天$"))
        expect(row.locator("td").nth(8)).to_have_text("有待办业务，不能办理毕业")
        screenshot(page, "graduation_countdown_blocked")

        # The school's page says why it cannot graduate, and offers no way to.
        row.get_by_role("link", name=school.name).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"毕业办理 {school.name} · 六年级")
        expect(page.locator(".callout .error")).to_have_text("还有 1 项变动申请未办结：须在 2027-07-15 前撤回或办结。")
        expect(page.locator("section", has_text="未办结的变动申请（1 项）")).to_contain_text("毕业乙")
        expect(page.get_by_role("link", name=re.compile("核对名单，办理毕业"))).to_have_count(0)

        # The headmaster follows the countdown's link to the request and sends it back.
        headmaster = login("headmaster_a1", target=new_page())
        _nav(headmaster).get_by_role("link", name="毕业", exact=True).click()
        headmaster.get_by_role("link", name=f"毕业乙：休学 #{request.pk}").click()
        expect(headmaster).to_have_url(re.compile(rf"/requests/{request.pk}/$"))
        expect(headmaster.get_by_role("heading", level=1)).to_contain_text("审批中")
        headmaster.get_by_label(re.compile("^意见")).fill("毕业年级学生，毕业后再办理休学")
        headmaster.get_by_role("button", name="退回").click()
        expect(_messages(headmaster)).to_contain_text("已退回。")
        expect(headmaster.get_by_role("heading", level=1)).to_contain_text("已退回")
        _nav(headmaster).get_by_role("link", name="毕业", exact=True).click()
        expect(headmaster.locator("tbody tr").filter(has_text=school.name).locator("td").nth(8)).to_have_text("可以办理毕业")

        # The registrar prints the list for the headmaster to sign.
        page.reload()
        expect(page.locator(".callout .error")).to_have_count(0)
        expect(page.locator("section", has_text="待毕业的在籍在校学生（3 人）")).to_contain_text("毕业丙")
        expect(page.locator("section", has_text="不办理毕业的学生（3 人）")).to_contain_text("出国己")
        # Printed by a worker: the button leads to the job's page, which offers 下载.
        graduation_page = page.url
        draft_button = page.get_by_role("button", name="打印毕业生名册（核对稿，供校长签字）")
        expect(draft_button).to_be_visible()
        draft = _printed_by_worker(page, draft_button)
        assert draft.headers["content-type"] == "application/pdf"
        text = pdf_words(draft.body())
        assert "2026—2027学年毕业生名册（核对稿）" in text and "请校长核对名单并签字" in text
        for name in world.grade6:
            assert name in text, name
        assert "不办理毕业的学生（3人" in text and "校长签字" in text

        # Then checks the list once more, ticks and graduates.
        page.goto(graduation_page)
        page.get_by_role("link", name="核对名单，办理毕业（3 人）").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("确认办理毕业")
        expect(page.locator(".callout-action")).to_contain_text("以下 3 名在籍在校学生将办理小学毕业")
        expect(page.locator(".callout-action")).to_contain_text("生效日期 2027-07-12")
        expect(page.locator("section", has_text="不办理毕业（3 人）")).to_contain_text("休学丁")
        confirm = page.get_by_role("button", name="确认办理毕业（3 人）")
        checked = page.get_by_label("我已核对毕业名单和未办理毕业的学生名单")
        # Not ticked: the browser does not send the form (the box is required).
        confirm.click()
        assert checked.evaluate("box => box.validity.valueMissing")
        expect(page.locator(".form-alert")).to_have_count(0)
        assert not Graduation.objects.exists()
        checked.check()
        screenshot(page, "graduation_confirm")
        confirm.click()
        expect(_messages(page)).to_contain_text("已为 3 名学生办理毕业。")
        expect(page).to_have_url(re.compile(rf"/schoolyear/graduation/{school.pk}/$"))
        graduated = page.locator("section", has_text="已办理毕业（3 人）")
        expect(graduated).to_contain_text("2027-07-12：3 人毕业")
        expect(graduated).to_contain_text("未办理毕业 3 人")
        for name in ("毕业甲", "毕业乙", "毕业丙"):
            expect(graduated.get_by_role("link", name=name)).to_be_visible()
        expect(page.get_by_role("button", name="打印毕业生名册", exact=True)).to_be_visible()
        screenshot(page, "graduation_done")

        _nav(page).get_by_role("link", name="毕业", exact=True).click()
        row = page.locator("tbody tr").filter(has_text=school.name)
        expect(row.locator("td").nth(7)).to_have_text("3")
        expect(row.locator("td").nth(8)).to_have_text("已办理毕业")

    assert ChangeRequest.objects.get(pk=request.pk).status == RequestStatus.REJECTED
    graduation = Graduation.objects.get()
    assert (graduation.count, graduation.graduated_on, graduation.late) == (3, JULY_12, False)
    statuses = {name: Pupil.objects.get(pk=p.pk).status for name, p in world.grade6.items()}
    assert statuses == {"毕业甲": PupilStatus.GRADUATED, "毕业乙": PupilStatus.GRADUATED, "毕业丙": PupilStatus.GRADUATED,
                        "休学丁": PupilStatus.SUSPENDED, "辍学戊": PupilStatus.DROPPED_OUT, "出国己": PupilStatus.ABROAD}


def test_registrar_plans_next_years_classes_and_the_promotion_follows_the_plan(
    page: Page, browser_world, login, new_page, screenshot
):
    world = browser_world
    school = world.units["a1"]

    with time_machine.travel(IN_JULY):
        _passwords_changed_lately()
        login("registrar_a1")
        _nav(page).get_by_role("link", name="升级", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("升级 今天 2027-07-12")
        expect(page.locator("main")).to_contain_text("2026—2027学年的学生将于 2027-08-10 升入 2027—2028学年。")
        page.locator("tr", has_text=school.name).get_by_role("link", name="明年班级和升级对应").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(
            f"明年班级和升级对应 {school.name} · 2026—2027学年 → 2027—2028学年")
        next_classes = page.locator("section", has_text="明年的班级")
        expect(next_classes).to_contain_text("还没有建明年的班级。")

        # Next year's classes, by this year's numbers, and one more fourth-grade class.
        page.get_by_role("button", name="按今年的班号建好明年的班级").click()
        expect(_messages(page)).to_contain_text("已新建明年班级 2 个。")
        expect(next_classes.locator("h2")).to_have_text("明年的班级（2 个）")
        expect(next_classes).to_contain_text("四年级（1）班、四年级（2）班")
        page.get_by_label("新增明年班级：").select_option(label="四年级")
        page.get_by_role("button", name="新增一个班").click()
        expect(_messages(page)).to_contain_text("四年级（3）班")
        expect(next_classes.locator("h2")).to_have_text("明年的班级（3 个）")

        # 三年级（2）班 goes to the new class; 三年级（1）班 keeps its number.
        first = page.get_by_label("三年级（1）班升入")
        second = page.get_by_label("三年级（2）班升入")
        expect(first.locator("option:checked")).to_have_text("相同班号：四年级（1）班")
        second.select_option(label="四年级（3）班")
        page.get_by_role("button", name="保存升级对应").click()
        expect(_messages(page)).to_contain_text("升级班级对应已保存（修改 1 项）。")
        expect(page.get_by_label("三年级（2）班升入").locator("option:checked")).to_have_text("四年级（3）班")
        expect(page.get_by_label("三年级（1）班升入").locator("option:checked")).to_have_text("相同班号：四年级（1）班")
        screenshot(page, "promotion_plan_saved")

        # The headmaster reads the plan, and cannot change it.
        headmaster = login("headmaster_a1", target=new_page())
        _nav(headmaster).get_by_role("link", name="升级", exact=True).click()
        headmaster.locator("tr", has_text=school.name).get_by_role("link", name="明年班级和升级对应").click()
        plan = headmaster.locator("form.card tbody")
        expect(plan.locator("tr", has_text="三年级（1）班")).to_contain_text("四年级（1）班（相同班号）")
        expect(plan.locator("tr", has_text="三年级（2）班").locator("td").nth(2)).to_have_text("四年级（3）班")
        expect(headmaster.get_by_role("button", name="保存升级对应")).to_have_count(0)
        expect(headmaster.locator("select")).to_have_count(0)

    # On the promotion date the pupils move up where the plan says.
    with at(AUGUST_10):
        schoolyear_services.promotion_daily()
    moved = {key: Pupil.objects.select_related("school_class__school_year").get(pk=world.pupils[key].pk)
             for key in ("a1", "a1_other")}
    assert {key: (p.grade, p.school_class.name, p.school_class.school_year.start_year) for key, p in moved.items()} == {
        "a1": (4, "四年级（1）班", 2027), "a1_other": (4, "四年级（3）班", 2027)}


def test_county_officer_reads_statistics_and_the_monthly_report(page: Page, browser_world, login, screenshot):
    world = add_october(browser_world)
    # The scheduler's run of 1 November: October's report of every reporting unit.
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        monthly_reports_generate(month=OCTOBER)
    county = world.units["county_a"]

    with time_machine.travel(IN_NOVEMBER):
        login("officer_a")
        # 统计: the county today, by school, with its charts.
        _nav(page).get_by_role("link", name="统计", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"在籍学生统计 {county.name} · 截至 2026-11-05")
        on_roll = page.locator("dl.figures > div", has=page.locator("dt", has_text=re.compile("^在籍$")))
        expect(on_roll.locator("dd")).to_have_text("7")
        # By school, the first column is 在籍: A1 4 (出国己 is abroad, still on the roll), A2 1, A3 2.
        by_school = page.locator("section", has=page.get_by_role("heading", name="按学校", exact=True))
        for name, count in ((world.units["a1"].name, "4"), (world.units["a2"].name, "1"), ("合隆镇陈家店小学", "2"),
                            ("合计", "7")):
            expect(by_school.locator("tbody tr", has=page.locator("th", has_text=name)).locator("td").first).to_have_text(count)
        expect(by_school).not_to_contain_text("榆树市")
        chart = page.get_by_role("img", name=f"{county.name}在籍人数（按学校）")
        expect(chart).to_be_visible()
        expect(chart.locator("rect")).to_have_count(3)
        expect(page.locator("section#status svg.chart")).to_be_visible()
        expect(page.locator("section#status")).to_contain_text("辍学")
        screenshot(page, "statistics_county")

        # The spreadsheet of the page: printed by a worker, the job's page offers 下载.
        spreadsheet = _printed_by_worker(page, page.get_by_role("button", name="导出 Excel（本页全部表格）"))
        assert f"在籍学生统计-{county.name}-20261105.xlsx" in unquote(spreadsheet.headers["content-disposition"])
        workbook = load_workbook(io.BytesIO(spreadsheet.body()))
        cells = {str(cell.value) for sheet in workbook.worksheets for row in sheet.iter_rows() for cell in row
                 if cell.value is not None}
        assert world.units["a1"].name in cells and "合隆镇陈家店小学" in cells
        assert not any("榆树市" in value for value in cells)

        # 月报: October's reports of the county's units, then the county's own.
        _nav(page).get_by_role("link", name="月报", exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("学籍变动月报 2026年10月")
        row = page.locator("tbody tr").filter(has=page.get_by_role("link", name=county.name, exact=True))
        expect(row.locator("td")).to_have_text(["县级教育局", "7", "2", "2", "7", "一致", "第1版", re.compile("^2026-11-01"),
                                                "PDF · Excel"])
        for name in (world.units["a1"].name, "合隆镇中心校", "合隆镇陈家店小学"):
            expect(page.locator("tbody")).to_contain_text(name)
        expect(page.locator("tbody")).not_to_contain_text("榆树市")
        row.get_by_role("link", name=county.name, exact=True).click()
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{county.name} 2026年10月学籍变动月报 第1版")
        expect(page.locator(".lead")).to_contain_text("统计期间 2026-10-01 至 2026-10-31")
        expect(page.locator(".lead")).to_contain_text("由系统自动生成")
        screenshot(page, "monthly_report_county")

        report_page = page.url
        report = _printed_by_worker(page, page.get_by_role("button", name="打印（PDF）"))
        assert report.ok and report.headers["content-type"] == "application/pdf"
        text = pdf_words(report.body())
        for words in ("2026年10月学籍变动月报表", f"填报单位：{county.name}", "统计期间：2026-10-01至2026-10-31",
                      "月初在籍7人+增加2人−减少2人=7人；月末在籍7人。一致", "负责人签字"):
            assert words in text, words

        # A new version from the records as they stand (the first stays).
        page.goto(report_page)
        page.get_by_label("重新生成的原因（可不填）").fill("核对后重新生成")
        page.get_by_role("button", name="按当前记录重新生成（含下属单位）").click()
        expect(_messages(page)).to_contain_text("已重新生成2026年10月学籍变动月报")
        expect(page.get_by_role("heading", level=1)).to_contain_text(f"{county.name} 2026年10月学籍变动月报 第2版")
        expect(page.locator(".lead")).to_contain_text("核对后重新生成")
        expect(page.locator("ul.versions").get_by_role("link", name="第1版")).to_be_visible()

    assert MonthlyReport.objects.filter(unit=county, month=OCTOBER).count() == 2
