"""Issue 14, phones: at 768 px and below the navigation folds behind the menu button (static/js/
app.js; templates/base.html), and the ten pages people use most fit a 375 px phone: the page never
scrolls sideways (wide tables scroll inside their own box) and no number, code or date is broken
across two lines (Chinese text wraps between characters, as it should)."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.transfers.conftest import start

pytestmark = pytest.mark.browser

PHONE = {"width": 375, "height": 812}

# Every run of eight or more letters, digits and the marks inside codes and dates (学籍号, ID
# numbers, 2026-09-01, 13:45:07) in the page's text: where one of them sits on two lines, a word
# was broken in the middle. Hidden text has no boxes and is skipped.
BROKEN_WORDS = """() => {
  const broken = [];
  const pattern = /[0-9A-Za-z][0-9A-Za-z*:\\-]{7,}/g;
  const walker = document.createTreeWalker(document.querySelector("main"), NodeFilter.SHOW_TEXT);
  let node;
  while ((node = walker.nextNode())) {
    const text = node.textContent;
    pattern.lastIndex = 0;
    let match;
    while ((match = pattern.exec(text))) {
      const range = document.createRange();
      range.setStart(node, match.index);
      range.setEnd(node, match.index + match[0].length);
      const lines = new Set(Array.from(range.getClientRects()).filter(r => r.width > 0).map(r => Math.round(r.bottom)));
      if (lines.size > 1) broken.push(match[0]);
    }
  }
  return broken;
}"""


@pytest.fixture
def phone(browser, browser_context_args, login):
    """A page of its own at 375 px, signed in as ``username``."""
    contexts = []

    def _phone(username: str) -> Page:
        context = browser.new_context(**{**browser_context_args, "viewport": PHONE})
        contexts.append(context)
        return login(username, target=context.new_page())

    yield _phone
    for context in contexts:
        context.close()


def assert_fits(page: Page, url: str, screenshot, name: str) -> None:
    page.goto(url)
    expect(page.locator("main")).to_be_visible()
    assert page.locator("main h1").count() >= 1, f"{url}: not the page asked for ({page.url})"
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, f"phone_{name}")
    assert width <= PHONE["width"], f"{url} is {width} px wide at 375 px"
    assert page.evaluate(BROKEN_WORDS) == [], f"{url}: words broken across lines"


def test_the_ten_pages_people_use_most_fit_a_phone(browser_world, phone, screenshot):
    world = browser_world
    transfer = start(world)  # into B1: headmaster_b1 decides it first
    pupil = world.pupils["a1"]
    school_class = world.classes["a1_3_1"]
    a1 = world.units["a1"]

    registrar = phone("registrar_a1")
    for name, url in (
        ("home", "/"),
        ("pupil_list", "/pupils/"),
        ("pupil_page", f"/pupils/{pupil.pk}/"),
        ("enrolment_upload", "/enrolment/"),
        ("cards", f"/schools/{a1.pk}/cards/"),
        ("roster", f"/pupils/?school_class={school_class.pk}"),
    ):
        assert_fits(registrar, url, screenshot, name)

    headmaster = phone("headmaster_b1")
    assert_fits(headmaster, "/inbox/", screenshot, "inbox")
    assert_fits(headmaster, f"/requests/{transfer.pk}/", screenshot, "request")

    assert_fits(phone("registrar_b1"), "/transfers/new/", screenshot, "transfer_start")
    assert_fits(phone("officer_a"), "/statistics/", screenshot, "statistics")


def test_the_menu_button_folds_the_navigation_on_a_phone(browser_world, phone, page: Page, login):
    small = phone("registrar_a1")
    small.goto("/")
    nav = small.get_by_role("navigation", name="主导航")
    button = small.get_by_role("button", name="菜单")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(nav).to_be_visible()
    expect(nav.get_by_role("link", name="学生", exact=True)).to_be_visible()
    expect(small.get_by_role("button", name="退出")).to_be_visible()
    assert small.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    nav.get_by_role("link", name="学生", exact=True).click()
    expect(small).to_have_url(re.compile(r"/pupils/$"))
    expect(small.get_by_role("navigation", name="主导航")).to_be_hidden()  # a new page starts folded
    small.get_by_role("button", name="菜单").click()
    small.keyboard.press("Escape")
    expect(small.get_by_role("navigation", name="主导航")).to_be_hidden()

    # On a wide screen the whole navigation shows and there is no menu button.
    login("registrar_a1")
    page.goto("/")
    expect(page.get_by_role("button", name="菜单")).to_be_hidden()
    wide = page.get_by_role("navigation", name="主导航")
    expect(wide).to_be_visible()
    for label in ("首页", "学生", "变动申请", "打印学籍卡"):
        expect(wide.get_by_role("link", name=label, exact=True)).to_be_visible()


def test_without_scripts_the_navigation_stays_unfolded_on_a_phone(browser_world, browser, browser_context_args, login):
    """A browser that runs no script cannot work the menu button: static/css/nojs.css (in
    <noscript>) hides it and leaves the navigation open."""
    context = browser.new_context(**{**browser_context_args, "viewport": PHONE, "java_script_enabled": False})
    try:
        page = login("registrar_a1", target=context.new_page())
        page.goto("/")
        expect(page.get_by_role("button", name="菜单")).to_be_hidden()
        expect(page.get_by_role("navigation", name="主导航").get_by_role("link", name="学生", exact=True)).to_be_visible()
    finally:
        context.close()
