"""Enrolment in a real browser: registrar_a1 downloads the year's template, fills 30 pupils,
uploads it with two deliberate errors and sees both with their rows, fixes them and uploads
again, creates a class, balances the pupils into it and submits; headmaster_a1 signs from the
inbox; officer_a approves on the batch's page; the pupils show with L numbers in the class list."""

import re
from datetime import date, timedelta
from io import BytesIO

import pytest
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from enrollment.intake.columns import COLUMNS
from enrollment.intake.models import EnrolmentEntry
from enrollment.intake.services import current_intake_year
from tests.enrollment.conftest import admit, new_pupil_row, row_cells
from xueji.accounts.models import BureauSettings
from xueji.codes import Gender
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def _fill(template: bytes, rows) -> bytes:
    workbook = load_workbook(BytesIO(template))
    sheet = workbook["学生信息"]
    for offset, row in enumerate(rows):
        cells = row_cells(row)
        for index, column in enumerate(COLUMNS, start=1):
            if column.key in cells:
                sheet.cell(row=2 + offset, column=index, value=cells[column.key])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _upload(page: Page, content: bytes) -> None:
    page.locator("#id_file").set_input_files([{"name": "一年级新生.xlsx", "mimeType": "application/octet-stream", "buffer": content}])
    page.get_by_role("button", name="上传并校验").click()


def test_registrar_imports_thirty_pupils_and_the_bureau_approves(page: Page, browser_world, login, new_page, screenshot, tmp_path):
    world = browser_world
    year = current_intake_year()
    # The windows are bureau settings: open them all year so that the journey runs on any day.
    BureauSettings.objects.create(bureau=world.units["county_a"], enrolment_collect_start="01-01", enrolment_collect_end="12-31",
                                  enrolment_submit_start="01-01", enrolment_submit_end="12-31")
    first_day = date(year - 7, 9, 1)
    rows = [new_pupil_row(i + 2, gender=(Gender.MALE, Gender.FEMALE)[i % 2], birth=first_day + timedelta(days=11 * i))
            for i in range(30)]
    admit(world.units["a1"], rows, by=world.user("officer_a"), year=year)

    login("registrar_a1")
    _nav(page).get_by_role("link", name="新生建籍").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("新生建籍")
    with page.expect_download() as download:
        page.get_by_role("link", name=re.compile("下载.*新生信息模板")).click()
    template = (tmp_path / "template.xlsx")
    download.value.save_as(template)

    rows[3].data["ethnicity"] = "99"        # row 5: not an ethnicity code
    rows[10].guardians[0]["phone"] = ""     # row 12: guardian 1 incomplete
    _upload(page, _fill(template.read_bytes(), rows))
    expect(page.locator(".callout-error")).to_contain_text("全部未导入")
    errors = page.locator("table.errors tbody tr")
    expect(errors).to_have_count(2)
    expect(errors.nth(0)).to_contain_text("第 5 行")
    expect(errors.nth(0)).to_contain_text("民族")
    expect(errors.nth(1)).to_contain_text("第 12 行")
    expect(errors.nth(1)).to_contain_text("成员1联系电话")
    expect(page.get_by_role("link", name="下载标注了错误的文件")).to_be_visible()
    screenshot(page, "enrolment_upload_errors")

    rows[3].data["ethnicity"] = "01"
    rows[10].guardians[0]["phone"] = "13900000000"
    page.get_by_role("link", name="返回新生建籍").click()
    _upload(page, _fill(template.read_bytes(), rows))
    expect(page.locator(".callout-ok")).to_contain_text("30 名新生已登记")

    page.get_by_role("link", name="返回新生建籍").click()
    page.get_by_role("button", name="建班").click()
    expect(page.locator(".messages")).to_contain_text("已新建 1 个班级")
    page.get_by_role("button", name="一键均衡分班").click()
    expect(page.locator(".messages")).to_contain_text("已将 30 名新生均衡分到 1 个班级")
    expect(page.get_by_text("一年级（1）班：30/45 人")).to_be_visible()
    screenshot(page, "enrolment_home")
    page.get_by_role("button", name="上报 30 名新生").click()
    # The confirmation (issue 14): how many go up, per class; nothing sent before 确认上报.
    expect(page.get_by_role("heading", level=1)).to_contain_text("确认上报新生")
    expect(page.locator("table.list")).to_contain_text("30 人")
    screenshot(page, "enrolment_submit_confirm")
    page.get_by_role("button", name="确认上报 30 名新生").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    expect(page.locator(".messages")).to_contain_text("等待新生学籍校长审核")

    headmaster = login("headmaster_a1", target=new_page())
    _nav(headmaster).get_by_role("link", name="待我审批").click()
    row = headmaster.locator("table.inbox tbody tr").filter(has_text="新生 30 人")
    expect(row).to_have_count(1)
    row.get_by_role("checkbox").check()
    headmaster.get_by_role("button", name="同意所选申请").click()
    # The confirmation (issue 14): what will be signed, nothing decided before 确认.
    expect(headmaster.get_by_role("heading", level=1)).to_have_text("确认同意所选申请")
    headmaster.get_by_role("button", name="确认同意 1 项申请").click()
    expect(headmaster.locator(".messages")).to_contain_text("已同意 1 项申请。")

    officer = login("officer_a", target=new_page())
    _nav(officer).get_by_role("link", name="新生建籍").click()
    officer.get_by_role("link", name=re.compile(r"#\d+")).first.click()
    expect(officer.locator("table.list tbody tr")).to_have_count(30)
    screenshot(officer, "enrolment_batch_bureau")
    officer.get_by_role("button", name="同意", exact=True).click()
    expect(officer.locator(".messages")).to_contain_text("学籍已建立")

    school_class = world.units["a1"].classes.get(grade=1, number=1)
    page.goto(f"/pupils/?school_class={school_class.pk}")
    listed = page.locator("table.list tbody tr")
    expect(listed).to_have_count(30)
    expect(listed.first).to_contain_text(re.compile(r"L\d{6}"))
    assert Pupil.objects.filter(school_class=school_class, student_number__startswith="L").count() == 30


