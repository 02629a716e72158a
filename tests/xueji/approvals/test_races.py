"""Concurrency against PostgreSQL: two officers deciding at once, a decision racing a withdrawal,
two schools starting a transfer of the same pupil at once. Exactly one wins each time."""

import threading

from django.core.exceptions import ValidationError
from django.db import connection

from tests.conftest import build_world, transactional
from tests.factories import MembershipFactory, UserFactory
from tests.transfers.conftest import start
from xueji.accounts.models import Role
from xueji.approvals.models import ApprovalStep, ChangeRequest
from xueji.approvals.services import request_decide, request_withdraw


def race(*actions) -> list[str]:
    """Run the actions at the same moment, each in its own connection; their outcomes."""
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = []

    def run(action):
        try:
            barrier.wait()
            action()
            outcomes.append("ok")
        except ValidationError as error:
            outcomes.append(f"refused: {error.messages[0]}")
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(action,)) for action in actions]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


@transactional
def test_two_officers_deciding_at_once_make_one_decision():
    world = build_world()
    second_officer = UserFactory(username="officer_b2")
    MembershipFactory(user=second_officer, unit=world.units["county_b"], role=Role.COUNTY_OFFICER)
    request = start(world)
    request_decide(actor=world.user("headmaster_b1"), request_id=request.pk, approve=True)
    outcomes = race(
        lambda: request_decide(actor=world.user("officer_b"), request_id=request.pk, approve=True),
        lambda: request_decide(actor=second_officer, request_id=request.pk, approve=False, comment="材料不符"),
    )
    assert sorted(o.split(":")[0] for o in outcomes) == ["ok", "refused"]
    step = ApprovalStep.objects.get(request=request, position=1)
    assert step.status in ("approved", "rejected") and step.decided_by is not None
    decided_steps = ApprovalStep.objects.filter(request=request, decided_at__isnull=False).count()
    assert decided_steps == 2  # the headmaster's and exactly one officer's


@transactional
def test_approval_racing_a_withdrawal_has_one_outcome():
    world = build_world()
    request = start(world)
    outcomes = race(
        lambda: request_decide(actor=world.user("headmaster_b1"), request_id=request.pk, approve=True),
        lambda: request_withdraw(actor=world.user("registrar_b1"), request_id=request.pk),
    )
    assert sorted(o.split(":")[0] for o in outcomes) == ["ok", "refused"]
    request.refresh_from_db()
    first = ApprovalStep.objects.get(request=request, position=0)
    if request.status == "withdrawn":
        assert first.decided_at is None
    else:
        assert (request.status, first.status) == ("pending", "approved")


@transactional
def test_two_schools_starting_a_transfer_of_the_same_pupil_at_once():
    world = build_world()
    world.users["registrar_a3"] = UserFactory(username="registrar_a3")
    MembershipFactory(user=world.users["registrar_a3"], unit=world.units["a3"], role=Role.REGISTRAR)
    outcomes = race(
        lambda: start(world, "a1", to="b1", to_class="b1_3_1", grounds="job"),
        lambda: start(world, "a1", to="a3", to_class="a3_3_1", grounds="job"),
    )
    assert sorted(o.split(":")[0] for o in outcomes) == ["ok", "refused"]
    assert ChangeRequest.objects.filter(pupil=world.pupils["a1"], status="pending").count() == 1
