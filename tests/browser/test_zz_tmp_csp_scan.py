import re
import pytest
from playwright.sync_api import Page, expect
from tests.browser.test_csp_pages import sign_in, violations  # noqa
from tests.transfers.conftest import start
pytestmark = pytest.mark.browser

SKIP = re.compile(r"(\.pdf|\.xlsx|\.zip|logout|/attachments/|/photo/$|download|export|/admin/)")

@pytest.mark.parametrize("user", ["registrar_a1", "officer_a", "headmaster_b1"])
def test_scan(page: Page, browser_world, sign_in, violations, user):
    start(browser_world, "a1")
    sign_in(page, user)
    seen, queue = set(), ["/"]
    bad = {}
    while queue and len(seen) < 70:
        href = queue.pop(0)
        if href in seen: continue
        seen.add(href)
        before = len(violations)
        try:
            page.goto(href)
            page.wait_for_load_state("networkidle")
        except Exception as e:
            print("ERR", href, e); continue
        if len(violations) > before:
            bad[href] = violations[before:]
        if href.count("/") <= 4:
            for h in page.eval_on_selector_all("a[href^='/']", "els => els.map(e => e.getAttribute('href'))"):
                h = h.split("#")[0]
                if h and h not in seen and not SKIP.search(h):
                    queue.append(h)
    print("USER", user, "PAGES", len(seen), "BAD", bad)
