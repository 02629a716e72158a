"""Shared fixtures: a small world of two counties with the named users of every role.

County A (农安县): officer_a; school A1 (primary) with registrar_a1, headmaster_a1 and teacher_a1
(head of class A1-3(1)); school A2 (junior) with registrar_a2, headmaster_a2; a central school
with central_a3 and its rural school A3. County B (榆树市): officer_b; school B1 with
registrar_b1, headmaster_b1. Above both: city_officer. And admin, the system administrator.
Pupils: a1 (in teacher_a1's class), a1_other (another class of A1), a2, a3, b1.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import (
    PASSWORD,
    MembershipFactory,
    SchoolClassFactory,
    SchoolFactory,
    UnitFactory,
    UserFactory,
    make_pupil,
)
from tests.otp import totp_code
from xueji.accounts.models import Role, Unit, UnitKind, User
from xueji.calendar import workdays
from xueji.codes import Gender, SchoolType
from xueji.pupils.models import Pupil, SchoolClass

# The cache (Redis: the API's throttle counts there) starts empty for every test.
pytest_plugins = ["tests.fixtures_cache"]

# For tests with real transactions (threads, a Celery worker). The flush after such a test empties
# every table; the divisions come back through post_migrate (xueji.apps.ensure_divisions).
transactional = pytest.mark.django_db(transaction=True)


def pytest_configure(config):
    # WhiteNoise serves the finders' files in tests but warns on every request when the collected
    # folder is missing; an empty one is enough.
    from django.conf import settings

    Path(settings.STATIC_ROOT).mkdir(parents=True, exist_ok=True)


# Two database roles (xueji/db_roles.py): the test database is created and migrated as the owner
# (DATABASE_OWNER_URL), then every test runs connected as the application's role (DATABASE_URL), as
# the web and the workers do; the flush between transactional tests runs as the owner
# (xueji/management/commands/flush.py). Tests that need the owner say so: tests/owner.py.
_ROLE_KEYS = ("USER", "PASSWORD", "HOST", "PORT")
_app_role: dict = {}


def _connect_as(role: dict) -> None:
    from django.db import connections

    connections.close_all()
    connections["default"].settings_dict.update(role)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings):
    from django.conf import settings
    from django.db import connections

    if settings.DATABASE_OWNER:
        _app_role.update({key: connections["default"].settings_dict.get(key) for key in _ROLE_KEYS})
        _connect_as({key: settings.DATABASE_OWNER.get(key) for key in _ROLE_KEYS})


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    from django.conf import settings

    from xueji.db_roles import grant_app_role, owner_connection

    if not settings.DATABASE_OWNER:
        yield
        return
    with django_db_blocker.unblock(), owner_connection() as conn:
        grant_app_role(conn, _app_role["USER"])
    _connect_as(_app_role)
    yield
    _connect_as({key: settings.DATABASE_OWNER.get(key) for key in _ROLE_KEYS})  # to drop the database


@pytest.fixture(autouse=True)
def _fresh_calendar_cache():
    """Tests roll back without signals: calendar rows of one test must not leak into the next."""
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@dataclass
class World:
    units: dict[str, Unit] = field(default_factory=dict)
    classes: dict[str, SchoolClass] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)
    pupils: dict[str, Pupil] = field(default_factory=dict)

    def user(self, name: str) -> User:
        return self.users[name]


def build_world() -> World:
    world = World()
    u = world.units
    u["province"] = UnitFactory(kind=UnitKind.PROVINCE_BUREAU, name="吉林省教育厅", division_id="220000")
    u["city"] = UnitFactory(kind=UnitKind.CITY_BUREAU, name="长春市教育局", parent=u["province"], division_id="220100")
    u["county_a"] = UnitFactory(kind=UnitKind.COUNTY_BUREAU, name="农安县教育局", parent=u["city"], division_id="220122")
    u["county_b"] = UnitFactory(kind=UnitKind.COUNTY_BUREAU, name="榆树市教育局", parent=u["city"], division_id="220182")
    u["central_a"] = UnitFactory(kind=UnitKind.CENTRAL_SCHOOL, name="合隆镇中心校", parent=u["county_a"], division_id="220122")
    u["a1"] = SchoolFactory(name="农安县实验小学", parent=u["county_a"], division_id="220122", is_county_town=True)
    u["a2"] = SchoolFactory(name="农安县第一中学", parent=u["county_a"], division_id="220122", school_type=SchoolType.JUNIOR)
    u["a3"] = SchoolFactory(name="合隆镇陈家店小学", parent=u["central_a"], division_id="220122", township="合隆镇")
    u["b1"] = SchoolFactory(name="榆树市实验小学", parent=u["county_b"], division_id="220182")
    u["b2"] = SchoolFactory(name="榆树市第二中学", parent=u["county_b"], division_id="220182", school_type=SchoolType.JUNIOR)

    memberships = {
        "officer_a": ("county_a", Role.COUNTY_OFFICER),
        "officer_b": ("county_b", Role.COUNTY_OFFICER),
        "city_officer": ("city", Role.CITY_OFFICER),
        "central_a3": ("central_a", Role.CENTRAL_REGISTRAR),
        "registrar_a1": ("a1", Role.REGISTRAR),
        "headmaster_a1": ("a1", Role.HEADMASTER),
        "teacher_a1": ("a1", Role.HEAD_TEACHER),
        "registrar_a2": ("a2", Role.REGISTRAR),
        "headmaster_a2": ("a2", Role.HEADMASTER),
        "registrar_b1": ("b1", Role.REGISTRAR),
        "headmaster_b1": ("b1", Role.HEADMASTER),
    }
    for username, (unit_key, role) in memberships.items():
        user = UserFactory(username=username)
        MembershipFactory(user=user, unit=u[unit_key], role=role)
        world.users[username] = user
    # The three admins (三员分立) at the city, and one of county A.
    for username, unit_key, role in (
        ("sysadmin", "city", Role.SYSTEM_ADMIN), ("secadmin", "city", Role.SECURITY_ADMIN),
        ("auditor", "city", Role.AUDIT_ADMIN), ("secadmin_a", "county_a", Role.SECURITY_ADMIN),
    ):
        user = UserFactory(username=username)
        MembershipFactory(user=user, unit=u[unit_key], role=role)
        world.users[username] = user
    world.users["admin"] = world.users["sysadmin"]

    c = world.classes
    c["a1_3_1"] = SchoolClassFactory(school=u["a1"], grade=3, number=1, head_teacher=world.users["teacher_a1"])
    c["a1_3_2"] = SchoolClassFactory(school=u["a1"], grade=3, number=2)
    c["a2_8_1"] = SchoolClassFactory(school=u["a2"], grade=8, number=1)
    c["a3_3_1"] = SchoolClassFactory(school=u["a3"], grade=3, number=1)
    c["b1_3_1"] = SchoolClassFactory(school=u["b1"], grade=3, number=1)

    p = world.pupils
    p["a1"] = make_pupil(u["a1"], c["a1_3_1"], name="张小明")
    p["a1_other"] = make_pupil(u["a1"], c["a1_3_2"], name="李晓燕", gender=Gender.FEMALE)
    p["a2"] = make_pupil(u["a2"], c["a2_8_1"], name="王大伟")
    p["a3"] = make_pupil(u["a3"], c["a3_3_1"], name="赵春生")
    p["b1"] = make_pupil(u["b1"], c["b1_3_1"], name="刘思远", area="220182")
    return world


@pytest.fixture
def world(db) -> World:
    return build_world()


def login_with_code(client, user: User):
    """Log a client in as users do: the password on the login page, then (for users who need
    one) the code of their authenticator, computed by pyotp."""
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]
    if response["Location"].startswith("/login/otp/"):
        response = client.post("/login/otp/", {"code": totp_code(user)})
        assert response.status_code == 302 and not response["Location"].startswith("/login"), (
            response.content.decode()[:500]
        )
    return client


@pytest.fixture
def login(client):
    """Log the test client in as a named user (through the real login pages). Many tests travel
    months ahead (graduation in July, promotion in August): the user's password is taken as
    changed on the day the test logs in, so that the 90-day rule (tested on its own in
    tests/xueji/accounts/test_article24.py) does not stand between them and what they test."""

    def _login(user: User):
        User.objects.filter(pk=user.pk).update(password_changed_at=timezone.now())
        return login_with_code(client, user)

    return _login


def api_token(username: str) -> str:
    """A token from the token endpoint, with the user's current code."""
    from rest_framework.test import APIClient

    user = User.objects.get(username=username)
    answer = APIClient().post(
        "/api/v1/auth/token/", {"username": username, "password": PASSWORD, "otp": totp_code(user)}, format="json"
    )
    assert answer.status_code == 200, answer.content.decode()[:500]
    return answer.json()["token"]


@pytest.fixture
def api_as(world):
    """A DRF client signed in with the named user's token."""
    from rest_framework.test import APIClient

    def _as(username: str) -> APIClient:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(username)}")
        return client

    return _as
