"""Helpers of the schoolyear tests: the world's school year 2026—2027 closes in the summer of 2027
(graduation opens 1 July, requests cleared by 15 July, graduation by 31 July, promotion on 10
August); a graduating grade at A1 with pupils in every status that matters."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.factories import SchoolClassFactory, make_pupil
from xueji.approvals.services import request_start
from xueji.codes import PupilStatus
from xueji.pupils.services import pupil_set_status

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(day: date, hour: int = 10):
    """Travel to 10:00 (Asia/Shanghai) of a day, the clock stopped."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=SHANGHAI), tick=False)


def with_status(pupil, status: str):
    return pupil_set_status(actor=None, pupil=pupil, status=status, effective_date=date(2027, 3, 1), reason="测试")


def pending_suspension(world, pupil, school_key: str = "a1", registrar: str = "registrar_a1"):
    """An open 休学 of the pupil, waiting for the headmaster (its rules are suspensions' concern)."""
    return request_start(
        kind="suspension", actor=world.user(registrar), unit=world.units[school_key], pupil=pupil,
        payload={"grounds": "illness", "grounds_note": "", "hospital": "农安县人民医院", "period_start": "2027-06-20",
                 "period_end": "2028-06-20", "renewal_of": None, "consecutive_years": 1, "grade": pupil.grade,
                 "graduating": True, "over_cap": False},
    )


@pytest.fixture
def sixth_grade(world):
    """A1's sixth grade of 2026—2027: three enrolled pupils in 六年级（1）班, one suspended, one
    dropped out, one abroad; and B1's sixth grade with one enrolled pupil (another county)."""
    u = world.units
    world.classes["a1_6_1"] = SchoolClassFactory(school=u["a1"], grade=6, number=1)
    world.classes["b1_6_1"] = SchoolClassFactory(school=u["b1"], grade=6, number=1)
    c = world.classes
    names = {"enrolled": ["毕业甲", "毕业乙", "毕业丙"], PupilStatus.SUSPENDED: ["休学丁"],
             PupilStatus.DROPPED_OUT: ["辍学戊"], PupilStatus.ABROAD: ["出国己"]}
    grade6 = {}
    for status, group in names.items():
        for name in group:
            pupil = make_pupil(u["a1"], c["a1_6_1"], name=name)
            grade6[name] = pupil if status == "enrolled" else with_status(pupil, status)
    grade6["b1"] = make_pupil(u["b1"], c["b1_6_1"], name="榆树毕业", area="220182")
    world.grade6 = grade6
    return world
