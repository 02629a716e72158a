"""Field history: who, when, old, new and the approving request, bulk writes included, and the
record as of any past date."""

from datetime import date, datetime

import pghistory
import pytest
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone

from tests.conftest import transactional
from tests.owner import backdate_history
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil
from xueji.pupils.models.pupils import GuardianEvent, PupilEvent
from xueji.pupils.selectors import guardians_as_of, pupil_as_of, pupil_field_history
from xueji.pupils.services import pupil_set_status, pupil_update


def backdate_new_events(since_id: dict, when: str) -> None:
    """Give the history events written since ``since_id`` the time ``when``.

    The events' times come from the database clock (NOW() in pghistory's triggers), which
    frozen Python time does not reach, and within one test transaction every event has the same
    NOW(). The history tables are append-only, for the application's role too: the owner does
    this one write (tests/owner.py), so the tests that use it run with real transactions."""
    at = timezone.make_aware(datetime.fromisoformat(when))
    backdate_history(PupilEvent._meta.db_table, at, after_id=since_id["pupil"])
    backdate_history(GuardianEvent._meta.db_table, at, after_id=since_id["guardian"])


def last_event_ids() -> dict:
    return {
        "pupil": PupilEvent.objects.order_by("-pgh_id").values_list("pgh_id", flat=True).first() or 0,
        "guardian": GuardianEvent.objects.order_by("-pgh_id").values_list("pgh_id", flat=True).first() or 0,
    }


def test_each_change_keeps_who_when_old_new_and_request(world):
    pupil = world.pupils["a1"]
    officer = world.user("officer_a")
    pupil_update(actor=officer, pupil=pupil, changes={"address": "农安镇新街9号"}, reason="家长申请", change_request_id=42)
    change = next(c for c in pupil_field_history(pupil) if c.field == "address")
    assert (change.old, change.new) == ("农安镇黄龙路1号", "农安镇新街9号")
    assert change.user_id == officer.pk
    assert change.change_request_id == 42
    assert change.reason == "家长申请"
    assert change.at is not None


def test_bulk_update_is_in_the_history_too(world):
    """A queryset update skips save() and signals; the database trigger still records it."""
    pupil = world.pupils["a1"]
    with pghistory.context(user=world.user("registrar_a1").pk):
        Pupil.objects.filter(pk=pupil.pk).update(address="批量修改的地址")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE xueji_pupil SET former_name = '张小小' WHERE id = %s", [pupil.pk])
    fields = {c.field: c for c in pupil_field_history(pupil)}
    assert fields["address"].new == "批量修改的地址"
    assert fields["address"].user_id == world.user("registrar_a1").pk
    assert fields["former_name"].new == "张小小"


@transactional
def test_record_as_it_stood_on_a_past_date(world):
    pupil = world.pupils["a1"]
    backdate_new_events({"pupil": 0, "guardian": 0}, "2026-08-20 09:00")  # its creation
    mark = last_event_ids()
    pupil_update(actor=None, pupil=pupil, changes={"address": "九月的地址"})
    backdate_new_events(mark, "2026-09-01 09:00")
    mark = last_event_ids()
    pupil_update(actor=None, pupil=pupil, changes={"address": "十一月的地址"})
    pupil_set_status(actor=None, pupil=pupil, status=PupilStatus.SUSPENDED, effective_date=date(2026, 11, 2), reason="病休")
    backdate_new_events(mark, "2026-11-02 09:00")
    assert pupil_as_of(pupil, date(2026, 10, 1)).address == "九月的地址"
    assert pupil_as_of(pupil, date(2026, 10, 1)).status == PupilStatus.ENROLLED
    november = pupil_as_of(pupil, date(2026, 11, 2))
    assert (november.address, november.status) == ("十一月的地址", PupilStatus.SUSPENDED)


@transactional
def test_record_did_not_exist_before_its_creation(world):
    backdate_new_events({"pupil": 0, "guardian": 0}, "2026-08-20 09:00")
    assert pupil_as_of(world.pupils["a1"], date(2026, 8, 19)) is None
    assert pupil_as_of(world.pupils["a1"], date(2026, 8, 20)).name == "张小明"


