"""The one permission vocabulary: who holds what where, the school a user registers for now (the
same for pages and API), and one refusal that pages and the API answer alike and audit."""

from datetime import date

import pytest
import time_machine
from django.test import RequestFactory

from tests.conftest import login_with_code
from tests.factories import MembershipFactory
from tests.transfers.conftest import proof
from xueji.accounts.models import AuditEntry, Role
from xueji.accounts.permissions import NotAllowed, acting_school, holds, holds_anywhere, require_registrar
from xueji.approvals.models import ChangeRequest


@pytest.fixture
def two_schools(world):
    """registrar_b1 also registers for A1 (a second membership, made after the first)."""
    MembershipFactory(user=world.user("registrar_b1"), unit=world.units["a1"], role=Role.REGISTRAR)
    return world


def _request(user, session: dict | None = None):
    request = RequestFactory().get("/")
    request.user, request.session = user, session or {}
    return request


def test_holds_a_role_at_a_unit(world):
    assert holds(world.user("registrar_a1"), Role.REGISTRAR, world.units["a1"])
    assert holds(world.user("registrar_a1"), (Role.HEADMASTER, Role.REGISTRAR), world.units["a1"].pk)
    assert not holds(world.user("registrar_a1"), Role.REGISTRAR, world.units["b1"])
    assert not holds(world.user("headmaster_a1"), Role.REGISTRAR, world.units["a1"])
    assert holds_anywhere(world.user("officer_a"), {Role.COUNTY_OFFICER}) and not holds_anywhere(world.user("officer_a"), Role.REGISTRAR)


def test_an_inactive_user_holds_nothing(world):
    user = world.user("registrar_a1")
    user.is_active = False
    user.save(update_fields=["is_active"])
    assert not holds(user, Role.REGISTRAR, world.units["a1"])


def test_the_acting_school_is_the_chosen_membership_else_the_first(two_schools):
    user = two_schools.user("registrar_b1")
    assert acting_school(_request(user)) == two_schools.units["b1"]
    chosen = user.memberships.get(unit=two_schools.units["a1"]).pk
    assert acting_school(_request(user, {"membership_id": chosen})) == two_schools.units["a1"]
    with pytest.raises(NotAllowed) as error:
        acting_school(_request(two_schools.user("headmaster_a1")))
    assert error.value.code == "not_registrar" and error.value.status == 403


def test_the_transfer_api_starts_at_the_school_chosen_on_the_pages(two_schools, client):
    """The API took the user's first registrar membership; the pages the one chosen."""
    world = two_schools
    user = world.user("registrar_b1")
    login_with_code(client, user)
    assert client.post("/role/", {"membership": user.memberships.get(unit=world.units["a1"]).pk}).status_code == 302
    pupil = world.pupils["b1"]
    with time_machine.travel(date(2026, 11, 10), tick=False):
        response = client.post("/api/v1/transfers/", {
            "number": pupil.student_number, "name": pupil.name, "grounds": "residence", "grounds_note": "",
            "target_class": world.classes["a1_3_1"].pk, "files": [proof()],
        })
    assert response.status_code == 201, response.content.decode()
    assert ChangeRequest.objects.get(pk=response.json()["id"]).started_unit == world.units["a1"]


def test_a_refusal_is_403_with_its_reason_on_a_page_and_audited(world, login):
    client = login(world.user("officer_a"))
    response = client.get("/enrolment/")
    assert response.status_code == 403 and "您没有办理新生建籍的权限" in response.content.decode()
    entry = AuditEntry.objects.filter(action="permission.denied").latest("id")
    assert entry.username == "officer_a" and entry.result == AuditEntry.Result.DENIED


def test_a_hidden_refusal_is_a_404_on_a_page(world, login):
    client = login(world.user("headmaster_a1"))
    assert client.get(f"/pupils/{world.pupils['a1'].pk}/suspensions/suspension/new/").status_code == 404
    assert AuditEntry.objects.filter(action="permission.denied", username="headmaster_a1").exists()


def test_a_refusal_is_json_in_the_api_and_audited(world, api_as):
    response = api_as("headmaster_a1").post("/api/v1/enrollment/submit/", {}, format="json")
    assert response.status_code == 403
    assert response.json()["code"] == "not_registrar" and "学籍管理员" in response.json()["detail"]
    assert AuditEntry.objects.filter(action="permission.denied", username="headmaster_a1").exists()


def test_require_registrar_names_the_rule(world):
    with pytest.raises(NotAllowed) as error:
        require_registrar(world.user("registrar_b1"), world.units["a1"])
    assert (error.value.code, error.value.hide) == ("not_registrar", False)
