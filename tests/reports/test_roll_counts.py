"""The statistics' counts kept per school and grade by the database (RollCount): every kind of
write keeps them equal to a count of the pupils, compaction keeps their sums, and a bureau's
statistics read them while a school's count its pupils."""

import pytest
from django.db import connection

from reports.statistics import _kept_counts, _pupil_counts, unit_statistics
from reports.tasks import compact_roll_counts
from tests.factories import make_pupil
from xueji.codes import Ethnicity, HukouType, IdType, LeftBehind, PupilStatus
from xueji.pupils.models import Pupil, RollCount, counts


def kept_sums() -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT school_id, grade, dimension, value, sum(n) FROM xueji_rollcount "
                       "GROUP BY 1, 2, 3, 4 HAVING sum(n) <> 0")
        return {row[:4]: row[4] for row in cursor.fetchall()}


def by_school_and_grade(rows: list[dict]) -> dict:
    """Grouped rows (_pupil_counts groups by ethnicity too) summed per school and grade."""
    summed: dict = {}
    for row in rows:
        line = summed.setdefault((row["school_id"], row["grade"]), {})
        for name, value in row.items():
            if name not in ("school_id", "grade", "ethnicity"):
                line[name] = line.get(name, 0) + value
    return summed


def assert_kept_counts_are_the_pupils(unit) -> None:
    """The counts the triggers kept equal both a recount from scratch and the statistics' own
    count of the pupils under ``unit``."""
    kept = kept_sums()
    counts.rebuild()
    assert kept_sums() == kept
    pupils = Pupil.objects.filter(school__path__startswith=unit.path, deleted_at__isnull=True)
    rows, ethnicity, visiting = _kept_counts(unit, "school")
    live_rows, live_ethnicity, live_visiting = _pupil_counts(pupils, "school")
    assert by_school_and_grade(rows) == by_school_and_grade(live_rows)
    assert dict(ethnicity) == dict(live_ethnicity)
    assert sorted((v["school_id"], v["grade"], v["n"]) for v in visiting) == sorted(
        (v["school_id"], v["grade"], v["n"]) for v in live_visiting)


def test_every_kind_of_write_keeps_the_counts(world):
    county, a1 = world.units["county_a"], world.units["a1"]
    assert kept_sums(), "the world's pupils are counted"
    assert_kept_counts_are_the_pupils(county)

    # One pupil changed through save(), in every counted column.
    pupil = world.pupils["a1"]
    pupil.ethnicity, pupil.left_behind = Ethnicity.KOREAN, LeftBehind.ONE_PARENT
    pupil.hukou_type = HukouType.NON_AGRICULTURAL
    pupil.migrant_child, pupil.preschool, pupil.needs_aid, pupil.disability = True, True, False, "4"
    pupil.save()
    assert_kept_counts_are_the_pupils(county)

    # Bulk: a whole school a grade up (as the promotion does), a status only, a name only.
    Pupil.objects.filter(school=a1).update(grade=4)
    Pupil.objects.filter(pk=world.pupils["a2"].pk).update(status=PupilStatus.SUSPENDED)
    Pupil.objects.filter(pk=world.pupils["a3"].pk).update(name="改名")
    assert_kept_counts_are_the_pupils(county)

    # Off the roll and back, into 借读, deleted (soft and for real), created.
    Pupil.objects.filter(pk=world.pupils["a2"].pk).update(status=PupilStatus.GRADUATED)
    Pupil.objects.filter(pk=world.pupils["a3"].pk).update(status=PupilStatus.VISITING)
    Pupil.objects.filter(pk=world.pupils["a1"].pk).update(deleted_at="2026-10-01T10:00:00+08:00")
    assert_kept_counts_are_the_pupils(county)
    Pupil.objects.filter(pk=world.pupils["a1"].pk).update(deleted_at=None, status=PupilStatus.DEFERRED)
    make_pupil(a1, world.classes["a1_3_1"], name="新生甲")
    assert_kept_counts_are_the_pupils(county)
    # Records are never deleted (their 学籍号 and status history hold them), but a row nothing
    # refers to yet can be: a bare copy of a record, saved and deleted again.
    copy = Pupil.objects.get(pk=world.pupils["a1_other"].pk)
    copy.pk, copy.student_number, copy.id_number, copy.id_type = None, "", "", IdType.NONE
    copy.save()
    assert_kept_counts_are_the_pupils(county)
    Pupil.objects.filter(pk=copy.pk).delete()
    assert_kept_counts_are_the_pupils(county)


def test_an_update_that_changes_nothing_counted_writes_no_rows(world):
    before = RollCount.objects.count()
    Pupil.objects.filter(school=world.units["a1"]).update(name="同名")
    assert RollCount.objects.count() == before


def test_compaction_folds_the_rows_and_keeps_the_sums(world):
    Pupil.objects.filter(pk=world.pupils["a1"].pk).update(grade=4)
    Pupil.objects.filter(pk=world.pupils["a1"].pk).update(grade=3)  # nets to zero again
    Pupil.objects.filter(pk=world.pupils["a2"].pk).update(grade=5)
    sums = kept_sums()
    rows_before = RollCount.objects.count()
    removed = compact_roll_counts()
    assert removed > 0 and RollCount.objects.count() == rows_before - removed
    assert kept_sums() == sums
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM (SELECT 1 FROM xueji_rollcount GROUP BY school_id, grade, dimension, "
                       "value HAVING count(*) > 1 OR sum(n) = 0) duplicated")
        assert cursor.fetchone()[0] == 0
    assert compact_roll_counts() == 0


@pytest.mark.parametrize("user, unit, reads_kept", [
    ("officer_a", "county_a", True), ("city_officer", "city", True), ("city_officer", "county_a", True),
    ("registrar_a1", "a1", False), ("city_officer", "a1", False),
])
def test_bureaus_read_the_kept_counts_and_schools_their_pupils(world, user, unit, reads_kept):
    """A stray delta (never written by a trigger) shows in the statistics that read the counts."""
    unit = world.units[unit]
    before = unit_statistics(world.user(user), unit)["total"].counts["total"]
    RollCount.objects.create(school=world.units["a1"], grade=3, dimension="total", value="", n=100)
    after = unit_statistics(world.user(user), unit)["total"].counts["total"]
    assert after - before == (100 if reads_kept else 0)


def test_writes_that_skip_pgtrigger_triggers_are_counted(world):
    """The encryption rewrite skips pgtrigger's triggers (no history for a re-encryption) while
    it rewrites the blind indexes the counts count by: the counts' own triggers still run."""
    import pgtrigger

    with pgtrigger.ignore():
        Pupil.objects.filter(pk=world.pupils["a1"].pk).update(grade=5, disability="4")
    assert_kept_counts_are_the_pupils(world.units["county_a"])