def test_registrar_types_a_pupil_into_the_grouped_form_on_a_phone(page: Page, browser_world, login):
    """The browser form at 375 px: the national form's groups as fieldsets, nothing wider than the
    screen, 上下学距离 under 交通方式 with the decimal keypad, a grandmother who is no guardian."""
    world = browser_world
    year = current_intake_year()
    BureauSettings.objects.create(bureau=world.units["county_a"], enrolment_collect_start="01-01", enrolment_collect_end="12-31",
                                  enrolment_submit_start="01-01", enrolment_submit_end="12-31")
    row = new_pupil_row(birth=date(year - 7, 10, 1))
    admit(world.units["a1"], [row], by=world.user("officer_a"), year=year)
    page.set_viewport_size({"width": 375, "height": 800})
    login("registrar_a1")
    page.goto("/enrolment/entries/new/?grade=1")
    for group in ("基本信息", "辅助信息", "学籍信息", "联系信息", "扩展信息", "交通方式", re.compile("^成员1"), re.compile("^成员2")):
        expect(page.get_by_role("group", name=group)).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    cells = {key: value for key, value in row_cells(row).items() if not key.startswith("guardian2_")}
    for key, value in cells.items():
        field = page.locator(f"#id_{key}")
        if field.evaluate("element => element.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    transport = page.get_by_role("group", name="交通方式")
    distance = transport.get_by_label("上下学距离")
    expect(distance).to_have_attribute("inputmode", "decimal")
    distance.fill("3.5")
    member = page.get_by_role("group", name=re.compile("^成员2"))
    member.get_by_label("成员2关系", exact=True).select_option("62")
    member.get_by_label("成员2姓名", exact=True).fill("王桂芝")
    member.get_by_label("成员2是否监护人").select_option("否")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator(".messages")).to_contain_text(f"已保存新生 {row.data['name']}")
    entry = EnrolmentEntry.objects.get(school=world.units["a1"])
    assert entry.data["school_bus"] is True and [g["is_guardian"] for g in entry.guardians] == [True, False]
