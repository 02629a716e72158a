"""What the users of 学籍 see in a real browser: login, each role's home page, finding a pupil,
reading the record, masking and the scoping of other counties' records."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD
from tests.otp import totp_code

pytestmark = pytest.mark.browser


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def test_login_wrong_password_home_and_logout(page: Page, base_url, browser_world, login, screenshot):
    registrar = browser_world.user("registrar_a1")
    page.goto("/login/")
    expect(page.locator("html")).to_have_attribute("lang", "zh-Hans")
    expect(page).to_have_title("登录 · 学籍")
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    expect(page.get_by_text("请使用单位分配的账号登录。")).to_be_visible()
    expect(page.get_by_label("用户名")).to_be_focused()
    expect(_nav(page)).to_have_count(0)
    screenshot(page, "login")

    login("registrar_a1", "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("用户名或密码不正确。")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_label("用户名")).to_have_value("registrar_a1")
    expect(page.get_by_label("密码")).to_have_value("")
    expect(page.get_by_label("密码")).to_be_focused()  # the user name is kept: retype the password

    # The right password leads to the second step: the code the authenticator app shows.
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/login/otp/$"))
    expect(page).to_have_title("动态验证码 · 学籍")
    expect(page.get_by_role("heading", level=1)).to_have_text("动态验证码")
    expect(page.get_by_label("动态验证码")).to_be_focused()
    screenshot(page, "login_otp")
    page.get_by_label("动态验证码").fill(totp_code(registrar))
    page.get_by_role("button", name="验证", exact=True).click()
    expect(page).to_have_url(base_url + "/")
    expect(page).to_have_title("首页 · 学籍")
    expect(page.get_by_role("heading", level=1)).to_have_text("农安县实验小学")
    expect(_nav(page).get_by_role("link", name="首页", exact=True)).to_be_visible()
    expect(_nav(page).get_by_role("link", name="学生", exact=True)).to_be_visible()
    expect(_nav(page).get_by_role("link", name="首页")).to_have_attribute("aria-current", "page")
    expect(page.locator(".who")).to_contain_text(registrar.full_name)
    expect(page.locator(".who")).to_contain_text("农安县实验小学 · 学籍管理员")
    expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
    expect(page.get_by_role("alert")).to_have_count(0)
    screenshot(page, "home_registrar_a1")

    page.get_by_role("button", name="退出").click()
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")
    expect(_nav(page)).to_have_count(0)

    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("登录")


# username → (heading of the home page, role shown in the top bar, a panel title,
#              texts that panel shows, texts the page must not show)
HOMES = {
    "registrar_a1": ("农安县实验小学", "学籍管理员", "待办事项", ["在籍在校学生", "未分班的在校学生"], ["辖区学校"]),
    "headmaster_a1": ("农安县实验小学", "校长", "待办事项", ["在籍在校学生", "待处理的问题学籍"], ["辖区学校"]),
    "teacher_a1": ("农安县实验小学", "班主任", "我的班级", ["三年级（1）班", "1 人"], ["三年级（2）班", "未分班的在校学生"]),
    "registrar_a2": ("农安县第一中学", "学籍管理员", "待办事项", ["在籍在校学生"], ["辖区学校"]),
    "officer_a": ("农安县教育局", "县级教育局学籍管理员", "辖区学校", ["农安县实验小学", "合隆镇陈家店小学"], ["榆树市实验小学"]),
    "officer_b": ("榆树市教育局", "县级教育局学籍管理员", "辖区学校", ["榆树市实验小学", "榆树市第二中学"], ["农安县实验小学"]),
    "registrar_b1": ("榆树市实验小学", "学籍管理员", "待办事项", ["在籍在校学生"], ["辖区学校"]),
    "central_a3": ("合隆镇中心校", "中心校学籍管理员", "辖区学校", ["合隆镇陈家店小学"], ["农安县实验小学"]),
    "city_officer": ("长春市教育局", "市级教育局学籍管理员", "辖区学校", ["农安县实验小学", "榆树市实验小学"], []),
    # The three admins (三员分立) of the city, each with its own work.
    "sysadmin": ("长春市教育局", "系统管理员", "系统管理", ["单位与学校", "用户与任职", "节假日与调休"], ["辖区学校", "审计日志"]),
    "secadmin": ("长春市教育局", "安全管理员", "账号安全", ["登录被锁定的账号", "未绑定身份验证器的账号", "授予和收回角色"],
                 ["辖区学校"]),
    "auditor": ("长春市教育局", "审计管理员", "审计日志", ["今天的审计记录", "查看和导出审计日志"], ["辖区学校"]),
}
# Each admin's own entry in the navigation.
ADMIN_NAV = {"sysadmin": "系统管理", "secadmin": "账号安全", "auditor": "审计日志"}


def test_each_user_lands_on_its_home_page(page: Page, base_url, browser_world, login, screenshot):
    """One world for the twelve users (building and emptying one costs more than twelve logins), one
    after the other with the cookies cleared between them; every user is checked and the failures
    are reported together."""
    failures = []
    for username, (heading, role, panel_title, shown, not_shown) in HOMES.items():
        try:
            with page.expect_navigation(url=base_url + "/") as navigation:
                login(username)
            assert navigation.value.status == 200, f"status {navigation.value.status}"
            expect(page).to_have_title("首页 · 学籍")
            expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            expect(page.locator(".who .name")).to_have_text(browser_world.user(username).full_name)
            expect(page.locator(".who .role")).to_contain_text(role)
            panel = page.locator("section.panel").filter(has=page.get_by_role("heading", name=panel_title, exact=True))
            expect(panel).to_be_visible()
            for text in shown:
                expect(panel).to_contain_text(text)
            for text in not_shown:
                expect(page.locator("main")).not_to_contain_text(text)
            pupils_link = _nav(page).get_by_role("link", name="学生", exact=True)
            if username in ADMIN_NAV:
                # The admins manage the system and read no pupils' records.
                expect(pupils_link).to_have_count(0)
                expect(_nav(page).get_by_role("link", name=ADMIN_NAV[username], exact=True)).to_be_visible()
            else:
                expect(pupils_link).to_be_visible()
            if username == "officer_a":
                # The audit log is the audit admin's alone (三员分立): bureau officers no longer read it.
                expect(_nav(page).get_by_role("link", name="审计日志")).to_have_count(0)
                screenshot(page, "home_officer_a")
        except AssertionError as error:
            failures.append(f"{username}: {str(error).splitlines()[0]}")
        finally:
            page.context.clear_cookies()
    assert not failures, "\n".join(failures)


def test_registrar_finds_a_pupil_and_reads_the_record(page: Page, browser_world, login, screenshot):
    pupil = browser_world.pupils["a1"]
    login("registrar_a1")
    _nav(page).get_by_role("link", name="学生", exact=True).click()
    expect(page).to_have_url(re.compile(r"/pupils/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("学生")
    results = page.locator("#pupil-results")
    expect(results).to_contain_text("共 2 名学生")
    expect(results.locator("tbody tr")).to_have_count(2)
    screenshot(page, "pupil_list")

    # Search as you type: htmx swaps the results in place and puts the query into the URL.
    page.evaluate("window.__same_document = true")
    page.get_by_label("搜索").press_sequentially("张小")
    expect(page).to_have_url(re.compile(r"/pupils/\?q=%E5%BC%A0%E5%B0%8F"))
    expect(results).to_contain_text("共 1 名学生")
    expect(results.locator("tbody tr")).to_have_count(1)
    expect(results.get_by_role("link", name="张小明")).to_be_visible()
    expect(results.locator("tbody")).to_contain_text(pupil.student_number)
    assert page.evaluate("window.__same_document") is True, "the search reloaded the whole page"

    # A grade the pupil is not in: nothing; the pupil's grade: the pupil again.
    page.get_by_label("年级").select_option(label="四年级")
    expect(page).to_have_url(re.compile(r"grade=4"))
    expect(results).to_contain_text("没有符合条件的学生。")
    page.get_by_label("年级").select_option(label="三年级")
    expect(page).to_have_url(re.compile(r"grade=3"))
    expect(results.get_by_role("link", name="张小明")).to_be_visible()
    assert page.evaluate("window.__same_document") is True, "the filter reloaded the whole page"

    results.get_by_role("link", name="张小明").click()
    expect(page).to_have_url(re.compile(rf"/pupils/{pupil.pk}/$"))
    expect(page).to_have_title("张小明 · 学籍")
    expect(page.get_by_role("heading", level=1)).to_contain_text("张小明")
    expect(page.get_by_role("heading", level=1)).to_contain_text(pupil.student_number)
    for section in ("基本信息", "联系信息", "扩展信息", "家庭成员", "学籍号", "学籍状态变动", "信息变更记录"):
        expect(page.get_by_role("heading", name=section, exact=True)).to_be_visible()
    expect(page.locator(".record-head")).to_contain_text("农安县实验小学 · 三年级 · 三年级（1）班 · 在籍在校")
    expect(page.locator("section", has=page.get_by_role("heading", name="家庭成员")).locator("h3")).to_have_count(2)
    screenshot(page, "pupil_detail")

    page.get_by_label("查看某日的记录").fill("2020-01-01")
    page.get_by_role("button", name="查看").click()
    expect(page).to_have_url(re.compile(r"\?as_of=2020-01-01$"))
    expect(page.get_by_role("alert")).to_have_text(re.compile(r"^2020年0?1月0?1日时该学生尚未建立学籍。$"))
    expect(page.get_by_role("link", name="回到当前")).to_be_visible()
    # The current record is still shown under the message.
    expect(page.get_by_role("heading", level=1)).to_contain_text("张小明")


def _id_number_cell(page: Page):
    # The pupil's own (the family members' are in the 家庭成员 section).
    return page.locator(".national-group dt", has_text=re.compile(r"^身份证件号$")).locator("xpath=following-sibling::dd[1]")


def test_id_number_masked_for_head_teacher_full_for_registrar(page: Page, browser_world, login, new_page):
    pupil = browser_world.pupils["a1"]
    masked_id = pupil.id_number[:4] + "*" * 10 + pupil.id_number[-4:]
    login("teacher_a1")
    expect(page.get_by_role("heading", level=1)).to_have_text("农安县实验小学")
    page.goto(f"/pupils/{pupil.pk}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("张小明")
    expect(_id_number_cell(page)).to_contain_text("****")
    expect(_id_number_cell(page)).to_have_text(masked_id)
    # Nowhere in full: not in the G 学籍号 either, which is "G" + the ID number.
    expect(page.get_by_role("heading", level=1)).to_contain_text("G" + masked_id)
    expect(page.locator("main")).not_to_contain_text(pupil.id_number)
    # Guardians' ID numbers are not the head teacher's business at all (xueji/pupils/visibility.py).
    for guardian in pupil.guardians.all():
        expect(page.locator("main")).not_to_contain_text(guardian.id_number)
        expect(page.locator("main")).not_to_contain_text(guardian.id_number[:4] + "*" * 10 + guardian.id_number[-4:])
    expect(page.get_by_text(re.compile(r"^本组另有 \d+ 项仅学籍管理员、校长和县教育局可见。$")).first).to_be_visible()
    page.goto("/pupils/")
    expect(page.locator("#pupil-results tbody tr")).to_have_count(1)  # the head teacher's class only
    expect(page.locator("#pupil-results")).to_contain_text("G" + masked_id)
    expect(page.locator("main")).not_to_contain_text(pupil.id_number)

    registrar_page = login("registrar_a1", target=new_page())
    expect(registrar_page.get_by_role("heading", level=1)).to_have_text("农安县实验小学")
    registrar_page.goto(f"/pupils/{pupil.pk}/")
    expect(_id_number_cell(registrar_page)).to_have_text(pupil.id_number)
    expect(registrar_page.get_by_role("heading", level=1)).to_contain_text(pupil.student_number)
    for guardian in pupil.guardians.all():
        expect(registrar_page.locator("main")).to_contain_text(guardian.id_number)
    expect(registrar_page.get_by_role("heading", name="联系信息")).to_be_visible()
    expect(registrar_page.locator("main")).not_to_contain_text("仅学籍管理员、校长和县教育局可见")


def test_other_countys_pupil_is_not_found(page: Page, browser_world, login):
    login("registrar_a1")
    expect(page.get_by_role("heading", level=1)).to_have_text("农安县实验小学")
    other_county = browser_world.pupils["b1"]
    response = page.goto(f"/pupils/{other_county.pk}/")
    assert response.status == 404
    expect(page).to_have_title("没有找到 · 学籍")
    expect(page.get_by_role("heading", level=1)).to_have_text("没有找到")
    expect(page.get_by_text("您要找的页面或记录不存在，或者您无权查看。")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text(other_county.name)
    # A record that does not exist at all looks the same: nothing tells the two apart.
    response = page.goto("/pupils/999999999/")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text("没有找到")
    page.get_by_role("link", name="返回首页").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("农安县实验小学")
