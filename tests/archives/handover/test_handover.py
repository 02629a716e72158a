"""The paper file's hand-over after a transfer (archives/handover/services.py, views.py, home.py): due one month
after the last approval; overdue from the day after, with the days overdue, on both schools' and
both bureaus' home pages and lists; the sending school marks it sent, the receiving school
confirms receipt, each once and no one else."""

from datetime import timedelta

import pytest
from dateutil.relativedelta import relativedelta
from django.core.exceptions import ValidationError
from django.utils import timezone

from archives.handover.services import handover_confirm_received, handover_mark_sent
from tests.archives.rollcall.helpers import frozen
from tests.transfers.test_transitions import approved

FOUR_PAGES = ("registrar_a1", "registrar_b1", "officer_a", "officer_b")


@pytest.fixture
def handover(world):
    """A1's pupil 张小明 transferred to B1 (county A → county B), approved today."""
    request = approved(world)
    handover = request.handover
    assert handover.due_date == timezone.localdate(request.finished_at) + relativedelta(months=1)
    return handover


def test_overdue_after_one_month_on_all_four_home_pages_and_lists_with_the_days(world, login, handover):
    with frozen(handover.due_date + timedelta(days=12)):
        for name in FOUR_PAGES:
            client = login(world.user(name))
            home = client.get("/").content.decode()
            assert "超过一个月未移交" in home and "张小明：农安县实验小学 → 榆树市实验小学，未移交" in home, name
            assert "已超期 12 天" in home, name
            listed = client.get("/archives/handovers/?show=overdue").content.decode()
            assert "张小明" in listed and "已超期 12 天" in listed, name


def test_not_overdue_on_the_due_day_itself(world, login, handover):
    with frozen(handover.due_date):
        for name in FOUR_PAGES:
            client = login(world.user(name))
            assert "超过一个月未移交" not in client.get("/").content.decode(), name
            assert "张小明" not in client.get("/archives/handovers/?show=overdue").content.decode(), name
            assert "张小明" in client.get("/archives/handovers/").content.decode(), name


def test_sent_but_not_received_stays_overdue_and_receipt_ends_it(world, login, handover):
    handover_mark_sent(actor=world.user("registrar_a1"), handover_id=handover.pk, method="in_person")
    with frozen(handover.due_date + timedelta(days=3)):
        home = login(world.user("officer_b")).get("/").content.decode()
        assert "张小明：农安县实验小学 → 榆树市实验小学，已寄出未确认收到" in home and "已超期 3 天" in home
        assert login(world.user("registrar_b1")).post(f"/archives/handovers/{handover.pk}/received/", {"receiver_name": "王老师"}).status_code == 302
        for name in FOUR_PAGES:
            client = login(world.user(name))
            assert "超过一个月未移交" not in client.get("/").content.decode(), name
            assert "张小明" in client.get("/archives/handovers/?show=all").content.decode(), name
    handover.refresh_from_db()
    assert handover.received_by == world.user("registrar_b1")


def test_other_schools_and_counties_do_not_see_or_act_on_it(world, login, handover):
    with frozen(handover.due_date + timedelta(days=5)):
        for name in ("registrar_a2", "headmaster_a2", "central_a3", "teacher_a1"):
            client = login(world.user(name))
            assert "张小明" not in client.get("/archives/handovers/?show=all").content.decode(), name
            assert "超过一个月未移交" not in client.get("/").content.decode(), name
            assert client.post(f"/archives/handovers/{handover.pk}/sent/").status_code == 404, name
    handover.refresh_from_db()
    assert handover.sent_at is None


def test_each_school_only_its_own_step_and_each_once(world, login, handover):
    # On the page: the receiving school cannot mark it sent; the sending school cannot confirm.
    client = login(world.user("registrar_b1"))
    client.post(f"/archives/handovers/{handover.pk}/sent/")
    client = login(world.user("registrar_a1"))
    client.post(f"/archives/handovers/{handover.pk}/received/")
    handover.refresh_from_db()
    assert handover.sent_at is None and handover.received_at is None
    assert client.post(f"/archives/handovers/{handover.pk}/lost/").status_code == 404
    handover_mark_sent(actor=world.user("registrar_a1"), handover_id=handover.pk, method="in_person")
    with pytest.raises(ValidationError, match="已登记过"):
        handover_mark_sent(actor=world.user("headmaster_a1"), handover_id=handover.pk, method="in_person")
    with pytest.raises(ValidationError, match="只有转入学校"):
        handover_confirm_received(actor=world.user("officer_b"), handover_id=handover.pk, receiver_name="王老师")
    handover_confirm_received(actor=world.user("headmaster_b1"), handover_id=handover.pk, receiver_name="王老师")
    with pytest.raises(ValidationError, match="已确认收到"):
        handover_confirm_received(actor=world.user("registrar_b1"), handover_id=handover.pk, receiver_name="王老师")
