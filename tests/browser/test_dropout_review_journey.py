"""The county's quarterly dropout review in a real browser: officer_a opens 控辍季度审核 from the
navigation, sees the township breakdown (农安镇 and 合隆镇) and a child on the 适龄未入学 ledger
open for 40 days flagged as open longer than 30 days, and prints the review: a PDF with its
verification code that names the child."""

from datetime import date, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from dropouts.ledgers import ledger_sync
from enrollment.admission.models import AdmissionEntry
from tests.factories import id_number
from tests.pdfs import pdf_words
from xueji.codes import Gender, IdType

pytestmark = pytest.mark.browser


def test_county_quarterly_review(page: Page, browser_world, login, screenshot):
    world = browser_world
    today = timezone.localdate()
    found = today - timedelta(days=40)  # the day the ledger found the child: 40 days open today
    born = date(today.year - 8, 4, 4)
    AdmissionEntry.objects.create(
        school=world.units["a3"], intake_year=found.year - 1, name="钱未入", gender=Gender.FEMALE, birth_date=born,
        id_type=IdType.RESIDENT_ID, id_number=id_number("220122", born, Gender.FEMALE),
        imported_by=world.user("officer_a"),
    )
    ledger_sync(schools=[world.units["a3"]], today=found)
    # Today's suspect at A1 (农安镇): on the ledger, not open long.
    born = date(today.year - 9, 6, 6)
    AdmissionEntry.objects.create(
        school=world.units["a1"], intake_year=today.year - 1, name="孙新登", gender=Gender.FEMALE, birth_date=born,
        id_type=IdType.RESIDENT_ID, id_number=id_number("220122", born, Gender.FEMALE),
        imported_by=world.user("officer_a"),
    )
    ledger_sync(schools=[world.units["a1"]], today=today)

    login("officer_a")
    page.get_by_role("navigation", name="主导航").get_by_role("link", name="控辍季度审核").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("控辍保学季度审核")
    breakdown = page.locator("#township-breakdown")
    expect(breakdown.locator("tbody tr").filter(has_text="合隆镇")).to_be_visible()
    expect(breakdown.locator("tbody tr").filter(has_text="农安镇")).to_be_visible()
    too_long = page.locator("#too-long tbody tr").filter(has_text="钱未入")
    expect(too_long).to_contain_text("合隆镇陈家店小学")
    expect(too_long).to_contain_text("40")
    expect(page.locator("#too-long")).not_to_contain_text("孙新登")
    screenshot(page, "dropout_review")

    link = page.locator("#review-print")
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.headers["x-document-code"]
    words = pdf_words(response.body())
    assert "控辍保学审核表" in words and "钱未入" in words and "合隆镇" in words
