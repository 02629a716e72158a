"""预警 (xueji/accounts/early_warning.py): the nightly task finds in the audit log a user reading
more than 500 records a day, reading at night, exporting more than 10 times a week, and the audit
and security admins of the bureaus above (and only they) see it on their home page."""

from datetime import date

import pytest
import time_machine
from django.test import Client

from tests.conftest import login_with_code
from tests.factories import MembershipFactory, UserFactory
from xueji.accounts.models import AuditEntry, EarlyWarning, Role
from xueji.accounts.tasks import compute_early_warnings

DAY = "2027-01-13"  # a Wednesday
NIGHT_COMPUTED = "2027-01-14 00:30 +0800"


@pytest.fixture
def admins(world):
    for name, unit, role in (("auditor_a", "county_a", Role.AUDIT_ADMIN), ("auditor_b", "county_b", Role.AUDIT_ADMIN),
                             ("secadmin_b", "county_b", Role.SECURITY_ADMIN)):
        world.users[name] = UserFactory(username=name)
        MembershipFactory(user=world.users[name], unit=world.units[unit], role=role)
    return world


def entries(world, username: str, unit: str, count: int, *, at: str, action: str = "pupil.view") -> None:
    """``count`` audit entries written at local time ``at`` (the log stamps them itself)."""
    user = world.user(username)
    with time_machine.travel(f"{at} +0800", tick=False):
        AuditEntry.objects.bulk_create(
            AuditEntry(user=user, username=user.username, unit=world.units[unit], unit_path=world.units[unit].path,
                       action=action, object_type="pupil", object_id=str(n))
            for n in range(count)
        )


def home(world, username: str) -> str:
    with time_machine.travel(NIGHT_COMPUTED, tick=False):
        return login_with_code(Client(), world.user(username)).get("/").content.decode()


def test_more_than_500_reads_in_a_day_warn_the_countys_audit_admin_only(admins):
    world = admins
    entries(world, "officer_a", "county_a", 300, at=f"{DAY} 09:00")
    entries(world, "officer_a", "county_a", 201, at=f"{DAY} 15:00", action="pupil.search")
    entries(world, "registrar_a1", "a1", 500, at=f"{DAY} 10:00")  # exactly the limit: no warning
    entries(world, "registrar_b1", "b1", 900, at="2027-01-12 10:00")  # another day

    with time_machine.travel(NIGHT_COMPUTED, tick=False):
        compute_early_warnings()  # the day before
        compute_early_warnings()  # again: the same warnings

    warning = EarlyWarning.objects.get()
    assert (warning.username, warning.kind, warning.day, warning.count) == ("officer_a", "reads", date(2027, 1, 13), 501)
    assert warning.details == {"pupil.view": 300, "pupil.search": 201}

    page = home(world, "auditor_a")
    assert "<h2>预警：异常的查看和导出</h2>" in page
    assert "officer_a（农安县教育局）" in page and "查看学籍 501 次" in page
    assert "/audit/?user=officer_a&amp;since=2027-01-13&amp;until=2027-01-13" in page
    assert "officer_a" not in home(world, "auditor_b") and "近 30 天没有预警" in home(world, "auditor_b")
    assert "officer_a" in home(world, "auditor")  # the city's audit admin: its subtree holds county A
    assert "预警：异常的查看和导出" not in home(world, "officer_a")  # only the admins see warnings


def test_reads_at_night_warn(admins):
    world = admins
    entries(world, "registrar_b1", "b1", 3, at=f"{DAY} 23:30")
    entries(world, "registrar_b1", "b1", 2, at=f"{DAY} 05:59")
    entries(world, "registrar_a1", "a1", 40, at=f"{DAY} 21:59")  # before 22:00: not night
    entries(world, "registrar_a1", "a1", 4, at=f"{DAY} 23:00", action="login")  # not a read

    with time_machine.travel(NIGHT_COMPUTED, tick=False):
        compute_early_warnings()

    warning = EarlyWarning.objects.get()
    assert (warning.username, warning.kind, warning.count) == ("registrar_b1", "night", 5)
    page = home(world, "secadmin_b")  # the county's security admin sees them too
    assert "registrar_b1（榆树市实验小学）" in page and "夜间（22:00—6:00）查看学籍 5 次" in page
    assert "registrar_b1" not in home(world, "auditor_a")


def test_more_than_10_exports_in_a_week_warn(admins, settings):
    world = admins
    entries(world, "officer_b", "county_b", 6, at="2027-01-11 10:00", action="export.download")  # Monday
    entries(world, "officer_b", "county_b", 5, at=f"{DAY} 10:00", action="national.export")
    entries(world, "officer_a", "county_a", 10, at=f"{DAY} 10:00", action="class.roster")  # the limit
    entries(world, "officer_a", "county_a", 5, at="2027-01-08 10:00", action="class.roster")  # the week before

    with time_machine.travel(NIGHT_COMPUTED, tick=False):
        compute_early_warnings()

    warning = EarlyWarning.objects.get()
    assert (warning.username, warning.kind, warning.day, warning.count) == ("officer_b", "exports", date(2027, 1, 11), 11)
    assert "officer_b" in home(world, "auditor_b") and "导出 11 次" in home(world, "auditor_b")
    assert "officer_b" not in home(world, "auditor_a")

    settings.EARLY_WARNING_EXPORTS_PER_WEEK = 9  # a setting: now officer_a's ten warn too
    with time_machine.travel(NIGHT_COMPUTED, tick=False):
        compute_early_warnings()
    assert set(EarlyWarning.objects.values_list("username", flat=True)) == {"officer_a", "officer_b"}
