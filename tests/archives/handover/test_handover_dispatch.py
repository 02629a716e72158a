"""How the paper file travelled and who received it (archives/handover): in person, by post or by
courier, a tracking number required for post and courier; the receiver's name required; every
reason in Chinese on the form, with what was typed kept; shown on the hand-over's page and list."""

import pytest
from django.core.exceptions import ValidationError

from archives.handover.services import clean_dispatch, handover_confirm_received, handover_mark_sent
from tests.transfers.test_transitions import approved


@pytest.fixture
def handover(world):
    return approved(world).handover


@pytest.mark.parametrize("method", ["post", "courier"])
def test_post_and_courier_need_a_tracking_number(method):
    with pytest.raises(ValidationError) as error:
        clean_dispatch(method=method, tracking_number="  ")
    assert error.value.message_dict == {"tracking_number": ["邮寄或快递移交的，请填写单号。"]}
    with pytest.raises(ValidationError) as error:
        clean_dispatch(method=method, tracking_number="单号123456")
    assert "只能由字母、数字" in error.value.message_dict["tracking_number"][0]
    assert clean_dispatch(method=method, tracking_number="sf1234567890")["tracking_number"] == "SF1234567890"


def test_in_person_needs_none_and_keeps_none_and_a_method_is_required():
    assert clean_dispatch(method="in_person", tracking_number="SF1234567890", carrier="顺丰") == {
        "method": "in_person", "tracking_number": "", "carrier": ""}
    with pytest.raises(ValidationError) as error:
        clean_dispatch(method="", tracking_number="")
    assert error.value.message_dict == {"method": ["请选择移交方式：专人送达、邮寄或快递。"]}


def test_the_service_refuses_a_courier_without_number_and_saves_nothing(world, handover):
    with pytest.raises(ValidationError):
        handover_mark_sent(actor=world.user("registrar_a1"), handover_id=handover.pk, method="courier")
    handover.refresh_from_db()
    assert handover.sent_at is None and handover.method == ""


def test_the_receiver_is_named(world, handover):
    handover_mark_sent(actor=world.user("registrar_a1"), handover_id=handover.pk, method="in_person")
    with pytest.raises(ValidationError) as error:
        handover_confirm_received(actor=world.user("registrar_b1"), handover_id=handover.pk, receiver_name=" ")
    assert error.value.message_dict == {"receiver_name": ["请填写接收人姓名。"]}
    handover.refresh_from_db()
    assert handover.received_at is None


def test_the_page_keeps_what_was_typed_and_shows_how_it_travelled(world, login, handover):
    client = login(world.user("registrar_a1"))
    url = f"/archives/handovers/{handover.pk}/"
    response = client.post(f"{url}sent/", {"method": "courier", "carrier": "顺丰速运", "tracking_number": ""})
    page = response.content.decode()
    assert response.status_code == 200 and "邮寄或快递移交的，请填写单号。" in page and 'value="顺丰速运"' in page
    handover.refresh_from_db()
    assert handover.sent_at is None
    response = client.post(f"{url}sent/", {"method": "courier", "carrier": "顺丰速运", "tracking_number": "SF1234567890"})
    assert response.status_code == 302
    assert "快递（顺丰速运，单号 SF1234567890）" in client.get(url).content.decode()
    assert "快递（顺丰速运，单号 SF1234567890）" in client.get("/archives/handovers/?show=all").content.decode()
    client = login(world.user("registrar_b1"))
    response = client.post(f"{url}received/", {"receiver_name": ""})
    assert response.status_code == 200 and "请填写接收人姓名。" in response.content.decode()
    assert client.post(f"{url}received/", {"receiver_name": "赵会计"}).status_code == 302
    assert "赵会计" in client.get(url).content.decode()
    handover.refresh_from_db()
    assert (handover.receiver_name, handover.received_by) == ("赵会计", world.user("registrar_b1"))


def test_only_the_parties_open_the_hand_over(world, login, handover):
    assert login(world.user("registrar_a2")).get(f"/archives/handovers/{handover.pk}/").status_code == 404
    page = login(world.user("officer_b")).get(f"/archives/handovers/{handover.pk}/").content.decode()
    assert "张小明" in page and "登记已移交" not in page and "确认收到</button>" not in page
