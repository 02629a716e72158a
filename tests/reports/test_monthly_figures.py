"""Each figure of the monthly change report (学籍变动月报) for the October world of conftest.py."""

from datetime import date

import pytest
import time_machine

from reports.models import MonthlyReport
from reports.services import monthly_reports_generate
from tests.reports.conftest import AFTER_OCTOBER, OCTOBER


@pytest.fixture
def reports(october):
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        monthly_reports_generate(month=OCTOBER)
    return {key: MonthlyReport.objects.get(unit=unit, month=OCTOBER).figures
            for key, unit in october.units.items() if unit.kind in ("school", "central_school", "county_bureau")}


def kinds(figures) -> dict:
    return {c["kind"]: (c["count"], c["in"], c["out"], c["by_grade"]) for c in figures["changes"]}


def test_school_a1_october(reports):
    a1 = reports["a1"]
    assert a1["month"] == "2026-10" and a1["period"] == {"start": "2026-10-01", "end": "2026-10-31"}
    # On the roll on 30 September: a1, a1_other, 死亡丁, 删除戊, 出国己 (转出甲 left on 20 September).
    assert a1["start"]["total"] == 5
    assert a1["start"]["by_grade"] == {"2": 1, "3": 2, "4": 1, "5": 1}
    assert a1["start"]["by_status"]["enrolled"]["total"] == 5
    assert kinds(a1) == {
        "new_record": (1, 1, 0, {"1": 1}),
        "transfer_in": (1, 1, 0, {"3": 1}),
        "transfer_out": (1, 0, 1, {"3": 1}),
        "death": (1, 0, 1, {"5": 1}),
        "visiting": (1, 0, 0, {"3": 1}),
        "deletion": (1, 0, 1, {"2": 1}),
    }
    # 31 October: a1, b1, 新生乙, 出国己 (abroad only from 3 November); 借读丙 beside the roll.
    assert a1["end"]["total"] == 4
    assert a1["end"]["by_grade"] == {"1": 1, "3": 2, "4": 1}
    assert a1["end"]["visiting"] == 1
    assert a1["check"] == {"start": 5, "in": 2, "out": 3, "expected_end": 4, "end": 4, "difference": 0, "ok": True}
    assert a1["requests"] == [{"kind": "info_change", "label": "学籍信息变更", "count": 1}]


def test_school_details_name_each_change_with_the_other_school(reports, october):
    details = reports["a1"]["details"]
    assert [(d["date"], d["name"], d["label"], d["delta"]) for d in details] == [
        ("2026-10-08", "新生乙", "新生建籍", 1),
        ("2026-10-09", "借读丙", "借读", 0),
        ("2026-10-12", "李晓燕", "转出", -1),
        ("2026-10-15", "刘思远", "转入", 1),
        ("2026-10-25", "死亡丁", "死亡", -1),
        ("2026-10-28", "删除戊", "删除问题学籍", -1),
    ]
    moved_out = details[2]
    assert moved_out["other_school"] == "合隆镇陈家店小学"
    assert moved_out["student_number"] == october.pupils["a1_other"].student_number
    assert details[3]["other_school"] == "榆树市实验小学"


def test_receiving_school_and_its_central_school(reports):
    for key in ("a3", "central_a"):
        figures = reports[key]
        assert figures["start"]["total"] == 1
        assert kinds(figures) == {"transfer_in": (1, 1, 0, {"3": 1}), "dropout": (1, 0, 0, {"3": 1})}
        assert figures["end"]["total"] == 2
        assert figures["end"]["by_status"]["enrolled"]["total"] == 1
        assert figures["end"]["by_status"]["dropped_out"]["total"] == 1
        assert figures["check"]["ok"]
    assert reports["a3"]["details"][0]["other_school"] == "农安县实验小学"
    assert [line["name"] for line in reports["central_a"]["by_unit"]] == ["合隆镇陈家店小学"]


def test_suspension_stays_on_the_roll(reports):
    a2 = reports["a2"]
    assert kinds(a2) == {"suspension": (1, 0, 0, {"8": 1})}
    assert a2["start"]["by_status"]["enrolled"]["total"] == 1
    assert a2["end"]["by_status"]["suspended"] == {"total": 1, "by_grade": {"8": 1}}
    assert (a2["start"]["total"], a2["end"]["total"]) == (1, 1)


def test_county_counts_a_transfer_between_its_schools_as_neither(reports):
    county = reports["county_a"]
    # Columns for every grade its schools teach (primary A1, A3 and junior A2), counted or not.
    assert county["grades"] == list(range(1, 10)) and reports["a1"]["grades"] == list(range(1, 7))
    assert county["start"]["total"] == 7
    assert {k: v[:3] for k, v in kinds(county).items()} == {
        "new_record": (1, 1, 0), "transfer_in": (1, 1, 0), "transfer_within": (1, 0, 0), "suspension": (1, 0, 0),
        "dropout": (1, 0, 0), "death": (1, 0, 1), "visiting": (1, 0, 0), "deletion": (1, 0, 1),
    }
    assert county["end"]["total"] == 7
    assert county["check"] == {"start": 7, "in": 2, "out": 2, "expected_end": 7, "end": 7, "difference": 0, "ok": True}
    assert "details" not in county
    lines = {line["name"]: (line["start"], line["in"], line["out"], line["end"]) for line in county["by_unit"]}
    assert lines == {"农安县实验小学": (5, 2, 3, 4), "农安县第一中学": (1, 0, 0, 1), "合隆镇中心校": (1, 1, 0, 2),
                     "合隆镇陈家店小学": (1, 1, 0, 2)}
    # One request, however many of the county's units are its parties.
    assert county["requests"] == [{"kind": "info_change", "label": "学籍信息变更", "count": 1}]


