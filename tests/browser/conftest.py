"""Browser journeys: Playwright driving the system's chromium against pytest-django's live server.

One chromium serves the whole session; each test has its own browser context (its own cookies).
The live server answers in another thread, so each test builds the world with real commits
(``live_server`` gives the test transactional access); pytest-django empties the tables after
it, and post_migrate puts the divisions back (xueji.apps.ensure_divisions).
"""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.conftest import World, build_world
from tests.factories import PASSWORD
from tests.otp import totp_code
from xueji.accounts.models import User

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    # Without these chromium keeps calling home, which on a closed network only floods it.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Full-page PNGs for people to look at; .data/ is not in git.
SCREENSHOTS = Path(__file__).resolve().parents[2] / ".data" / "screenshots"


@pytest.fixture(scope="session")
def playwright(playwright):
    """pytest-playwright's, closing Django's connections before Playwright stops.

    Playwright's sync API keeps an asyncio loop running in this thread; meanwhile asgiref's
    Local, which holds Django's connections, hands the tests connection objects of their own.
    Once Playwright stops Django no longer sees them, and their open sessions would keep the
    test database from being dropped."""
    from django.db import connections

    yield playwright
    connections.close_all()


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install -y chromium (make test installs it)")
    # Headless unless pytest is run with --headed.
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server):
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {
        **browser_context_args,
        "locale": "zh-CN",
        "timezone_id": "Asia/Shanghai",
        "viewport": {"width": 1280, "height": 800},
    }


@pytest.fixture
def browser_world(live_server, transactional_db) -> World:
    """The world of tests/conftest.py, committed, so that the live server's thread sees it."""
    return build_world()


@pytest.fixture
def login(page: Page):
    """Sign in through the login pages as a named user: the password, then (on /login/otp/, for
    those asked) the code their authenticator shows (tests/otp.py). Returns the page once the last
    form's answer has loaded; a wrong password leaves it on the login page."""

    def _login(username: str, password: str = PASSWORD, target: Page | None = None) -> Page:
        target = target or page
        target.goto("/login/")
        target.get_by_label("用户名").fill(username)
        target.get_by_label("密码").fill(password)
        with target.expect_navigation():
            target.get_by_role("button", name="登录").click()
        if OTP_PAGE.search(target.url):
            enter_code(target, username)
        return target

    return _login


OTP_PAGE = re.compile(r"/login/otp/$")


def enter_code(page: Page, username: str) -> Page:
    """On the second factor's page: type the user's current code and submit it."""
    page.get_by_label("动态验证码").fill(totp_code(User.objects.get(username=username)))
    with page.expect_navigation():
        page.get_by_role("button", name="验证", exact=True).click()
    return page


@pytest.fixture
def new_page(browser, browser_context_args):
    """A page in a context of its own (its own cookies): a second user at the same time."""
    contexts = []

    def _new_page() -> Page:
        context = browser.new_context(**browser_context_args)
        contexts.append(context)
        return context.new_page()

    yield _new_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def screenshot():
    """Save a full-page PNG of what the user sees, by name, into .data/screenshots/."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def _screenshot(page: Page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return _screenshot
