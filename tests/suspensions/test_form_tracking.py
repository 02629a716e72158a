"""The QR code of the guardian's view on the 休学, 复学 and 缓学 申请表 (xueji/documents/
application_forms.py, xueji/approvals/tracking.py): an image in the form's corner and the
request's code printed beside it; the code is stored on the request, the same at every print;
none where the bureau turned the view off. The form keeps its one page."""

from tests.pdfs import image_pages, page_count, pdf_words
from tests.suspensions.conftest import suspend
from tests.suspensions.test_forms import form_url, printed
from tests.suspensions.test_resumption_and_deferral import defer, newcomer, resume, suspended  # noqa: F401 (fixtures)
from xueji.accounts.models import BureauSettings
from xueji.approvals.tracking import CODE_ALPHABET, CODE_LENGTH


def assert_tracking_printed(request, response) -> str:
    assert response.status_code == 200 and page_count(response.content) == 1
    request.refresh_from_db()
    code = request.tracking_code
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) and code != str(request.pk)
    text = pdf_words(response.content)
    assert "扫码查询办理进度" in text and f"查询码{code}" in text
    assert image_pages(response.content) == [1]  # the QR code, drawn into the PDF
    return code


def test_suspension_form_carries_the_qr_code_and_keeps_its_code(world, login, no_cap):
    request = suspend(world)
    client = login(world.user("registrar_a1"))
    first = printed(client, form_url(request))
    code = assert_tracking_printed(request, first)
    # Printed again (by another user): the same code; the guardian's old paper still works.
    again = printed(login(world.user("officer_a")), form_url(request))
    assert assert_tracking_printed(request, again) == code


def test_resumption_form_carries_the_qr_code(world, login, suspended):
    request = resume(world, suspended)
    assert_tracking_printed(request, printed(login(world.user("registrar_a1")), form_url(request)))


def test_deferral_form_carries_the_qr_code(world, login, newcomer):  # noqa: F811 (the fixture)
    request = defer(world, newcomer)
    assert_tracking_printed(request, printed(login(world.user("registrar_a1")), form_url(request)))


def test_no_qr_code_where_the_bureau_turned_the_view_off(world, login, no_cap):
    BureauSettings.objects.filter(bureau=world.units["county_a"]).update(guardian_tracking=False)
    request = suspend(world)
    response = printed(login(world.user("registrar_a1")), form_url(request))
    assert response.status_code == 200 and page_count(response.content) == 1
    text = pdf_words(response.content)
    assert "扫码查询" not in text and "查询码" not in text and image_pages(response.content) == []
    request.refresh_from_db()
    assert request.tracking_code is None