def test_the_other_county_loses_the_pupil(reports):
    for key in ("county_b", "b1"):
        figures = reports[key]
        assert kinds(figures) == {"transfer_out": (1, 0, 1, {"3": 1})}
        assert (figures["start"]["total"], figures["end"]["total"]) == (1, 0)
        assert figures["check"]["ok"]
    assert reports["b2"]["check"] == {"start": 0, "in": 0, "out": 0, "expected_end": 0, "end": 0, "difference": 0,
                                      "ok": True}


@pytest.mark.parametrize("key", ["a1", "a2", "a3", "b1", "b2", "central_a", "county_a", "county_b"])
def test_start_plus_in_minus_out_is_end(reports, key):
    check = reports[key]["check"]
    assert check["start"] + check["in"] - check["out"] == check["end"]


def test_counts_as_of_a_date_not_from_todays_table(october):
    """Today 出国己 is abroad and a1_other at A3; October's report of A1 still has them as they were."""
    from reports.history import roll_as_of

    rows = roll_as_of(date(2026, 9, 30), october.units["a1"])
    assert sum(r.count for r in rows if r.status == "enrolled") == 5
    rows = roll_as_of(date(2026, 11, 30), october.units["a1"])
    assert {(r.status, r.grade): r.count for r in rows} == {("enrolled", 1): 1, ("enrolled", 3): 2, ("abroad", 4): 1,
                                                            ("visiting", 3): 1}


@pytest.mark.parametrize("key", ["a1", "county_a", None])
def test_the_rolls_of_several_days_at_once_are_each_days_roll(october, key):
    """The month's report reads its start and end in one pass (rolls_as_of): the same rows as a
    day read alone, whichever day comes first."""
    from reports.history import roll_as_of, rolls_as_of

    root = october.units[key] if key else None
    days = [date(2026, 11, 30), date(2026, 9, 30), date(2026, 10, 15)]
    together = rolls_as_of(days, root)
    assert set(together) == set(days)
    for day in days:
        assert sorted(together[day], key=repr) == sorted(roll_as_of(day, root), key=repr)
    assert together[date(2026, 9, 30)] != together[date(2026, 11, 30)]


@pytest.mark.django_db(transaction=True)  # the owner backdates the history (tests/owner.py)
def test_grade_on_a_date_comes_from_the_field_history(world):
    """A pupil promoted on 10 August counts in its old grade in July and its new one in August."""
    from datetime import datetime

    from django.utils import timezone

    from reports.history import roll_as_of
    from tests.owner import backdate_history
    from xueji.pupils.models import Pupil
    from xueji.pupils.models.pupils import PupilEvent

    pupil = world.pupils["b1"]
    table = PupilEvent._meta.db_table
    backdate_history(table, timezone.make_aware(datetime(2026, 6, 1, 9)), obj_id=pupil.pk)
    mark = PupilEvent.objects.order_by("-pgh_id").values_list("pgh_id", flat=True).first()
    Pupil.objects.filter(pk=pupil.pk).update(grade=4)
    backdate_history(table, timezone.make_aware(datetime(2026, 8, 10, 8)), after_id=mark)
    july = roll_as_of(date(2026, 7, 31), world.units["b1"])
    august = roll_as_of(date(2026, 8, 31), world.units["b1"])
    assert [(r.grade, r.count) for r in july] == [(3, 1)]
    assert [(r.grade, r.count) for r in august] == [(4, 1)]


def test_a_contradicting_history_fails_the_check(october):
    """A step recorded late whose effective date puts it before a step it did not know of."""
    from xueji.pupils.models import StatusChange

    pupil = october.pupils["a1"]
    with time_machine.travel("2026-10-20 10:00 +0800", tick=False):
        StatusChange.objects.create(pupil=pupil, from_status="enrolled", to_status="transferred_out",
                                    effective_date=date(2026, 10, 20), school=october.units["a1"], reason="转出")
    with time_machine.travel("2026-10-30 10:00 +0800", tick=False):
        StatusChange.objects.create(pupil=pupil, from_status="transferred_out", to_status="enrolled",
                                    effective_date=date(2026, 10, 10), school=october.units["a1"], reason="补录")
    with time_machine.travel(AFTER_OCTOBER, tick=False):
        monthly_reports_generate(month=OCTOBER)
    check = MonthlyReport.objects.get(unit=october.units["a1"], month=OCTOBER).figures["check"]
    assert check["start"] == 5 and check["end"] == 3
    assert check["ok"] is False and check["difference"] == -1
