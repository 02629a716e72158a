"""降级 in a real browser: registrar_a1 finds the third-grader with a hearing disability, chooses
申请降级 on the pupil's page, picks a second-grade class (only classes of the grade below with room
are offered), gives the reason, the guardian's written request and the disability certificate;
headmaster_a1 signs it from 待我审批, officer_a approves on the request's page, and the record
shows the second grade. Before that, the pupil list's 残疾学生就读方式 filter lists the pupil taught
at home as such. The clock is frozen (the live server runs in this process)."""

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from playwright.sync_api import Page, expect

from tests.special_education.conftest import make_special, second_grade
from tests.transfers.conftest import PDF
from xueji.codes import DisabilityPlacement
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.browser

GUARDIAN_REQUEST = {"name": "监护人降级申请.pdf", "mimeType": "application/pdf", "buffer": PDF}
CERTIFICATE = {"name": "残疾证.pdf", "mimeType": "application/pdf", "buffer": PDF}
FILED = datetime(2026, 10, 12, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))


def test_registrar_asks_a_grade_down_and_the_bureau_approves_it(page: Page, browser_world, login, new_page, screenshot):
    world = browser_world
    pupil = make_special(world.pupils["a1"])
    make_special(world.pupils["a1_other"], placement=DisabilityPlacement.HOME_TEACHING)
    target = second_grade(world)

    with time_machine.travel(FILED):
        login("registrar_a1")
        page.goto("/pupils/")
        page.get_by_label("残疾学生就读方式").select_option(label="送教上门")
        expect(page.locator("#pupil-results")).to_contain_text("共 1 名学生")
        expect(page.locator("#pupil-results tbody tr")).to_have_count(1)
        expect(page.locator("#pupil-results tbody tr")).to_contain_text("（送教上门）")

        page.goto(f"/pupils/{pupil.pk}/")
        page.get_by_role("link", name="申请降级").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("申请降级")
        classes = page.get_by_label(re.compile("^降级编入班级"))
        expect(classes.locator("option")).to_have_text(["请选择班级", "二年级（1）班"])
        classes.select_option(label="二年级（1）班")
        page.get_by_label(re.compile("^申请理由")).fill("听力障碍，跟不上三年级的课程")
        page.get_by_label("父母或其他监护人的书面申请").set_input_files([GUARDIAN_REQUEST])
        page.get_by_label(re.compile("^证明材料")).set_input_files([CERTIFICATE])
        page.get_by_role("button", name="提交申请").click()
        expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
        request_url = page.url
        expect(page.locator(".messages")).to_contain_text("降级申请已提交")
        expect(page.get_by_role("heading", level=1)).to_contain_text("降级")
        screenshot(page, "grade_down_started")

        headmaster = login("headmaster_a1", target=new_page())
        headmaster.get_by_role("navigation", name="主导航").get_by_role("link", name="待我审批").click()
        row = headmaster.locator("table.inbox tbody tr").filter(has_text=pupil.name)
        expect(row).to_contain_text("降级：三年级 → 二年级")
        row.get_by_role("checkbox").check()
        headmaster.get_by_role("button", name="同意所选申请").click()
        # Batch signing asks for a confirmation first.
        expect(headmaster.get_by_role("heading", level=1)).to_have_text("确认同意所选申请")
        headmaster.get_by_role("button", name="确认同意 1 项申请").click()
        expect(headmaster.locator(".messages")).to_contain_text("已同意 1 项申请。")

        officer = login("officer_a", target=new_page())
        officer.goto(request_url)
        officer.get_by_role("button", name="同意", exact=True).click()
        expect(officer.get_by_role("heading", level=1)).to_contain_text("已通过")

        page.goto(f"/pupils/{pupil.pk}/")
        expect(page.locator("main")).to_contain_text("二年级（1）班")
        screenshot(page, "grade_down_record")
    moved = Pupil.objects.get(pk=pupil.pk)
    assert (moved.grade, moved.school_class_id) == (2, target.pk)
