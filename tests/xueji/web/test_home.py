"""Home pages by role."""


import pytest

from tests.factories import make_pupil
from xueji.accounts.models import Membership, Role
from xueji.codes import NumberKind


@pytest.mark.parametrize(
    "user, panel",
    [
        ("registrar_a1", "待办事项"),
        ("headmaster_a1", "待办事项"),
        ("teacher_a1", "我的班级"),
        ("officer_a", "辖区学校"),
        ("central_a3", "辖区学校"),
        ("city_officer", "辖区学校"),
        ("admin", "系统管理"),
    ],
)
def test_each_role_lands_on_its_home_page(login, world, user, panel):
    body = login(world.user(user)).get("/").content.decode()
    assert panel in body


def test_registrar_home_counts_what_waits(login, world):
    make_pupil(world.units["a1"], None, name="孙悦", number_kind=NumberKind.TEMPORARY)
    body = login(world.user("registrar_a1")).get("/").content.decode()
    assert "未分班的在校学生" in body and "仍为临时学籍号（L）的学生" in body


def test_officer_home_lists_only_own_county_schools(login, world):
    body = login(world.user("officer_a")).get("/").content.decode()
    assert "农安县实验小学" in body and "榆树市实验小学" not in body


def test_bureau_home_flags_next_year_without_official_holidays(login, world):
    import time_machine

    with time_machine.travel("2026-11-22 10:00 +0800"):
        body = login(world.user("officer_a")).get("/").content.decode()
    assert "2027 年尚无国务院公布的节假日安排" in body


def test_role_switcher_changes_the_acting_role(login, world):
    user = world.user("registrar_a1")
    second = Membership.objects.create(user=user, unit=world.units["a1"], role=Role.HEADMASTER)
    client = login(user)
    client.post("/role/", {"membership": second.pk})
    assert "校长" in client.get("/").content.decode()


