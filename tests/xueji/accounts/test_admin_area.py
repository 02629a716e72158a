"""The three admins (三员分立) and the break-glass superuser never reach a pupil's page or any
business page or endpoint (xueji/accounts/admin_area.py): every URL of the site outside the admin
area answers 403, pages and API alike, with the session or a token; their home pages and
navigation are their own."""

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.conftest import login_with_code
from tests.factories import PASSWORD, UserFactory
from tests.otp import totp_code
from tests.xueji.accounts.admin_checks import outside_the_area
from xueji.accounts.admin_area import CODE, MESSAGE
from xueji.accounts.models import AuditEntry

ADMINS = ["sysadmin", "secadmin", "auditor", "secadmin_a", "root"]


@pytest.fixture
def admins(world):
    world.users["root"] = UserFactory(username="root", is_superuser=True, is_staff=True)
    return world


def test_the_walk_finds_the_business_pages():
    urls = outside_the_area()
    assert "/pupils/" in urls and "/pupils/1/" in urls and "/api/v1/pupils/" in urls and "/requests/" in urls
    assert len(urls) > 100


@pytest.mark.parametrize("name", ADMINS)
def test_admins_reach_no_page_outside_their_area(admins, name):
    client = login_with_code(Client(), admins.user(name))
    wrong = {}
    for url in outside_the_area():
        status = client.get(url).status_code
        if status != 403:
            wrong[url] = status
    assert wrong == {}
    response = client.get(f"/pupils/{admins.pupils['a1'].pk}/")
    assert response.status_code == 403 and MESSAGE in response.content.decode()
    assert admins.pupils["a1"].name not in client.get("/").content.decode()
    refusal = AuditEntry.objects.filter(action="permission.denied", user=admins.user(name)).latest("id")
    assert CODE in refusal.detail


@pytest.mark.parametrize("name", ["sysadmin", "auditor"])
def test_admins_tokens_reach_no_endpoint(admins, name):
    user = admins.user(name)
    answer = APIClient().post("/api/v1/auth/token/", {"username": name, "password": PASSWORD, "otp": totp_code(user)},
                              format="json")
    assert answer.status_code == 200, answer.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {answer.json()['token']}")
    wrong = {}
    for url in outside_the_area():
        if url.startswith("/api/"):
            response = client.get(url)
            if response.status_code != 403:
                wrong[url] = response.status_code
    assert wrong == {}
    response = client.get("/api/v1/pupils/")
    assert response.json()["code"] == CODE


def test_everyone_else_still_reaches_the_pupils(world):
    client = login_with_code(Client(), world.user("registrar_a1"))
    assert client.get(f"/pupils/{world.pupils['a1'].pk}/").status_code == 200


# Each admin's home page and navigation: its own work, nothing of the pupils.
HOMES = {
    "sysadmin": ("系统管理", ["单位与学校", "用户与任职", "教育局设置", "节假日与调休"], ["/admin/"]),
    "secadmin": ("账号安全", ["登录被锁定的账号", "已封存的账号", "暂停登录的地址"], ["/security/accounts/", "/security/addresses/"]),
    "auditor": ("审计日志", ["今天的审计记录", "查看和导出审计日志"], ["/audit/"]),
}


@pytest.mark.parametrize("name", list(HOMES))
def test_each_admin_has_its_own_home_and_menu(world, name):
    panel, items, links = HOMES[name]
    body = login_with_code(Client(), world.user(name)).get("/").content.decode()
    assert f"<h2>{panel}</h2>" in body
    for item in items:
        assert item in body, item
    nav = body.split('aria-label="主导航"')[1].split("</nav>")[0]
    for link in links:
        assert f'href="{link}"' in nav, link
    for pupil_link in ("/pupils/", "/requests/", "/transfers/", "/inbox/"):
        assert f'href="{pupil_link}"' not in nav
    others = {"sysadmin": ["/security/accounts/", "/audit/"], "secadmin": ["/audit/"], "auditor": ["/security/accounts/"]}
    for link in others[name]:
        assert f'href="{link}"' not in nav
    assert "在籍在校学生" not in body and "辖区学校" not in body
