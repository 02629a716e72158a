"""The approval engine: who decides, in which state, withdrawal, rejection, inbox, timeline."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import MembershipFactory, UnitFactory
from tests.transfers.conftest import proof, start
from xueji.accounts.models import Role, UnitKind
from xueji.approvals.models import ChangeRequest, Notice
from xueji.approvals.scoping import requests_visible_to
from xueji.approvals.services import request_decide, request_withdraw
from xueji.files.proof import check_uploads


def codes(error: ValidationError) -> set:
    if hasattr(error, "error_dict"):
        return {e.code for errors in error.error_dict.values() for e in errors}
    return {e.code for e in error.error_list}


def decide(world, name, request, approve=True, comment="", **details):
    return request_decide(actor=world.user(name), request_id=request.pk, approve=approve, comment=comment, details=details)


@pytest.mark.parametrize("name", ["registrar_b1", "headmaster_a1", "officer_b", "officer_a", "teacher_a1", "admin"])
def test_only_the_steps_role_at_the_steps_unit_decides(world, name):
    request = start(world)  # first step: headmaster of B1
    with pytest.raises(ValidationError) as error:
        decide(world, name, request)
    assert codes(error.value) & {"not_decider", "own_request"}


def test_the_starter_never_decides_even_holding_the_role(world):
    MembershipFactory(user=world.user("registrar_b1"), unit=world.units["b1"], role=Role.HEADMASTER)
    request = start(world)
    with pytest.raises(ValidationError) as error:
        decide(world, "registrar_b1", request)
    assert codes(error.value) == {"own_request"}


def test_one_decision_per_step_and_the_chain_moves_on(world):
    request = start(world)
    decide(world, "headmaster_b1", request)
    with pytest.raises(ValidationError):
        decide(world, "headmaster_b1", request)  # its step is decided; the next is officer_b's
    request.refresh_from_db()
    assert request.current_position == 1
    assert list(request.steps.values_list("status", flat=True)) == ["approved", "pending", "waiting", "waiting"]


def test_reject_needs_a_reason(world):
    request = start(world)
    with pytest.raises(ValidationError) as error:
        decide(world, "headmaster_b1", request, approve=False, comment="  ")
    assert codes(error.value) == {"reason_required"}


def test_rejection_ends_the_request_and_tells_the_starting_school(world):
    request = start(world)
    decide(world, "headmaster_b1", request)
    decide(world, "officer_b", request, approve=False, comment="缺少房产证明")
    request.refresh_from_db()
    assert request.status == "rejected"
    assert list(request.steps.values_list("status", flat=True)) == ["approved", "rejected", "cancelled", "cancelled"]
    notice = Notice.objects.get(request=request)
    assert notice.unit == world.units["b1"] and "缺少房产证明" in notice.message


@pytest.mark.parametrize("end", ["approved", "rejected", "withdrawn"])
def test_no_decision_after_the_request_ended(world, end):
    request = start(world)
    if end == "withdrawn":
        request_withdraw(actor=world.user("registrar_b1"), request_id=request.pk)
    elif end == "rejected":
        decide(world, "headmaster_b1", request, approve=False, comment="不同意")
    else:
        for name in ("headmaster_b1", "officer_b", "headmaster_a1", "officer_a"):
            decide(world, name, request)
    with pytest.raises(ValidationError) as error:
        decide(world, "headmaster_b1", request)
    assert codes(error.value) == {"not_pending"}


def test_starter_withdraws_before_the_first_decision_only(world):
    request = start(world)
    with pytest.raises(ValidationError) as error:
        request_withdraw(actor=world.user("headmaster_b1"), request_id=request.pk)
    assert codes(error.value) == {"not_starter"}
    decide(world, "headmaster_b1", request)
    with pytest.raises(ValidationError) as error:
        request_withdraw(actor=world.user("registrar_b1"), request_id=request.pk)
    assert codes(error.value) == {"already_decided"}


def test_withdrawn_request_frees_the_pupil_for_a_new_one(world):
    request = start(world)
    request_withdraw(actor=world.user("registrar_b1"), request_id=request.pk)
    assert ChangeRequest.objects.get(pk=request.pk).status == "withdrawn"
    assert start(world).pk != request.pk


def test_inbox_lists_overdue_first_then_by_working_days_left(world, login):
    from datetime import timedelta

    from django.utils import timezone

    first = start(world)
    second = start(world, "a1_other")
    # Make the second one overdue and the first due later.
    second.steps.filter(position=0).update(due_at=timezone.now() - timedelta(days=1))
    first.steps.filter(position=0).update(due_at=timezone.now() + timedelta(days=9))
    body = login(world.user("headmaster_b1")).get("/inbox/").content.decode()
    assert body.index("李晓燕") < body.index("张小明")
    assert "超期" in body
    assert "户口簿.pdf" in body  # the proof, linked from each row


def test_inbox_queries_do_not_grow_with_its_rows(world, login, api_as):
    """The rows' pupils, chains, proof and schools come with the inbox's few queries (only the
    columns shown, the chains and proof as prefetched lists), and the page's navigation badge
    takes the inbox's own count: one row or three, the same queries, page and API."""
    client, api = login(world.user("headmaster_b1")), api_as("headmaster_b1")

    def inbox(client, path):
        client.get(path)  # what a first visit writes (the session) is not the rows'
        with CaptureQueriesContext(connection) as capture:
            body = client.get(path).content.decode()
        return len(capture.captured_queries), body

    start(world)
    page_one, _ = inbox(client, "/inbox/")
    api_one, _ = inbox(api, "/api/v1/inbox/")
    start(world, "a1_other", files=check_uploads([proof(), proof("居住证.pdf")]))
    start(world, "a3")
    page_three, body = inbox(client, "/inbox/")
    api_three, answer = inbox(api, "/api/v1/inbox/")
    assert body.count('name="request"') == 3 and answer.count('"kind":"transfer"') == 3
    assert (page_three, api_three) == (page_one, api_one)
    assert body.count("户口簿.pdf") >= 3 and "居住证.pdf" in body and "居住证.pdf" in answer
    assert 'title="3 项待审批">3</span>' in body  # the navigation's badge


