"""Home pages by role, and the demo data."""

import pytest
from django.core.management import call_command
from django.test import Client

from tests.factories import make_pupil
from xueji.codes import NumberKind
from xueji.demo import ACCOUNTS, DEMO_PASSWORD
from xueji.models import ApprovalStep, ChangeRequest, Membership, Pupil, Role, User


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


@pytest.mark.django_db
def test_demo_data_accounts_and_idempotence():
    call_command("load_demo")
    counts = (Pupil.objects.count(), User.objects.count(), Membership.objects.count(), ChangeRequest.objects.count())
    assert 1200 <= counts[0] <= 1800
    call_command("load_demo")
    assert (Pupil.objects.count(), User.objects.count(), Membership.objects.count(), ChangeRequest.objects.count()) == counts
    # Six transfers at every stage, one enrolment batch waiting for officer_b, four suspensions
    # (one overdue at the bureau, like one of the transfers).
    assert counts[3] == 11 and ApprovalStep.objects.filter(status="pending", overdue_at__isnull=False).count() == 2
    batch = ChangeRequest.objects.get(kind="enrolment")
    assert batch.steps.get(status="pending").unit.name == "榆树市教育局"
    from enrollment.models import AdmissionEntry, EnrolmentEntry

    assert AdmissionEntry.objects.count() == 46 and EnrolmentEntry.objects.filter(status="draft").count() == 8
    usable = {user.username for user in User.objects.all() if user.has_usable_password()}
    assert usable == {name for name, _ in ACCOUNTS}
    for username, _ in ACCOUNTS:
        client = Client()
        response = client.post("/login/", {"username": username, "password": DEMO_PASSWORD})
        assert response.status_code == 302, username
        assert client.get("/").status_code == 200
