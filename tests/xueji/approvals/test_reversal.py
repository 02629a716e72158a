"""撤销审批: the bureau reverses a status change it approved, within 10 working days, as a new
request with the same chain; its approval restores the state before the change."""

from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from schoolyear.models import PromotionRun, PromotionSchool
from schoolyear.services import promotion_run_execute
from tests.conftest import login_with_code
from tests.factories import SchoolClassFactory
from tests.suspensions.conftest import decide, suspend
from tests.suspensions.test_resumption_and_deferral import END, resume
from xueji.accounts.models import BureauSettings
from xueji.approvals.models import ChangeRequest
from xueji.approvals.reversal import reversal_deadline, reversal_refusal, reversal_start
from xueji.approvals.services import request_decide
from xueji.codes import PupilStatus
from xueji.pupils.models import StatusChange
from xueji.pupils.services import pupil_set_status

APPROVED_ON = date(2026, 10, 20)  # the suspensions' conftest files and decides on this day (a Tuesday)
LAST_DAY = date(2026, 11, 3)  # the 10th working day after it


@pytest.fixture
def suspension(world):
    for county in ("county_a", "county_b"):
        BureauSettings.objects.update_or_create(bureau=world.units[county], defaults={"suspension_cap_percent": 100})
    request = decide(world, suspend(world))
    assert request.pupil.status == PupilStatus.SUSPENDED
    return request


def reverse(world, original, user="officer_a", today=date(2026, 10, 22), reason="诊断证明系伪造"):
    with time_machine.travel(today, tick=False):
        return reversal_start(actor=world.user(user), original_id=original.pk, reason=reason, today=today)


def approve_all(world, request, *users, today=date(2026, 10, 22)):
    with time_machine.travel(today, tick=False):
        for user in users:
            request_decide(actor=world.user(user), request_id=request.pk, approve=True)
    request.refresh_from_db()
    return request


def test_the_bureau_reverses_a_suspension_through_the_same_chain(world, suspension):
    reversal = reverse(world, suspension)
    steps = list(reversal.steps.order_by("position"))
    assert [(s.unit_id, s.role) for s in steps] == [(s.unit_id, s.role) for s in suspension.steps.order_by("position")]
    assert [s.label for s in steps] == [f"撤销：{s.label}" for s in suspension.steps.order_by("position")]
    # The officer who asked confirms after the school has signed.
    reversal = approve_all(world, reversal, "headmaster_a1", "officer_a")
    assert reversal.status == "approved"
    pupil = reversal.pupil
    pupil.refresh_from_db()
    assert pupil.status == PupilStatus.ENROLLED
    assert StatusChange.objects.filter(pupil=pupil, change_request_id=reversal.pk, to_status=PupilStatus.ENROLLED).exists()
    suspension.refresh_from_db()
    assert suspension.payload["reversed_by"] == reversal.pk
    # The field history carries the reversal as its reason.
    assert "撤销休学" in StatusChange.objects.get(change_request_id=reversal.pk).reason


def test_reversal_of_a_resumption_puts_back_grade_and_class(world, suspension):
    pupil = suspension.pupil
    before_class, before_grade = pupil.school_class, pupil.grade
    lower = SchoolClassFactory(school=world.units["a1"], grade=2, number=1)
    resumption = decide(world, resume(world, pupil, target=lower), today=END)
    assert (resumption.pupil.grade, resumption.pupil.school_class) == (2, lower)
    assert resumption.state_before == {"status": "suspended", "school": pupil.school_id,
                                       "school_class": before_class.pk if before_class else None, "grade": before_grade}
    reversal = approve_all(world, reverse(world, resumption, today=END), "headmaster_a1", "officer_a", today=END)
    pupil.refresh_from_db()
    assert (pupil.status, pupil.grade, pupil.school_class) == (PupilStatus.SUSPENDED, before_grade, before_class)
    assert reversal.status == "approved"


def test_reversal_only_within_ten_working_days(world, suspension):
    assert reversal_deadline(suspension) == LAST_DAY
    assert reversal_refusal(user=world.user("officer_a"), original=suspension, today=LAST_DAY) is None
    late = reversal_refusal(user=world.user("officer_a"), original=suspension, today=date(2026, 11, 4))
    assert "10 个工作日" in late
    with pytest.raises(ValidationError, match="已超过期限"):
        reverse(world, suspension, today=date(2026, 11, 4))


@pytest.mark.parametrize("user", ["officer_b", "registrar_a1", "headmaster_a1", "city_officer"])
def test_only_the_approving_bureau_may_reverse(world, suspension, user):
    assert reversal_refusal(user=world.user(user), original=suspension, today=APPROVED_ON) == "只有批准该申请的教育局可以撤销。"


def test_a_reason_is_required(world, suspension):
    with pytest.raises(ValidationError) as error:
        reverse(world, suspension, reason="  ")
    assert "reason" in error.value.message_dict


