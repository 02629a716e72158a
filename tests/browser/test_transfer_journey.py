"""A transfer across counties in a real browser: the receiving school's registrar looks the pupil
up, picks a class of the pupil's grade and starts it with a proof (once refused, the file kept),
the four parties of the chain each find it in 待我审批 and approve it (one by signing from
the inbox, the others on the request's page), the pupil moves to the receiving school and arrives,
and the 转学联系函 prints every decision.
And a rejection: a reason is required, and the registrar corrects and resubmits."""

import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from tests.conftest import World
from tests.pdfs import pdf_words
from tests.transfers.conftest import PDF, start
from xueji.accounts.models import BureauSettings

pytestmark = pytest.mark.browser

PROOF = {"name": "户口簿.pdf", "mimeType": "application/pdf", "buffer": PDF}
# The chain of a transfer from county A's school into county B's: (label, unit, who decides).
CHAIN = [
    ("转入学校校长审核", "榆树市实验小学", "headmaster_b1"),
    ("转入地榆树市教育局审批", "榆树市教育局", "officer_b"),
    ("转出学校校长审核", "农安县实验小学", "headmaster_a1"),
    ("转出地农安县教育局审批", "农安县教育局", "officer_a"),
]


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def _steps(page: Page):
    return page.locator("ol.timeline > li")


def _open_for_transfers(world: World) -> None:
    """Transfers pause every year from 07-15 to 08-14: on those days the receiving county's bureau
    moves its pause out of the way, so that the journey can run on any day of the year."""
    today = f"{timezone.localdate():%m-%d}"
    if "07-15" <= today <= "08-14":
        BureauSettings.objects.create(bureau=world.units["county_b"], transfer_pause_start="01-01", transfer_pause_end="01-01")


def _inbox_row(page: Page, pupil_name: str):
    _nav(page).get_by_role("link", name="待我审批").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("待我审批")
    row = page.locator("table.inbox tbody tr").filter(has_text=pupil_name)
    expect(row).to_have_count(1)
    expect(row.get_by_role("link", name="转学")).to_be_visible()
    expect(row).to_contain_text("户籍或住所迁移")
    expect(row).to_contain_text(re.compile(r"\d+ 个工作日|今天到期"))
    return row


