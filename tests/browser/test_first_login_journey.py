"""A new registrar's first login (issue 12): the password an admin gave, a forced change, the
authenticator enrolled by scanning the QR code on the screen (read here with zxing, as a phone
reads it), the recovery codes shown once, and then the system."""

import io
from urllib.parse import parse_qs, urlparse

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.otp import _DemoTOTP
from xueji.accounts.models import AuditEntry, Role

pytestmark = pytest.mark.django_db(transaction=True)

NEW_PASSWORD = "Lotus#pond2026x"


def _secret_from_qr(page: Page) -> str:
    """Scan the QR code as an authenticator app would: its picture, decoded, gives the
    otpauth:// address whose ``secret`` the app keeps."""
    picture = Image.open(io.BytesIO(page.locator("figure.otp-qr svg").screenshot()))
    results = zxingcpp.read_barcodes(picture)
    assert results, "the QR code could not be read"
    address = urlparse(results[0].text)
    assert address.scheme == "otpauth" and address.netloc == "totp"
    return parse_qs(address.query)["secret"][0]


def test_a_new_registrar_changes_the_password_enrols_and_keeps_the_recovery_codes(page: Page, browser_world, screenshot):
    user = UserFactory(username="registrar_new", full_name="新来的学籍员", totp=False)
    user.must_change_password = True
    user.save()
    MembershipFactory(user=user, unit=browser_world.units["a1"], role=Role.REGISTRAR)

    page.goto("/login/")
    page.get_by_label("用户名").fill("registrar_new")
    page.get_by_label("密码").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()

    # 1. The password the admin gave must be changed first.
    assert page.url.endswith("/password/")
    expect(page.get_by_text("初始密码")).to_be_visible()
    page.goto("/pupils/")  # nothing else is reachable meanwhile
    assert page.url.endswith("/password/")
    page.get_by_label("旧密码").fill(PASSWORD)
    page.get_by_label("新密码", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("新密码确认").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="保存新密码").click()

    # 2. Then the authenticator: scan the QR code, type the code the app shows.
    page.goto("/")
    assert page.url.endswith("/account/otp/enrol/")
    expect(page.get_by_role("heading", name="绑定身份验证器")).to_be_visible()
    screenshot(page, "first-login-enrol")
    secret = _secret_from_qr(page)
    assert page.locator(".otp-secret").inner_text() == secret
    page.get_by_label("动态验证码").fill(_DemoTOTP(secret).now())
    with page.expect_navigation():
        page.get_by_role("button", name="完成绑定").click()

    # 3. The recovery codes, once.
    expect(page.get_by_role("heading", name="请保存您的恢复码")).to_be_visible()
    codes = page.locator("ol.recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and len(set(codes)) == 10
    screenshot(page, "first-login-recovery-codes")
    with page.expect_navigation():
        page.get_by_role("link", name="我已保存，进入系统").click()
    page.goto("/account/otp/recovery-codes/")
    expect(page.get_by_text(codes[0])).to_have_count(0)

    # 4. The system is open, and the next login asks for the code (a recovery code works too).
    page.goto("/pupils/")
    assert page.url.endswith("/pupils/")
    with page.expect_navigation():
        page.get_by_role("button", name="退出").click()
    page.goto("/login/")
    page.get_by_label("用户名").fill("registrar_new")
    page.get_by_label("密码").fill(NEW_PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="登录").click()
    assert page.url.endswith("/login/otp/")
    page.get_by_label("动态验证码").fill(codes[3])
    with page.expect_navigation():
        page.get_by_role("button", name="验证", exact=True).click()
    page.goto("/pupils/")
    assert page.url.endswith("/pupils/")
    assert AuditEntry.objects.filter(action="otp.enrol", user=user).exists()
