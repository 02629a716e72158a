"""Data leaving the system (issue 13) in a real browser.

officer_a (农安县) opens 上报检查 and asks for the national export (the former download button now
leads to the export request's form), with its purpose; leader_a, the county's 分管领导, finds it in
待我审批 and approves it; a real Celery worker makes the file; officer_a, back on the request's
page, sees the file's SHA-256, types the code of the authenticator (computed by pyotp) and
downloads it: its first sheet is the watermark (request number, requester, time, approver), ID
numbers are masked and names kept, and its SHA-256 is the one shown. The audit admin of the county
reads the whole trail on /audit/.
"""

import hashlib
import io
import re
from pathlib import Path

import pytest
from celery.contrib.testing.worker import start_worker
from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.factories import MembershipFactory, UserFactory
from tests.otp import totp_code
from tests.xueji.exports.helpers import add_leaders
from xueji.accounts.models import Role
from xueji.celery import app

pytestmark = pytest.mark.browser


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def test_officer_asks_leader_approves_officer_downloads_auditor_reads_the_trail(
        page: Page, browser_world, media, login, new_page, screenshot):
    world = browser_world
    add_leaders(world)
    auditor = UserFactory(username="auditor_a", full_name="审计员甲")
    MembershipFactory(user=auditor, unit=world.units["county_a"], role=Role.AUDIT_ADMIN)
    officer = world.user("officer_a")
    pupil = world.pupils["a1"]

    # officer_a asks, from the readiness page's former download button.
    login("officer_a")
    _nav(page).get_by_role("link", name="上报检查").click()
    page.get_by_role("link", name="申请导出国家学籍系统格式（Excel）").click()
    expect(page.get_by_role("heading", name="申请导出：国家学籍系统上报文件")).to_be_visible()
    page.locator("#id_purpose").select_option(label="上报国家学籍系统")
    page.get_by_label("用途说明（用于什么工作、交给谁）").fill("秋季学期新生上报国家学籍系统")
    with page.expect_navigation():
        page.get_by_role("button", name="提交申请").click()
    expect(page.get_by_text("导出申请已提交")).to_be_visible()
    number = int(re.search(r"/exports/(\d+)/", page.url).group(1))
    expect(page.get_by_role("heading", name=f"数据导出 #{number}")).to_contain_text("审批中")

    # leader_a approves on the engine's page, with a worker running for the file.
    leader = new_page()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        login("leader_a", target=leader)
        _nav(leader).get_by_role("link", name="待我审批").click()
        leader.locator(f"a[href=\"/requests/{number}/\"]").first.click()
        expect(leader.get_by_text("本申请只导出脱敏数据")).to_be_visible()
        with leader.expect_navigation():
            leader.get_by_role("button", name="同意").click()
        expect(leader.get_by_text("已同意导出")).to_be_visible()

        # officer_a waits for the file on the request's page.
        for _attempt in range(60):
            page.reload()
            if page.locator(".sha256").count():
                break
            page.wait_for_timeout(500)
    shown_hash = page.locator(".sha256").inner_text().strip()
    assert re.fullmatch(r"[0-9a-f]{64}", shown_hash)
    screenshot(page, "export_request_approved")

    page.get_by_label("动态验证码（身份验证器上的 6 位数字）").fill(totp_code(officer))
    with page.expect_download() as downloaded:
        page.get_by_role("button", name="下载").click()
    content = Path(downloaded.value.path()).read_bytes()
    assert hashlib.sha256(content).hexdigest() == shown_hash

    workbook = load_workbook(io.BytesIO(content))
    assert workbook.sheetnames[0] == "导出说明"
    watermark = {row[0].value: row[1].value for row in workbook["导出说明"].iter_rows()}
    assert watermark["申请编号"] == f"数据导出 #{number}"
    assert officer.username in watermark["申请人"] and world.user("leader_a").full_name in watermark["审批人"]
    rows = [[cell.value for cell in row] for row in workbook["学生信息"].iter_rows()]
    records = [dict(zip(rows[0], row)) for row in rows[1:]]
    mine = next(r for r in records if r["*姓名"] == pupil.name)
    assert mine["身份证件号"] != pupil.id_number and "*" in mine["身份证件号"]
    assert pupil.id_number.encode() not in content

    # The audit admin of the county reads the trail.
    auditor_page = new_page()
    login("auditor_a", target=auditor_page)
    auditor_page.goto("/audit/")
    for label in ("申请导出数据", "审批数据导出", "生成导出文件", "下载导出文件"):
        expect(auditor_page.get_by_role("cell", name=label, exact=True).first).to_be_visible()
    screenshot(auditor_page, "export_audit_trail")