def test_pending_rejected_and_reversed_requests_cannot_be_reversed(world, suspension):
    reversal = reverse(world, suspension)
    # While the reversal runs, the pupil has an open request: no second reversal.
    assert reversal_refusal(user=world.user("officer_a"), original=suspension, today=APPROVED_ON) is not None
    # A pending request (the reversal itself) and a reversal are never reversible.
    assert "撤销申请本身" in reversal_refusal(user=world.user("officer_a"), original=reversal, today=APPROVED_ON)
    approve_all(world, reversal, "headmaster_a1", "officer_a")
    suspension.refresh_from_db()
    assert reversal_refusal(user=world.user("officer_a"), original=suspension, today=APPROVED_ON) == "该申请已经撤销。"


def test_a_record_that_moved_on_cannot_be_reversed(world, suspension):
    pupil = suspension.pupil
    pupil_set_status(actor=world.user("registrar_a1"), pupil=pupil, status=PupilStatus.DROPPED_OUT,
                     effective_date=date(2026, 10, 21), reason="测试：其后的变动")
    assert "其他学籍变动" in reversal_refusal(user=world.user("officer_a"), original=suspension, today=APPROVED_ON)


def test_a_change_approved_before_the_schools_promotion_cannot_be_reversed_after_it(world, suspension):
    # The state before names last year's grade and class: putting the pupil back there after the
    # school moved up a grade would undo the promotion for this pupil alone.
    assert reversal_refusal(user=world.user("officer_a"), original=suspension, today=date(2026, 10, 22)) is None
    with time_machine.travel(date(2026, 10, 23), tick=False):
        run = PromotionRun.objects.create(bureau=world.units["county_a"], year=2027, trigger=PromotionRun.Trigger.MANUAL)
        promotion_run_execute(run_id=run.pk)
    assert PromotionSchool.objects.filter(school=suspension.pupil.school, year=2027).exists()
    assert "已完成升级" in reversal_refusal(user=world.user("officer_a"), original=suspension, today=date(2026, 10, 26))


def test_a_change_that_moved_on_while_the_reversal_ran_is_refused_at_the_decision(world, suspension):
    reversal = approve_all(world, reverse(world, suspension), "headmaster_a1")
    pupil_set_status(actor=world.user("registrar_a1"), pupil=suspension.pupil, status=PupilStatus.DROPPED_OUT,
                     effective_date=date(2026, 10, 21), reason="测试：其后的变动")
    with pytest.raises(ValidationError, match="其他学籍变动"):
        approve_all(world, reversal, "officer_a")
    reversal.refresh_from_db()
    assert reversal.status == "pending"


def test_the_starter_still_may_not_decide_other_kinds(world, suspension):
    # A registrar's own request: the four-eyes rule holds everywhere but for reversals.
    request = suspend(world, "a1_other")
    with pytest.raises(ValidationError):
        request_decide(actor=world.user("registrar_a1"), request_id=request.pk, approve=True)


def test_request_page_offers_the_reversal_to_the_approving_bureau_only(world, suspension, client):
    url = f"/requests/{suspension.pk}/"
    with time_machine.travel(date(2026, 10, 22), tick=False):
        for user, offered in (("officer_a", True), ("registrar_a1", False), ("headmaster_a1", False)):
            login_with_code(client, world.user(user))
            assert ("发起撤销" in client.get(url).content.decode()) is offered, user
        login_with_code(client, world.user("officer_a"))  # again: the same user's second code, the next window's
        empty = client.post(f"{url}reverse/", {"reason": ""}, follow=True)
        assert "请填写撤销理由" in empty.content.decode()
        response = client.post(f"{url}reverse/", {"reason": "诊断证明系伪造"})
    reversal = ChangeRequest.objects.get(kind="reversal")
    assert response.status_code == 302 and response["Location"] == f"/requests/{reversal.pk}/"


def test_api_reverse(world, suspension):
    client = APIClient()
    url = f"/api/v1/requests/{suspension.pk}/reverse/"
    with time_machine.travel(date(2026, 10, 22), tick=False):
        client.force_authenticate(world.user("officer_b"))
        assert client.post(url, {"reason": "x"}, format="json").status_code == 404
        client.force_authenticate(world.user("registrar_a1"))
        refused = client.post(url, {"reason": "x"}, format="json")
        assert refused.status_code == 400 and "只有批准该申请的教育局可以撤销" in str(refused.json())
        client.force_authenticate(world.user("officer_a"))
        assert client.post(url, {}, format="json").status_code == 400
        started = client.post(url, {"reason": "诊断证明系伪造"}, format="json")
    assert started.status_code == 201
    assert started.json()["kind"] == "reversal" and started.json()["steps"][0]["role"] == "headmaster"
