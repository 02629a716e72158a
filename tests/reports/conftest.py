"""A small world with known changes in October 2026, for the monthly report's figures.

On top of the shared world (tests/conftest.py: pupils a1, a1_other at A1, a2 at A2, a3 at A3
under the central school, b1 at B1, all grade 3 but a2 in grade 8), each change made through the
services at its own moment (time frozen, so that each step is recorded when it would have been):

- 2026-09-20 转出甲 (A1, grade 4) leaves the system (转出): before the month;
- 2026-10-05 a2 (A2, grade 8) is suspended (休学): within the roll;
- 2026-10-08 新生乙, a new grade-1 pupil, is registered at A1: +1;
- 2026-10-09 借读丙 comes to A1 as a visiting pupil (借读): beside the roll, never in it;
- 2026-10-10 an information change of a1 is approved (a request that changes no status);
- 2026-10-12 a1_other moves from A1 to A3 (same county): A1 −1, A3 and the central school +1,
  the county neither;
- 2026-10-15 b1 moves from B1 (county B) to A1: A1 and county A +1, B1 and county B −1;
- 2026-10-20 a3 (A3) drops out (辍学, the record kept): within the roll;
- 2026-10-25 死亡丁 (A1, grade 5) dies: −1;
- 2026-10-28 删除戊 (A1, grade 2), a problem record, is deleted (删除): −1;
- 2026-11-03 出国己 (A1, grade 4) leaves to study abroad: after the month.

The records' field history (the grade on a day) is left at the database clock: every record has
the grade it was created with, which is still its grade.
"""

from datetime import date

import pytest
import time_machine

from tests.factories import SchoolClassFactory, guardian_data, pupil_data
from xueji.approvals.models import ChangeRequest, RequestParty
from xueji.codes import GuardianRelation, PupilStatus
from xueji.pupils.services import pupil_create, pupil_mark_deleted, pupil_move, pupil_set_status

OCTOBER = date(2026, 10, 1)
AFTER_OCTOBER = "2026-11-01 02:00 +0800"  # when the scheduler makes October's reports


def at(day: str):
    """Freeze the clock at 10:00 (Asia/Shanghai) of ``day``."""
    return time_machine.travel(f"{day} 10:00 +0800", tick=False)


def new_pupil(world, school: str, grade: int, name: str, *, entry: date, status: str = PupilStatus.ENROLLED, **data):
    """A record created at ``school`` in a class of ``grade`` (made when missing), entered on ``entry``."""
    unit = world.units[school]
    key = f"{school}_{grade}_1"
    if key not in world.classes:
        world.classes[key] = SchoolClassFactory(school=unit, grade=grade, number=1)
    return pupil_create(
        actor=world.user(f"registrar_{school}") if f"registrar_{school}" in world.users else None,
        school=unit, status=status,
        data=pupil_data(grade=grade, name=name, **data),
        guardians=[guardian_data(), guardian_data(relation=GuardianRelation.MOTHER)],
        grade=grade, entry_date=entry, school_class=world.classes[key],
    )


def add_october(world):
    """The month's changes above (and the ones just before and after it)."""
    registrar_a1, officer_a = world.user("registrar_a1"), world.user("officer_a")
    p = world.pupils
    p["left"] = new_pupil(world, "a1", 4, "转出甲", entry=date(2023, 9, 1))
    p["dead"] = new_pupil(world, "a1", 5, "死亡丁", entry=date(2022, 9, 1))
    p["deleted"] = new_pupil(world, "a1", 2, "删除戊", entry=date(2025, 9, 1))
    p["abroad"] = new_pupil(world, "a1", 4, "出国己", entry=date(2023, 9, 1))
    with at("2026-09-20"):
        pupil_set_status(actor=officer_a, pupil=p["left"], status=PupilStatus.TRANSFERRED_OUT,
                         effective_date=date(2026, 9, 20), reason="转出至外省")
    with at("2026-10-05"):
        pupil_set_status(actor=officer_a, pupil=p["a2"], status=PupilStatus.SUSPENDED,
                         effective_date=date(2026, 10, 5), reason="休学（因病）")
    with at("2026-10-08"):
        p["new"] = new_pupil(world, "a1", 1, "新生乙", entry=date(2026, 10, 8))
    with at("2026-10-09"):
        p["visiting"] = new_pupil(world, "a1", 3, "借读丙", entry=date(2026, 10, 9), status=PupilStatus.VISITING)
    with at("2026-10-10"):
        change = ChangeRequest.objects.create(
            kind="info_change", pupil=p["a1"], status="approved", started_by=registrar_a1,
            started_unit=world.units["a1"], finished_at="2026-10-10T10:00:00+08:00", payload={},
        )
        RequestParty.objects.create(request=change, unit=world.units["a1"])
        RequestParty.objects.create(request=change, unit=world.units["county_a"])
    with at("2026-10-12"):
        pupil_move(actor=officer_a, pupil=p["a1_other"], school=world.units["a3"], school_class=world.classes["a3_3_1"],
                   effective_date=date(2026, 10, 12), reason="转学：由农安县实验小学转入合隆镇陈家店小学")
    with at("2026-10-15"):
        pupil_move(actor=officer_a, pupil=p["b1"], school=world.units["a1"], school_class=world.classes["a1_3_1"],
                   effective_date=date(2026, 10, 15), reason="转学：由榆树市实验小学转入农安县实验小学")
    with at("2026-10-20"):
        pupil_set_status(actor=registrar_a1, pupil=p["a3"], status=PupilStatus.DROPPED_OUT,
                         effective_date=date(2026, 10, 20), reason="辍学：无故旷课")
    with at("2026-10-25"):
        pupil_set_status(actor=officer_a, pupil=p["dead"], status=PupilStatus.DECEASED,
                         effective_date=date(2026, 10, 25), reason="注销学籍：学生死亡")
    with at("2026-10-28"):
        pupil_mark_deleted(actor=officer_a, pupil=p["deleted"], reason="重复学籍")
    with at("2026-11-03"):
        pupil_set_status(actor=officer_a, pupil=p["abroad"], status=PupilStatus.ABROAD,
                         effective_date=date(2026, 11, 3), reason="出境学习")
    for pupil in p.values():
        pupil.refresh_from_db()
    return world


@pytest.fixture
def october(world):
    return add_october(world)
