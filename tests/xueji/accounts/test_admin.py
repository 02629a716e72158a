"""The Django admin of the system administrator: units, calendar, settings, without 500s."""

import pytest

from xueji.accounts.models import School


@pytest.fixture
def admin_client(login, world):
    return login(world.user("admin"))


def test_admin_adds_a_school_under_a_county(admin_client, world):
    response = admin_client.post("/admin/xueji/school/add/", {
        "name": "农安县第三小学", "code": "2122012299", "school_type": "primary",
        "parent": world.units["county_a"].pk, "division": "220122", "township": "农安镇",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    school = School.objects.get(code="2122012299")
    assert school.path.startswith(world.units["county_a"].path)


def test_admin_school_form_explains_a_bad_parent(admin_client, world):
    response = admin_client.post("/admin/xueji/school/add/", {
        "name": "错误的学校", "code": "2122012298", "school_type": "primary", "parent": world.units["a1"].pk,
    })
    assert response.status_code == 200
    assert "不能隶属于学校" in response.content.decode()


@pytest.mark.parametrize("url", [
    "/admin/", "/admin/xueji/division/?q=农安", "/admin/xueji/unit/", "/admin/xueji/school/", "/admin/xueji/bureau/",
    "/admin/xueji/centralschool/", "/admin/xueji/user/", "/admin/xueji/membership/", "/admin/xueji/bureausettings/add/",
    "/admin/xueji/calendarday/", "/admin/xueji/calendaryear/", "/admin/xueji/calendarday/?year=abc",
    "/admin/xueji/schoolyear/",
])
def test_admin_pages_open(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_audit_log_is_read_only_in_the_admin(admin_client):
    assert admin_client.get("/admin/xueji/auditentry/add/").status_code == 403


def test_date_pickers_get_iso_dates_whatever_the_language():
    # zh-hans renders 2026/09/01, which <input type="date"> drops: a default date would be lost.
    from datetime import date

    from xueji.forms import DateInput

    assert 'value="2026-09-01"' in DateInput().render("day", date(2026, 9, 1))
