"""Issue 12 in a real browser: the pages under the Content-Security-Policy (no inline script, no
inline style). What used to be inline script now comes from static/js/app.js and still works — the
role switcher, the school and semester drop-downs, the 全选 boxes, the confirmations, the import's
progress —, htmx searches, Swagger UI and the admin draw themselves, and chromium reports no
violation of the policy on any of these pages."""

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from enrollment.intake.models import EnrolmentImport
from tests.transfers.conftest import start
from xueji.accounts.models import Membership, Role
from xueji.pupils.models import Semester

pytestmark = pytest.mark.browser


@pytest.fixture
def violations(page: Page) -> list[str]:
    """What chromium says about the policy (it logs each refusal as a console error), and any
    script error."""
    found = []
    page.on("console", lambda message: found.append(message.text) if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: found.append(f"script error: {error}"))
    return found


@pytest.fixture
def sign_in(login):
    """The login page, and the second factor's page for those who are asked for a code."""

    def _sign_in(page: Page, username: str) -> Page:
        login(username, target=page)
        page.wait_for_load_state()
        if "/login/otp/" in page.url:
            from tests.otp import totp_code
            from xueji.accounts.models import User

            page.locator("input[name=code]").fill(totp_code(User.objects.get(username=username)))
            page.get_by_role("button", name="验证").click()
        expect(page.get_by_role("button", name="退出")).to_be_visible()
        return page

    return _sign_in


def test_a_registrars_pages_work_without_inline_script(page: Page, browser_world, sign_in, violations):
    world = browser_world
    registrar = world.user("registrar_a1")
    headmaster = Membership.objects.create(user=registrar, unit=world.units["a1"], role=Role.HEADMASTER)
    school_year = world.classes["a1_3_1"].school_year
    today = timezone.localdate()
    first = Semester.objects.create(school_year=school_year, term=Semester.Term.FIRST,
                                    start_date=today - timedelta(days=120), end_date=today - timedelta(days=5))
    second = Semester.objects.create(school_year=school_year, term=Semester.Term.SECOND,
                                     start_date=today - timedelta(days=3), end_date=today + timedelta(days=120))
    upload = EnrolmentImport.objects.create(
        school=world.units["a1"], intake_year=today.year, grade=1, file_name="新生.xlsx", file_sha256="0" * 64,
        content=b"", status=EnrolmentImport.Status.RUNNING, progress=40, total_rows=300, uploaded_by=registrar,
    )
    sign_in(page, "registrar_a1")
    expect(page.locator("link[href='/static/css/app.css']")).to_have_count(1)

    # The pupil list's search box: htmx asks for the results as the registrar types.
    page.goto("/pupils/")
    expect(page.locator("#pupil-results")).to_contain_text("李晓燕")
    page.get_by_label("搜索").fill("张小明")
    expect(page.locator("#pupil-results")).not_to_contain_text("李晓燕")
    expect(page.locator("#pupil-results")).to_contain_text("张小明")
    expect(page).to_have_url(re.compile(r"/pupils/\?q="))

    # The roll-call's semester: choosing one shows it (a page load, no button).
    page.goto("/archives/rollcalls/")
    expect(page.locator("#semester-pick")).to_have_value(str(second.pk))
    page.locator("#semester-pick").select_option(str(first.pk))
    expect(page).to_have_url(re.compile(rf"semester={first.pk}"))
    expect(page.locator("#semester-pick")).to_have_value(str(first.pk))

    # The import's progress: polled, then the page reloads with the result.
    page.goto(f"/enrolment/imports/{upload.pk}/")
    expect(page.locator("#import-progress .progress-text")).to_have_text("40%")
    EnrolmentImport.objects.filter(pk=upload.pk).update(progress=70)
    expect(page.locator("#import-progress .progress-text")).to_have_text("70%")
    EnrolmentImport.objects.filter(pk=upload.pk).update(progress=100, status=EnrolmentImport.Status.DONE,
                                                        created_count=300)
    expect(page.locator(".callout-ok")).to_contain_text("导入成功：300 名新生已登记")

    # The role switcher: a new choice is sent at once.
    page.goto("/")
    page.locator("#role-switch").select_option(str(headmaster.pk))
    page.wait_for_load_state()
    expect(page.locator("#role-switch")).to_have_value(str(headmaster.pk))

    # Swagger UI (its start script a file of its own) draws the API.
    page.goto("/api/docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible(timeout=20_000)

    assert violations == []


def test_select_all_and_the_confirmation_work_without_inline_script(page: Page, browser_world, sign_in, new_page,
                                                                     violations):
    world = browser_world
    first = start(world, "a1")
    start(world, "a1_other", to_class="b1_3_1")

    # The receiving school's headmaster decides first: 全选 ticks and unticks every request.
    sign_in(page, "headmaster_b1")
    page.goto("/inbox/")
    boxes = page.locator("input[name=request]")
    expect(boxes).to_have_count(2)
    page.get_by_label("全选").check()
    for index in range(2):
        expect(boxes.nth(index)).to_be_checked()
    page.get_by_label("全选").uncheck()
    for index in range(2):
        expect(boxes.nth(index)).not_to_be_checked()
    assert violations == []

    # The starter withdraws, after a confirmation: "cancel" keeps the request, "OK" withdraws it.
    registrar = sign_in(new_page(), "registrar_b1")
    registrar_violations = []
    registrar.on("console", lambda m: registrar_violations.append(m.text) if "Content Security Policy" in m.text else None)
    registrar.goto(f"/requests/{first.pk}/")
    questions = []

    def answer(dialog, accept: bool):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    registrar.once("dialog", lambda dialog: answer(dialog, False))
    registrar.get_by_role("button", name="撤回申请").click()
    expect(registrar.get_by_role("button", name="撤回申请")).to_be_visible()
    registrar.once("dialog", lambda dialog: answer(dialog, True))
    registrar.get_by_role("button", name="撤回申请").click()
    expect(registrar.locator(".messages")).to_contain_text("申请已撤回。")
    assert questions == ["确定撤回这项申请吗？", "确定撤回这项申请吗？"]
    first.refresh_from_db()
    assert first.status == "withdrawn"
    assert registrar_violations == []


def test_the_admin_works_under_the_policy(page: Page, browser_world, sign_in, violations):
    sign_in(page, browser_world.user("admin").username)  # the system administrator
    page.goto("/admin/")
    expect(page.locator("#content")).to_be_visible()
    link = page.locator("#content a[href^='/admin/'][href$='/']").filter(has_not_text="增加").first
    link.click()
    expect(page.locator("#changelist, #content-main")).to_be_visible()
    assert violations == []
