"""The security admin (三员分立) in a real browser: logs in with the password and then the code of
the authenticator (pyotp, tests/otp.py), finds a sealed account by a posted search, unseals it
after confirming, and the account's user can log in again."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD
from tests.otp import totp_code
from xueji.accounts.credentials import account_seal
from xueji.accounts.models import AuditEntry, User

pytestmark = pytest.mark.browser


def _nav(page: Page):
    return page.get_by_role("navigation", name="主导航")


def test_security_admin_unseals_an_account(page: Page, base_url, browser_world, login, new_page, screenshot):
    registrar = browser_world.user("registrar_a1")
    account_seal(registrar, reason="超过 180 天未使用")

    # The sealed user is refused, and told whom to ask.
    refused = login("registrar_a1", target=new_page())
    expect(refused.get_by_role("alert")).to_contain_text("已被封存")
    expect(refused).to_have_url(re.compile(r"/login/$"))

    # The city's security admin: the password, then the second factor.
    page.goto("/login/")
    page.get_by_label("用户名").fill("secadmin")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/login/otp/$"))
    page.get_by_label("动态验证码").fill(totp_code(User.objects.get(username="secadmin")))
    with page.expect_navigation(url=base_url + "/"):
        page.get_by_role("button", name="验证", exact=True).click()
    panel = page.locator("section.panel").filter(has=page.get_by_role("heading", name="账号安全", exact=True))
    expect(panel).to_contain_text("已封存的账号")
    expect(_nav(page).get_by_role("link", name="学生", exact=True)).to_have_count(0)

    # The accounts of the city; a search posted, not put into the address.
    _nav(page).get_by_role("link", name="账号安全", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("账号安全")
    page.get_by_label("用户名或姓名").fill("registrar_a1")
    page.get_by_role("button", name="搜索").click()
    expect(page).to_have_url(re.compile(r"/security/accounts/$"))
    row = page.locator("tbody tr").filter(has_text="registrar_a1")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("已封存")
    screenshot(page, "security_accounts")

    row.get_by_role("link", name="registrar_a1").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("registrar_a1")
    expect(page.locator("main")).to_contain_text("起封存")
    screenshot(page, "security_account")
    page.get_by_role("link", name="解除封存").click()

    # The confirmation, then the action (a POST).
    expect(page.get_by_role("heading", level=1)).to_have_text("解除封存")
    expect(page.locator("main")).to_contain_text("确定解除该账号的封存吗？")
    screenshot(page, "security_unseal_confirm")
    page.get_by_role("button", name="解除封存").click()
    expect(page.locator(".messages")).to_contain_text("已为 registrar_a1 解除封存")
    expect(page.locator("main")).to_contain_text("未封存")
    assert AuditEntry.objects.filter(action="account.unseal", user__username="secadmin").exists()

    # The user logs in again: the password, then the code.
    again = login("registrar_a1", target=new_page())
    expect(again).to_have_url(base_url + "/")
    expect(again.get_by_role("heading", level=1)).to_have_text("农安县实验小学")
