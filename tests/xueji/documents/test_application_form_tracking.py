"""Every 申请表 built on the shared form (xueji/documents/application_forms.py and
documents/application_form.html) carries the QR code of the guardian's view, whatever its kind's
template adds: a form printed from the bare shared template (as a new kind's form would be, before
its own blocks) has the image and the code, which the QR encodes as the full public address."""

import base64

import pytest

from tests.pdfs import image_pages, page_count, pdf_words
from tests.suspensions.conftest import suspend
from xueji.accounts.models import BureauSettings
from xueji.approvals.tracking import tracking_url
from xueji.documents.application_forms import application_form_pdf, form_tracking
from xueji.documents.qr import qr_png


@pytest.fixture
def request_a1(world):
    BureauSettings.objects.update_or_create(bureau=world.units["county_a"], defaults={"suspension_cap_percent": 100})
    return suspend(world)


def test_a_form_on_the_shared_template_gets_the_qr_code(world, request_a1):
    printed = application_form_pdf(request_a1, world.user("registrar_a1"),
                                   template="documents/application_form.html", title="转学申请表")
    pdf = printed.content
    assert page_count(pdf) == 1 and image_pages(pdf) == [1]
    request_a1.refresh_from_db()
    assert f"查询码{request_a1.tracking_code}" in pdf_words(pdf)


def test_the_qr_code_holds_the_full_public_address(world, request_a1, settings):
    settings.PUBLIC_URL = "https://xueji.example.gov.cn"
    tracking = form_tracking(request_a1)
    assert tracking_url(tracking.code) == f"https://xueji.example.gov.cn/track/{tracking.code}/"
    # The PNG in the form is the one drawn for that address (drawing is deterministic).
    assert tracking.qr.endswith(base64.b64encode(qr_png(tracking_url(tracking.code))).decode())


def test_the_pdf_fetcher_reads_the_drawn_png_and_refuses_other_data_urls():
    from xueji.documents.pdf import LocalOnlyFetcher

    fetcher = LocalOnlyFetcher()
    png = qr_png("https://xueji.example.gov.cn/track/ABCDEFGHJKMN/")
    answer = fetcher.fetch("data:image/png;base64," + base64.b64encode(png).decode())
    assert answer.headers["Content-Type"] == "image/png"
    for url in ["data:image/svg+xml;base64,PHN2Zz4=", "data:text/html,<p>x</p>", "file:///etc/passwd"]:
        with pytest.raises(ValueError):
            fetcher.fetch(url)