def test_headmaster_signs_several_at_once(world, login):
    first, second = start(world), start(world, "a1_other")
    client = login(world.user("headmaster_b1"))
    response = client.post("/inbox/sign/", {"request": [first.pk, second.pk], "confirm": "1"})
    assert response.status_code == 302
    for request in (first, second):
        request.refresh_from_db()
        assert request.current_position == 1
    body = client.get("/inbox/").content.decode()
    assert "已同意 2 项申请" in body


def test_batch_signing_asks_for_confirmation_and_changes_nothing_before(world, login):
    """Issue 14: the first POST shows what will be signed (how many, which, the comment) with
    确认/返回; only the second, with confirm=1, signs."""
    first, second = start(world), start(world, "a1_other")
    client = login(world.user("headmaster_b1"))
    response = client.post("/inbox/sign/", {"request": [first.pk, second.pk], "comment": "同意转入"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "确认同意 2 项申请" in body and "返回" in body and "同意转入" in body
    assert "张小明" in body and "李晓燕" in body
    assert body.count('name="request"') == 2 and 'name="confirm" value="1"' in body
    for request in (first, second):
        request.refresh_from_db()
        assert request.current_position == 0 and request.steps.get(position=0).status == "pending"
    client.post("/inbox/sign/", {"request": [first.pk, second.pk], "comment": "同意转入", "confirm": "1"})
    first.refresh_from_db()
    assert first.current_position == 1
    assert first.steps.get(position=0).comment == "同意转入"


def test_the_confirmation_lists_what_cannot_be_signed_and_offers_only_the_rest(world, login):
    mine, theirs = start(world), start(world, "a1_other")
    decide(world, "headmaster_b1", theirs)  # now the sending school's headmaster's step
    client = login(world.user("headmaster_b1"))
    body = client.post("/inbox/sign/", {"request": [mine.pk, theirs.pk, 999999]}).content.decode()
    assert "确认同意 1 项申请" in body
    assert f'name="request" value="{mine.pk}"' in body and f'name="request" value="{theirs.pk}"' not in body
    assert "#999999：没有找到" in body and "审批人" in body
    # Nothing to sign at all: no confirm button, only 返回.
    body = client.post("/inbox/sign/", {"request": [999999]}).content.decode()
    assert "确认同意 " not in body and 'name="confirm"' not in body and "返回" in body


def test_signing_reports_what_could_not_be_signed(world, login):
    request = start(world)
    client = login(world.user("officer_b"))
    body = client.post("/inbox/sign/", {"request": [request.pk]}).content.decode()
    assert "不是" in body and "审批人" in body and 'name="confirm"' not in body
    body = client.post("/inbox/sign/", {"request": [request.pk], "confirm": "1"}, follow=True).content.decode()
    assert "不是" in body and "审批人" in body
    request.refresh_from_db()
    assert request.current_position == 0


def test_request_page_shows_the_timeline(world, login):
    request = start(world)
    decide(world, "headmaster_b1", request, comment="同意接收")
    body = login(world.user("registrar_b1")).get(f"/requests/{request.pk}/").content.decode()
    assert "转入学校校长审核" in body and "在期限内" in body and "同意接收" in body
    assert "榆树市教育局审批" in body and "剩余" in body


def test_decide_and_withdraw_pages(world, login):
    request = start(world)
    client = login(world.user("headmaster_b1"))
    body = client.post(f"/requests/{request.pk}/decide/", {"decision": "reject", "comment": ""}, follow=True).content.decode()
    assert "退回申请时必须填写理由" in body
    client.post(f"/requests/{request.pk}/decide/", {"decision": "approve"})
    request.refresh_from_db()
    assert request.current_position == 1
    body = login(world.user("registrar_b1")).post(f"/requests/{request.pk}/withdraw/", follow=True).content.decode()
    assert "已有审批意见的申请不能撤回" in body


def test_counterpart_school_sees_the_request_not_the_whole_record(world, login):
    request = start(world)
    client = login(world.user("registrar_b1"))
    body = client.get(f"/requests/{request.pk}/").content.decode()
    pupil = world.pupils["a1"]
    assert pupil.name in body and pupil.id_number not in body
    assert client.get(f"/pupils/{pupil.pk}/").status_code == 404


def test_an_officer_at_the_top_of_the_tree_sees_its_trees_requests_only(world):
    # The top of the tree is scoped by the units' paths, the bureaus below it by the list of their
    # units (xueji/approvals/scoping.py); the scoping matrix has no officer at the top.
    request = start(world)
    province = MembershipFactory(unit=world.units["province"], role=Role.PROVINCE_OFFICER).user
    another_tree = UnitFactory(kind=UnitKind.PROVINCE_BUREAU, division_id="230000")
    stranger = MembershipFactory(unit=another_tree, role=Role.PROVINCE_OFFICER).user
    assert list(requests_visible_to(province)) == [request]
    assert not requests_visible_to(stranger).exists()


def test_refused_decision_keeps_what_was_typed(world, login):
    from tests.factories import SchoolClassFactory, make_pupil

    world.classes["a1_6_1"] = SchoolClassFactory(school=world.units["a1"], grade=6, number=1)
    world.classes["b1_6_1"] = SchoolClassFactory(school=world.units["b1"], grade=6, number=1)
    world.pupils["a1_6"] = make_pupil(world.units["a1"], world.classes["a1_6_1"], name="毕业生")
    request = start(world, "a1_6", to_class="b1_6_1")
    decide(world, "headmaster_b1", request)
    response = login(world.user("officer_b")).post(
        f"/requests/{request.pk}/decide/", {"decision": "approve", "comment": "同意转入，请尽快办理"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "特批理由" in body and "同意转入，请尽快办理</textarea>" in body
    request.refresh_from_db()
    assert request.current_position == 1
