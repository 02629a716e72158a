"""What a receiving school learns when it types another school's 学籍号 (or ID number) and name
to start a transfer in: the request when the transfer may start; when it is refused for something
about the pupil (a sanction, a status), nothing — the answer is exactly a miss's, through the
service, the page and the API — and the refusal is audited without the ID number in clear."""

import re
from datetime import date

import pytest
import time_machine
from django.core.exceptions import ValidationError

from tests.factories import MembershipFactory
from tests.transfers.conftest import proof, start
from xueji.accounts.models import AuditEntry, Role
from xueji.codes import PupilStatus
from xueji.pupils.models import Sanction
from xueji.pupils.selectors import PUPIL_NOT_FOUND
from xueji.pupils.services import pupil_set_status

DURING_SANCTION = "2026-11-23 10:00 +0800"


@pytest.fixture
def sanctioned(world):
    """a1 (县 A) under a sanction until next summer: no transfer while it lasts."""
    Sanction.objects.create(pupil=world.pupils["a1"], kind="demerit", start_date=date(2026, 10, 1),
                            end_date=date(2027, 6, 30), reason="打架", recorded_by=world.user("registrar_a1"))
    return world


def answer(world, **kwargs) -> tuple[list[str], set]:
    with pytest.raises(ValidationError) as error:
        start(world, **kwargs)
    return error.value.messages, {e.code for e in error.value.error_list}


def audit_texts() -> str:
    return "\n".join(f"{e.username} {e.object_id} {e.object_repr} {e.detail}" for e in AuditEntry.objects.all())


def assert_no_number_in_clear(pupil) -> None:
    texts = audit_texts()
    assert pupil.id_number not in texts and pupil.student_number not in texts


def test_another_countys_pupil_under_sanction_is_answered_exactly_as_not_found(sanctioned):
    world = sanctioned
    pupil = world.pupils["a1"]
    with time_machine.travel(DURING_SANCTION):
        refused = answer(world)
        missed = answer(world, name="错名字")
    assert refused == missed == ([PUPIL_NOT_FOUND], {"pupil_not_found"})
    assert "处分" not in refused[0] and pupil.school.name not in refused[0]


def test_status_grade_and_open_request_say_nothing_either(world):
    missed = answer(world, name="错名字")
    start(world)  # an open request now
    assert answer(world) == missed
    pupil_set_status(actor=None, pupil=world.pupils["a3"], status=PupilStatus.DECEASED, effective_date=date(2026, 9, 1),
                     reason="测试")
    assert answer(world, pupil_key="a3") == missed  # 死亡, in the same county as the receiving school or not
    assert answer(world, pupil_key="a3", to="a1", to_class="a1_3_2") == missed


def test_the_refusal_is_audited_for_both_sides_and_the_asking_side_cannot_tell_it_from_a_miss(sanctioned):
    world = sanctioned
    pupil = world.pupils["a1"]
    with time_machine.travel(DURING_SANCTION):
        answer(world, number=pupil.id_number)
        answer(world, number=pupil.id_number, name="错名字")
    asking = list(AuditEntry.objects.filter(action="pupil.lookup", unit=world.units["b1"]).order_by("id"))
    assert len(asking) == 2
    fields = [(e.username, e.role, e.result, e.object_type, e.object_id, e.object_repr, e.detail) for e in asking]
    assert fields[0] == fields[1]
    assert fields[0][:5] == ("registrar_b1", Role.REGISTRAR, AuditEntry.Result.DENIED, "", "")
    # The pupil's side: the pupil and the reason, for the school (and bureaus) that see both.
    [told] = AuditEntry.objects.filter(action="pupil.lookup", object_type="pupil", object_id=str(pupil.pk))
    assert told.unit == pupil.school and told.result == AuditEntry.Result.DENIED
    assert "处分期内" in told.detail and world.units["b1"].name in told.detail
    assert_no_number_in_clear(pupil)


def test_a_user_who_sees_the_pupil_is_told_the_reason(world):
    """registrar_a1 also registers for the central school above A3: A3's pupils are in scope."""
    MembershipFactory(user=world.user("registrar_a1"), unit=world.units["central_a"], role=Role.CENTRAL_REGISTRAR)
    world.user("registrar_a1").__dict__.pop("_xueji_memberships", None)
    Sanction.objects.create(pupil=world.pupils["a3"], kind="warning", start_date=date(2026, 10, 1), end_date=None,
                            reason="迟到", recorded_by=world.user("central_a3"))
    with time_machine.travel(DURING_SANCTION):
        messages, codes = answer(world, pupil_key="a3", to="a1", to_class="a1_3_2")
    assert codes == {"sanction"} and "处分期内" in messages[0]
    assert not AuditEntry.objects.filter(action="pupil.lookup").exists()


def test_a_transfer_that_may_start_is_not_a_refusal(world):
    request = start(world)
    assert request.payload["from_school_name"] == world.units["a1"].name  # what the request shows
    assert not AuditEntry.objects.filter(action="pupil.lookup").exists()


def _post_page(client, world, pupil, name):
    return client.post("/transfers/new/", {
        "number": pupil.student_number, "name": name, "grounds": "job", "grounds_note": "",
        "target_class": world.classes["b1_3_1"].pk, "files": [proof()],
    })


def _without_echo(body: str, name: str) -> str:
    body = re.sub(r'(csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]*', "", body)
    return body.replace(name, "NAME")


def test_the_page_answers_a_refusal_as_a_miss(sanctioned, login):
    world = sanctioned
    pupil = world.pupils["a1"]
    with time_machine.travel(DURING_SANCTION):
        client = login(world.user("registrar_b1"))
        refused = _post_page(client, world, pupil, pupil.name)
        missed = _post_page(client, world, pupil, "错名字")
    assert refused.status_code == missed.status_code == 200
    assert refused.context["form"].errors == missed.context["form"].errors
    assert PUPIL_NOT_FOUND in refused.context["form"].non_field_errors()
    body = refused.content.decode()
    assert _without_echo(body, pupil.name) == _without_echo(missed.content.decode(), "错名字")
    assert "处分" not in body and "记过" not in body and pupil.school.name not in body
    assert AuditEntry.objects.filter(action="pupil.lookup", unit=world.units["b1"]).count() == 2
    assert_no_number_in_clear(pupil)


def test_the_api_answers_a_refusal_as_a_miss(sanctioned, api_as):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.transfers.conftest import PDF

    world = sanctioned
    pupil = world.pupils["a1"]
    def post(name):
        return client.post("/api/v1/transfers/", {
            "number": pupil.id_number, "name": name, "grounds": "job", "target_class": world.classes["b1_3_1"].pk,
            "files": [SimpleUploadedFile("调令.pdf", PDF)],
        }, format="multipart")

    with time_machine.travel(DURING_SANCTION):
        client = api_as("registrar_b1")
        refused, missed = post(pupil.name), post("错名字")
    assert refused.status_code == missed.status_code == 400
    assert refused.json() == missed.json() == {"detail": [PUPIL_NOT_FOUND]}
    assert AuditEntry.objects.filter(action="pupil.lookup", unit=world.units["b1"]).count() == 2
    assert_no_number_in_clear(pupil)
