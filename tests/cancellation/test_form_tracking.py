"""The QR code of the guardian's view on the 注销学籍申请表, as on every 申请表 (the common
part, xueji/documents/application_forms.py): the image and the request's code beside it; none
where the bureau turned the view off."""

from tests.cancellation.conftest import cancel
from tests.cancellation.test_form import form_url, printed
from tests.pdfs import image_pages, page_count, pdf_words
from xueji.accounts.models import BureauSettings


def test_cancellation_form_carries_the_qr_code(world, login):
    request = cancel(world)
    response = printed(login(world.user("registrar_a1")), form_url(request))
    assert response.status_code == 200 and page_count(response.content) == 1
    request.refresh_from_db()
    assert request.tracking_code and f"查询码{request.tracking_code}" in pdf_words(response.content)
    assert image_pages(response.content) == [1]


def test_no_qr_code_where_the_bureau_turned_the_view_off(world, login):
    BureauSettings.objects.update_or_create(bureau=world.units["county_a"], defaults={"guardian_tracking": False})
    request = cancel(world)
    response = printed(login(world.user("registrar_a1")), form_url(request))
    assert "查询码" not in pdf_words(response.content) and image_pages(response.content) == []