@transactional
def test_late_evening_change_counts_for_that_day_in_shanghai(world):
    """Dates are Asia/Shanghai: a change at 23:30 on 1 September belongs to 1 September."""
    pupil = world.pupils["a1"]
    backdate_new_events({"pupil": 0, "guardian": 0}, "2026-08-20 09:00")
    mark = last_event_ids()
    pupil_update(actor=None, pupil=pupil, changes={"address": "深夜修改"})
    backdate_new_events(mark, "2026-09-01 23:30")
    assert pupil_as_of(pupil, date(2026, 9, 1)).address == "深夜修改"
    assert pupil_as_of(pupil, date(2026, 8, 31)).address == "农安镇黄龙路1号"


def test_history_cannot_be_rewritten_by_the_application(world):
    with pytest.raises(ProgrammingError, match="permission denied for table xueji_pupilevent"), transaction.atomic():
        PupilEvent.objects.filter(pgh_obj_id=world.pupils["a1"].pk).update(name="篡改")
    assert not PupilEvent.objects.filter(name="篡改").exists()



@transactional
def test_guardians_as_of_a_past_date(world):
    pupil = world.pupils["a1"]
    backdate_new_events({"pupil": 0, "guardian": 0}, "2026-08-20 09:00")
    mark = last_event_ids()
    guardian = pupil.guardians.get(position=1)
    guardian.phone = "13811112222"
    guardian.save()
    backdate_new_events(mark, "2027-03-01 09:00")
    today_phone = guardians_as_of(pupil, date(2027, 3, 1))[0].phone
    earlier = guardians_as_of(pupil, date(2027, 2, 1))
    assert today_phone == "13811112222"
    assert earlier[0].phone == "13900000000"


def test_status_history_records_each_step(world):
    pupil = world.pupils["a2"]
    pupil_set_status(actor=world.user("registrar_a2"), pupil=pupil, status=PupilStatus.SUSPENDED,
                     effective_date=date(2026, 11, 2), reason="病休", change_request_id=7)
    steps = list(pupil.status_changes.values_list("from_status", "to_status", "change_request_id"))
    assert steps == [("", PupilStatus.ENROLLED, None), (PupilStatus.ENROLLED, PupilStatus.SUSPENDED, 7)]


def test_a_move_of_school_names_both_schools_with_their_classes(world, login):
    """Not "班级 三年级（1）班 → 三年级（1）班": one line, 转学, with the schools."""
    from tests.transfers.test_transitions import approved

    request = approved(world)
    changes = pupil_field_history(request.pupil)
    move = [c for c in changes if c.change_request_id == request.pk and c.field in ("school", "school_class")]
    assert [(c.label, c.old, c.new) for c in move] == [("转学", "农安县实验小学 三年级（1）班", "榆树市实验小学 三年级（1）班")]
    page = login(world.user("registrar_b1")).get(f"/pupils/{request.pupil_id}/").content.decode()
    assert "<td>转学</td>" in page and "农安县实验小学 三年级（1）班" in page


def test_yes_no_fields_read_as_words(world):
    from xueji.pupils.services import pupil_update

    pupil = pupil_update(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], changes={"orphan": True}, reason="核对")
    change = next(c for c in pupil_field_history(pupil) if c.field == "orphan")
    assert (change.old, change.new) == ("否", "是")


def test_leaving_a_class_reads_unassigned(world):
    from transfers.services import transfer_out_start
    from xueji.approvals.services import request_decide

    request = transfer_out_start(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], destination="台湾省台北市某小学",
                                 reason="随父母迁居", files=[])
    for name in ("headmaster_a1", "officer_a"):
        request_decide(actor=world.user(name), request_id=request.pk, approve=True)
    change = next(c for c in pupil_field_history(world.pupils["a1"]) if c.field == "school_class")
    assert (change.label, change.old, change.new) == ("班级", "三年级（1）班", "未分班")