def test_transfer_across_counties_from_start_to_arrival(page: Page, base_url, browser_world, login, new_page, screenshot):
    world = browser_world
    _open_for_transfers(world)
    pupil = world.pupils["a1"]

    # The receiving school's registrar starts the transfer (two steps, no script: chromium reports
    # no refusal of the Content-Security-Policy on the way).
    violations = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    login("registrar_b1")
    expect(page.get_by_role("heading", level=1)).to_have_text("榆树市实验小学")
    _nav(page).get_by_role("link", name="转学", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("转学与出境")
    page.get_by_role("link", name="发起转入申请").click()
    expect(page).to_have_url(re.compile(r"/transfers/new/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("发起转入申请")
    # First the pupil: 学籍号 and name; the form then shows the grade and the classes with room.
    expect(page.get_by_label("转入班级")).to_have_count(0)
    page.get_by_label("学籍号或身份证件号").fill(pupil.student_number)
    page.get_by_label("学生姓名").fill(pupil.name)
    page.get_by_role("button", name="查找学生").click()
    found = page.locator("dl.found-pupil")
    expect(found).to_contain_text(pupil.name)
    expect(found).to_contain_text("三年级")
    expect(found).to_contain_text("农安县实验小学")
    expect(page.get_by_label("转入班级").locator("option")).to_have_text(["请选择班级", "三年级（1）班"])
    page.get_by_label("情况说明").fill("随父母迁居榆树市")
    page.get_by_label("转入班级").select_option(label="三年级（1）班")
    page.locator("input[type=file][name=files]").set_input_files([PROOF])
    # Forgot the grounds: the form comes back with the error, the rest kept, the file too.
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/transfers/new/$"))
    grounds_field = page.locator(".field").filter(has=page.get_by_label("转学理由"))
    expect(grounds_field.locator(".error")).to_have_text("请选择转学理由。")
    expect(page.locator(".form-alert")).not_to_contain_text("需要重新选择")
    expect(page.locator(".form-alert")).to_contain_text("已上传的证明材料已保存，无需重新选择")
    expect(page.locator(".kept-files")).to_contain_text("户口簿.pdf")
    expect(page.get_by_label("情况说明")).to_have_value("随父母迁居榆树市")
    expect(page.get_by_label("转入班级").locator("option:checked")).to_have_text("三年级（1）班")
    screenshot(page, "transfer_start_error")

    page.get_by_label("转学理由").select_option(label="户籍或住所迁移")
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    assert violations == []
    request_url = page.url
    expect(page.locator(".messages")).to_contain_text("转学申请已提交，等待转入学校校长审核。")
    expect(page.get_by_role("heading", level=1)).to_contain_text("转学")
    expect(page.get_by_role("heading", level=1)).to_contain_text("审批中")
    expect(page.locator("main")).to_contain_text("由农安县实验小学转入榆树市实验小学三年级（1）班，理由：户籍或住所迁移")
    expect(page.get_by_role("link", name="户口簿.pdf")).to_be_visible()
    steps = _steps(page)
    expect(steps).to_have_count(len(CHAIN))
    for step, (label, unit, _) in zip(steps.all(), CHAIN):
        expect(step).to_contain_text(label)
        expect(step).to_contain_text(unit)
    expect(steps.nth(0)).to_contain_text("待审批")
    expect(steps.nth(0)).to_contain_text(re.compile(r"剩余 \d+ 个工作日"))
    for index in (1, 2, 3):
        expect(steps.nth(index)).to_contain_text("未开始")
    # The starter may withdraw until the first decision, and decides nothing.
    expect(page.get_by_role("button", name="撤回申请")).to_be_visible()
    expect(page.get_by_role("button", name="同意")).to_have_count(0)

    # The four parties approve in turn, each in a browser of their own.
    for position, (label, unit, username) in enumerate(CHAIN):
        decider = world.user(username)
        approver = login(username, target=new_page())
        expect(approver.get_by_role("heading", level=1)).to_be_visible()
        row = _inbox_row(approver, pupil.name)
        expect(row).to_contain_text(label)
        if username == "officer_b":
            # A bureau officer signs from the inbox: tick the request, 同意所选申请.
            screenshot(approver, "inbox_officer_b")
            row.get_by_role("checkbox").check()
            approver.get_by_label("意见").fill("同意转入")
            approver.get_by_role("button", name="同意所选申请").click()
            # The confirmation (issue 14): what will be signed, nothing decided before 确认.
            expect(approver.get_by_role("heading", level=1)).to_have_text("确认同意所选申请")
            expect(approver.locator("main")).to_contain_text("同意转入")
            approver.get_by_role("button", name="确认同意 1 项申请").click()
            expect(approver.locator(".messages")).to_contain_text("已同意 1 项申请。")
            expect(approver.locator("table.inbox tbody tr").filter(has_text=pupil.name)).to_have_count(0)
            expect(approver.get_by_text("没有等待您审批的申请。")).to_be_visible()
            approver.goto(request_url)
        else:
            row.get_by_role("link", name="转学").click()
            expect(approver).to_have_url(request_url)
            expect(approver.get_by_role("heading", name=f"审批：{label}")).to_be_visible()
            expect(approver.get_by_role("button", name="撤回申请")).to_have_count(0)
            if username == "headmaster_a1":
                screenshot(approver, "transfer_request_middle")
            approver.get_by_role("button", name="同意", exact=True).click()
            expect(approver.locator(".messages")).to_contain_text("已同意。")
        decided = _steps(approver).nth(position)
        expect(decided).to_contain_text("已同意")
        expect(decided).to_contain_text(decider.full_name)
        expect(approver.get_by_role("button", name="同意", exact=True)).to_have_count(0)
        if position + 1 < len(CHAIN):
            expect(_steps(approver).nth(position + 1)).to_contain_text("待审批")
            expect(approver.get_by_role("heading", level=1)).to_contain_text("审批中")
        approver.context.close()

    # The end: approved, every step approved with who decided; the pupil is in school B1.
    page.goto(request_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("已通过")
    for step, (label, _, username) in zip(_steps(page).all(), CHAIN):
        expect(step).to_contain_text(label)
        expect(step).to_contain_text("已同意")
        expect(step).to_contain_text(world.user(username).full_name)
    expect(_steps(page).nth(1)).to_contain_text("同意转入")  # the comment given when signing
    expect(page.get_by_role("button", name="撤回申请")).to_have_count(0)
    arrive = page.get_by_role("link", name="确认学生报到")
    expect(arrive).to_be_visible()
    screenshot(page, "transfer_request_done")

    _nav(page).get_by_role("link", name="学生", exact=True).click()
    expect(page.locator("#pupil-results").get_by_role("link", name=pupil.name)).to_be_visible()
    sender = login("registrar_a1", target=new_page())
    expect(sender.get_by_role("heading", level=1)).to_have_text("农安县实验小学")
    _nav(sender).get_by_role("link", name="学生", exact=True).click()
    expect(sender.locator("#pupil-results")).to_contain_text(world.pupils["a1_other"].name)
    expect(sender.locator("#pupil-results")).not_to_contain_text(pupil.name)

    # The pupil arrives: the receiving registrar confirms it, in the class asked for.
    page.goto(request_url)
    page.get_by_role("link", name="确认学生报到").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("确认报到")
    expect(page.get_by_label("编入班级").locator("option:checked")).to_have_text("三年级（1）班")
    page.get_by_role("button", name="确认已报到").click()
    expect(page).to_have_url(request_url)
    expect(page.locator(".messages")).to_contain_text(f"{pupil.name}已报到。")
    expect(page.get_by_role("link", name="确认学生报到")).to_have_count(0)
    expect(page.locator("main")).to_contain_text("报到日期")

    # The 转学联系函, printed from the request's page: every unit's decision in its box.
    letter_link = page.get_by_role("link", name="打印转学联系函")
    letter = page.context.request.get(letter_link.get_attribute("href"))
    assert letter.ok and letter.headers["content-type"] == "application/pdf"
    words = pdf_words(letter.body())
    assert "转学联系函" in words and words.count("系统审批记录：同意") == len(CHAIN) and "待审批" not in words
    for _, unit, username in CHAIN:
        assert unit in words and world.user(username).full_name in words
    assert "同意转入" in words and f"核验码：{letter.headers['x-document-code']}" in words
    application = page.context.request.get(page.get_by_role("link", name="打印转学申请表").get_attribute("href"))
    assert application.ok and "转学申请表" in pdf_words(application.body())


def test_reject_needs_a_reason_then_the_registrar_resubmits(page: Page, browser_world, login, new_page, screenshot):
    world = browser_world
    _open_for_transfers(world)
    pupil = world.pupils["a1"]
    request = start(world)
    request_url = f"/requests/{request.pk}/"

    headmaster = login("headmaster_b1", target=new_page())
    expect(headmaster.get_by_role("heading", level=1)).to_have_text("榆树市实验小学")
    _inbox_row(headmaster, pupil.name).get_by_role("link", name="转学").click()
    headmaster.get_by_role("button", name="退回").click()
    expect(headmaster.locator("#decide .errors")).to_contain_text("退回申请时必须填写理由")
    expect(headmaster.get_by_role("heading", level=1)).to_contain_text("审批中")
    expect(_steps(headmaster).nth(0)).to_contain_text("待审批")
    headmaster.get_by_label("意见").fill("户口簿页缺失，请补充")
    headmaster.get_by_role("button", name="退回").click()
    expect(headmaster.locator(".messages")).to_contain_text("已退回。")
    expect(headmaster.get_by_role("heading", level=1)).to_contain_text("已退回")

    login("registrar_b1")
    expect(page.get_by_role("heading", level=1)).to_have_text("榆树市实验小学")
    page.goto(request_url)
    expect(page.get_by_role("heading", level=1)).to_contain_text("已退回")
    expect(page.locator(".callout")).to_contain_text("退回理由：户口簿页缺失，请补充")
    expect(_steps(page).nth(0)).to_contain_text("已退回")
    expect(_steps(page).nth(0)).to_contain_text("户口簿页缺失，请补充")
    expect(_steps(page).nth(0)).to_contain_text(world.user("headmaster_b1").full_name)
    for index in (1, 2, 3):
        expect(_steps(page).nth(index)).to_contain_text("已取消")
    screenshot(page, "transfer_request_rejected")
    page.get_by_role("link", name="修改后重新提交").click()
    expect(page).to_have_url(re.compile(rf"/transfers/new/\?resubmit={request.pk}$"))
    expect(page.locator("main")).to_contain_text(f"修改被退回的申请 #{request.pk} 后重新提交")
    expect(page.locator("dl.found-pupil")).to_contain_text(pupil.name)
    expect(page.get_by_label("转学理由").locator("option:checked")).to_have_text("户籍或住所迁移")
    expect(page.get_by_label("情况说明")).to_have_value("随父母迁居")
    expect(page.get_by_label("转入班级").locator("option:checked")).to_have_text("三年级（1）班")
    page.locator("input[type=file][name=files]").set_input_files([PROOF, {**PROOF, "name": "户口簿-户主页.pdf"}])
    page.get_by_role("button", name="提交申请").click()
    expect(page).to_have_url(re.compile(r"/requests/\d+/$"))
    assert page.url != request_url
    expect(page.get_by_role("heading", level=1)).to_contain_text("审批中")
    expect(page.locator("main")).to_contain_text(f"这是对 #{request.pk} 修改后重新提交的申请")
    expect(page.get_by_role("link", name="户口簿-户主页.pdf")).to_be_visible()
