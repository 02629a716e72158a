"""A page that does not exist shows the app's own 404 page, in Chinese, in development (DEBUG)
as in production (xueji/web/not_found.py); Django's technical page never shows."""

import pytest

from xueji.accounts.models import AuditEntry

OWN_PAGE = "您要找的页面或记录不存在"
TECHNICAL = "Using the URLconf"


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_address_shows_the_apps_404_page(world, login, client, settings, debug):
    settings.DEBUG = debug
    for who in (client, login(world.user("registrar_a1"))):
        response = who.get("/no-such-page/")
        body = response.content.decode()
        assert response.status_code == 404
        assert OWN_PAGE in body and "没有找到" in body and TECHNICAL not in body


def test_a_refused_record_in_development_shows_the_page_and_is_still_audited(world, login, settings):
    settings.DEBUG = True
    other = world.pupils["b1"]  # another county's pupil
    response = login(world.user("registrar_a1")).get(f"/pupils/{other.pk}/")
    assert response.status_code == 404 and OWN_PAGE in response.content.decode()
    assert "Traceback" not in response.content.decode() and "Http404" not in response.content.decode()
    assert AuditEntry.objects.filter(action="lookup.denied", user=world.user("registrar_a1")).count() == 1


def test_the_api_keeps_its_json_not_found_in_development(world, api_as, settings):
    settings.DEBUG = True
    response = api_as("registrar_a1").get(f"/api/v1/pupils/{world.pupils['b1'].pk}/")
    assert response.status_code == 404 and "detail" in response.json()
