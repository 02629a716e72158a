#!/usr/bin/env python
"""Benchmark: the yearly promotion (升级) of 1,000,000 pupils on PostgreSQL, beside its floor.

Run from the project root:

    .venv/bin/python benchmarks/promotion.py [--pupils 1000000] [--runs 3] [--workers 2] [--rebuild]
    .venv/bin/python benchmarks/promotion.py --pupils 10000000 --workers 2 --in-place

It works in databases of its own (see benchmarks/_setup.py): ``xueji_bench_promotion_base`` holds
the pupils of benchmarks/pupil_search.py (1,000,000 in 20 counties and 800 schools, copied from
``xueji_bench`` — or ``--pupils-from`` — when that holds the same data set and nobody is connected
to it, else built the same way) with, for one school in four, next year's classes prepared and its
classes mapped to other numbers (the registrar's plan); it is kept between runs. Each measured run
times, each on a fresh copy of it, ``xueji_bench_promotion`` (CREATE DATABASE … TEMPLATE):

* the floor: the least the database must do to promote the same pupils — next year's missing
  classes inserted, then for each grade from the top down one set-based UPDATE of the pupils that
  move up (grade, class by the plan's mapping, updated_at), with pghistory's triggers writing every
  promoted pupil's history event — in one transaction per connection (as many as the promotion
  has workers, each for its share of the schools, unless ``--floor-connections``), rolled back
  (see ``measure_floor``);
* the first run: ``promotion_daily`` on 10 August 2027, the daily job's work on the promotion
  date: every bureau's run, school by school, each school one transaction of set-based statements,
  with pghistory's triggers writing every promoted pupil's field history (``--workers 2``: the
  bureaus' runs shared out over two processes, as the Celery task hands each run to a worker);
* the second run: every run executed again, which must change nothing (no pupil, no event, no
  class) — the idempotent rerun after a crash or a redelivered task.

It checks the result (every enrolled pupil below the graduating grade moved up once, one history
event each, graduating grades and other statuses untouched) and prints each run, the medians and
the verdict against the targets: the province (10,000,000 pupils) promoted within 15 minutes on two
workers, and within twice the floor measured in the same run.

``--in-place`` is for a data set too big to copy (the province's, ~16 GB): it works directly in
pupil_search's database of that size (``--pupils-from``, default ``xueji_bench_10m`` for
10,000,000), prepares the plans there, measures the floor (rolled back) and the promotion once, and
then deletes that database's data-set signature, so that pupil_search.py (and the benchmarks that
borrow its pupils) rebuild it rather than measure on promoted pupils.
"""

import argparse
import statistics
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402
import pupil_search  # noqa: E402  (its data set of pupils and its bookkeeping)

# Bump when the prepared plans change, so that an old base is rebuilt.
DATASET_VERSION = 1
PROMOTION_DAY = date(2027, 8, 10)  # closes school year 2026 (the data set's), opens 2027
PLANNED_SCHOOLS = 4  # one school in this many has next year's classes and a mapping ready
# The targets: the province's pupils on two workers within 15 minutes, and within twice
# the floor of the same run.
TARGET_PUPILS = 10_000_000
TARGET_WORKERS = 2
TARGET_SECONDS = 15 * 60
TARGET_FLOOR_RATIO = 2.0
# Where --in-place notes, in pupil_search's meta table, what it did to that database's data set.
IN_PLACE_KEY = "promotion_in_place"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1_000_000, help="pupils in the data set (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs, each on a fresh copy (default 3)")
    parser.add_argument("--database", default="xueji_bench_promotion",
                        help="the database each run works in (its base: the same name + _base)")
    parser.add_argument("--pupils-from",
                        help="copy the pupils from this database when it holds the same data set; with "
                             "--in-place, the database promoted (default pupil_search's for the size: "
                             "xueji_bench, xueji_bench_10m)")
    parser.add_argument("--allow-copies", action="store_true",
                        help="with a province's pupils, copy them anyway (a base and a run copy: ~35 GB more)")
    parser.add_argument("--in-place", action="store_true",
                        help="no copies: prepare the plans in --pupils-from itself, measure the floor and the "
                             "promotion once there, then mark its data set as changed (pupil_search rebuilds it)")
    parser.add_argument("--floor-connections", type=int,
                        help="connections doing the floor's statements side by side, each for its share of the "
                             "schools (default: --workers, the promotion's parallelism; 1: one transaction)")
    parser.add_argument("--rebuild", action="store_true", help="drop the base database and build it again")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes carrying out the bureaus' runs side by side, as Celery workers do "
                             "(default 1: promotion_daily, run after run)")
    args = parser.parse_args()
    args.pupils_from = args.pupils_from or pupil_search.default_database(args.pupils)
    args.floor_connections = args.floor_connections or max(1, args.workers)
    if args.in_place:
        return main_in_place(args)
    if args.pupils >= pupil_search.PROVINCE_FROM and not args.allow_copies:
        raise SystemExit("A province's promotion works on copies of its ~17 GB database (a base and a fresh run "
                         "copy each time): check the free disk space, then pass --allow-copies, or measure it "
                         "in pupil_search's database itself with --in-place.")

    base_name = f"{args.database}_base"
    base_url = _setup.bench_database_url(base_name)
    run_url = _setup.bench_database_url(args.database)
    pupils_signature = _pupils_signature(args.pupils)
    if _setup.database_exists(base_url) and (args.rebuild or pupil_search._read_signature(base_url) != pupils_signature):
        print(f"Dropping {base_name} (rebuild, or its pupils are not the requested ones) ...", flush=True)
        _setup.drop_database(base_url)
    build: dict[str, float] = {}
    if not _setup.database_exists(base_url):
        copied = _copy_database(args.pupils_from, base_url, pupils_signature)
        if copied is None:
            _setup.create_database(base_url)
        else:
            build["pupils (copied)"] = copied

    _setup.setup_django(base_url)
    _migrate()
    if pupil_search._read_signature(base_url) != pupils_signature:
        print(f"Building the pupils: {args.pupils:,} (as benchmarks/pupil_search.py does) ...", flush=True)
        started = time.perf_counter()
        pupil_search.build_dataset(args.pupils)
        pupil_search._write_meta("signature", pupils_signature)
        build["pupils"] = time.perf_counter() - started
    if pupil_search._read_meta("promotion_signature") != DATASET_VERSION:
        started = time.perf_counter()
        prepare_plans()
        pupil_search._write_meta("promotion_signature", DATASET_VERSION)
        build["plans"] = time.perf_counter() - started
    expected = _expected_counts()
    _print_header(args, build, expected, f"each on a fresh copy of {base_name}")
    _switch_to(None)  # nobody may be connected to the template while it is copied

    results = []
    for number in range(1, args.runs + 1):
        # The floor on a copy of its own: its rolled-back row versions (dead tuples, grown
        # indexes) would otherwise be in the way of the promotion, which is timed on fresh data.
        _fresh_copy(base_name, run_url)
        _switch_to(args.database)
        floor = measure_floor(expected, args.floor_connections)
        _switch_to(None)
        copy_seconds = _fresh_copy(base_name, run_url)
        _switch_to(args.database)
        result = measure(expected, args.workers)
        result["floor"] = floor["seconds"]
        results.append(result)
        print(f"run {number}: copy {copy_seconds:.1f} s · floor {floor['seconds']:.1f} s "
              f"({floor['updated']:,} pupils, {floor['connections']} connection(s), rolled back) · "
              f"first run {result['first']:.1f} s "
              f"({result['promoted']:,} pupils, {result['schools']} schools, "
              f"slowest school {result['slowest_school']:.2f} s; "
              f"{result['first'] / floor['seconds']:.2f}× the floor) · "
              f"second run {result['second']:.2f} s (changed nothing: {result['unchanged']})", flush=True)
        _switch_to(None)

    _print_verdict(args, expected, results)
    return 0


def main_in_place(args) -> int:
    """The promotion measured once in pupil_search's database itself (a province's data set is too
    big to copy twice): plans prepared there, the floor rolled back, the promotion and its rerun;
    then that database's data set is marked as changed, whatever happened."""
    url = _setup.bench_database_url(args.pupils_from)
    pupils_signature = _pupils_signature(args.pupils)
    if not _setup.database_exists(url):
        raise SystemExit(f"{args.pupils_from} does not exist: build its pupils first "
                         f"(benchmarks/pupil_search.py --pupils {args.pupils} --database {args.pupils_from}).")
    _setup.setup_django(url)
    state = pupil_search._read_meta(IN_PLACE_KEY)
    signature = pupil_search._read_signature(url)
    # Untouched: pupil_search's signature. Plans prepared by an earlier --in-place run that stopped
    # before the promotion: no signature, and our note says so; the pupils have not moved yet.
    resumable = (signature is None and bool(state) and state.get("pupils") == pupils_signature
                 and state.get("state") == "plans")
    if signature != pupils_signature and not resumable:
        raise SystemExit(
            f"{args.pupils_from} does not hold pupil_search's {args.pupils:,} pupils as built "
            f"(signature {signature!r}; {IN_PLACE_KEY} {state!r}): promoted already, or another data set. "
            f"Rebuild it first: benchmarks/pupil_search.py --pupils {args.pupils} --database {args.pupils_from}.")
    _migrate()

    build: dict[str, float] = {}
    if pupil_search._read_meta("promotion_signature") != DATASET_VERSION:
        # From the first write on, the database no longer holds pupil_search's data set as built.
        _mark_changed(pupils_signature, "plans")
        started = time.perf_counter()
        prepare_plans()
        pupil_search._write_meta("promotion_signature", DATASET_VERSION)
        build["plans"] = time.perf_counter() - started
    expected = _expected_counts()
    _print_header(args, build, expected, f"once, in {args.pupils_from} itself (--in-place)")

    floor = measure_floor(expected, args.floor_connections)
    print(f"floor {floor['seconds']:.1f} s ({floor['updated']:,} pupils, {floor['connections']} connection(s), "
          f"rolled back)", flush=True)
    vacuum_seconds = _vacuum_after_floor()
    print(f"  VACUUM after the floor (not timed): {vacuum_seconds:.1f} s", flush=True)
    _mark_changed(pupils_signature, "promoting")
    try:
        result = measure(expected, args.workers)
    finally:
        _mark_changed(pupils_signature, "promoted")
    result["floor"] = floor["seconds"]
    print(f"first run {result['first']:.1f} s ({result['promoted']:,} pupils, {result['schools']} schools, "
          f"slowest school {result['slowest_school']:.2f} s; {result['first'] / floor['seconds']:.2f}× the floor) · "
          f"second run {result['second']:.2f} s (changed nothing: {result['unchanged']})", flush=True)
    _print_verdict(args, expected, [result])
    print()
    print(f"{args.pupils_from} now holds promoted pupils: its data-set signature is deleted "
          f"(bench_dataset '{IN_PLACE_KEY}' says what happened), so benchmarks/pupil_search.py and the "
          f"benchmarks that use its pupils will rebuild it before measuring anything there.")
    return 0


def _pupils_signature(pupils: int) -> dict:
    return {"version": pupil_search.DATASET_VERSION, "pupils": pupils, "seed": pupil_search.SEED}


def _migrate() -> None:
    pupil_search._prepare_indexes_for_migrate()
    _setup.migrate()
    pupil_search._sync_pupil_indexes()


def _mark_changed(pupils_signature: dict, state: str) -> None:
    """The data set of pupil_search's database marked as changed (--in-place): its signature
    deleted — an altered one would still pass ``pupil_search.py --keep`` — and our note written
    in its place (``state``: plans, promoting, promoted), which only a rerun of --in-place reads."""
    from django.db import connection, transaction

    with transaction.atomic():
        pupil_search._write_meta(IN_PLACE_KEY, {"state": state, "pupils": pupils_signature, "day": str(PROMOTION_DAY)})
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM bench_dataset WHERE key = 'signature'")


def _print_verdict(args, expected: dict, results: list[dict]) -> None:
    firsts = [r["first"] for r in results]
    seconds = [r["second"] for r in results]
    floors = [r["floor"] for r in results]
    ratios = [r["first"] / r["floor"] for r in results]
    first, floor, ratio = statistics.median(firsts), statistics.median(floors), statistics.median(ratios)
    print()
    label = f"median of {len(results)}" if len(results) > 1 else "result"
    print(f"{label}: first run {first:.1f} s ({expected['promotable'] / first:,.0f} pupils/s), "
          f"floor {floor:.1f} s ({expected['promotable'] / floor:,.0f} pupils/s), "
          f"ratio {ratio:.2f}×; second (idempotent) run {statistics.median(seconds):.2f} s")
    within_time = first <= TARGET_SECONDS
    within_ratio = ratio <= TARGET_FLOOR_RATIO
    print(f"targets: the promotion within {TARGET_SECONDS // 60} min: {'yes' if within_time else 'NO'} "
          f"({first / 60:.1f} min); within {TARGET_FLOOR_RATIO:g}× the floor: {'yes' if within_ratio else 'NO'} "
          f"({ratio:.2f}×)")
    if args.pupils != TARGET_PUPILS or args.workers != TARGET_WORKERS:
        print(f"  (the targets are set for {TARGET_PUPILS:,} pupils on {TARGET_WORKERS} workers; this run: "
              f"{args.pupils:,} pupils on {args.workers}: the 15 minutes say little here, the ratio more)")
    print(f"verdict: {'met' if within_time and within_ratio else 'NOT met'}", flush=True)


# The databases -------------------------------------------------------------------------------

def _copy_database(source: str, url: str, signature: dict) -> float | None:
    """The base as a copy of ``source`` when that holds the same pupils (a file copy), else None."""
    import psycopg
    from psycopg import sql

    source_url = _setup.bench_database_url(source)
    if not _setup.database_exists(source_url) or pupil_search._read_signature(source_url) != signature:
        return None
    print(f"Copying the pupils from {source} ...", flush=True)
    started = time.perf_counter()
    try:
        with psycopg.connect(_setup.maintenance_url(url), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(_setup.database_name(url)), sql.Identifier(source)))
    except psycopg.Error as error:
        print(f"  could not copy ({str(error).strip()}); building them instead", flush=True)
        return None
    return time.perf_counter() - started


def _fresh_copy(base_name: str, run_url: str) -> float:
    import psycopg
    from psycopg import sql

    started = time.perf_counter()
    _setup.drop_database(run_url)
    # Right after the base is built, the connections of the build's worker processes may take a
    # moment to end on the server: the template is "being accessed by other users" until then.
    for attempt in range(30):
        try:
            with psycopg.connect(_setup.maintenance_url(run_url), autocommit=True) as conn:
                conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                    sql.Identifier(_setup.database_name(run_url)), sql.Identifier(base_name)))
            break
        except psycopg.errors.ObjectInUse:
            if attempt == 29:
                raise
            time.sleep(1)
            started = time.perf_counter()
    return time.perf_counter() - started


def _switch_to(name: str | None) -> None:
    """Close Django's connections; the next query connects to database ``name``."""
    from django.db import connection

    _close_connections()
    if name:
        connection.settings_dict["NAME"] = name


def _close_connections() -> None:
    """Django's connections really closed: with its pool (settings.DATABASE_POOL) ``close()``
    only gives a connection back to the pool, which keeps it open to the database it was made
    for — in the way of CREATE DATABASE … TEMPLATE, of switching databases, and of a forked
    process, which must not share the parent's sockets."""
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        conn.close()
        if hasattr(conn, "close_pool"):
            conn.close_pool()


# The registrars' plans -----------------------------------------------------------------------

def prepare_plans() -> None:
    """For one school in PLANNED_SCHOOLS: next year's classes of every grade that moves up (the
    same numbers), and each class of this year mapped to next year's class of the following
    number (the last to the first), as a registrar reshuffling classes would."""
    from django.db import transaction

    from schoolyear.dates import promotable_grades, school_year_get
    from schoolyear.models import ClassMapping
    from xueji.accounts.models import Unit, UnitKind, User
    from xueji.pupils.models import SchoolClass

    print("Preparing next year's classes and mappings for a quarter of the schools ...", flush=True)
    user, _ = User.objects.get_or_create(username="bench_promotion", defaults={"full_name": "升级基准"})
    with transaction.atomic():
        this_year, next_year = school_year_get(2026), school_year_get(2027)
        schools = list(Unit.objects.filter(kind=UnitKind.SCHOOL).order_by("pk"))[::PLANNED_SCHOOLS]
        classes = SchoolClass.objects.filter(school__in=schools, school_year=this_year)
        by_school: dict[int, list] = {}
        for school_class in classes:
            by_school.setdefault(school_class.school_id, []).append(school_class)
        new = []
        for school in schools:
            grades = promotable_grades(school)
            for school_class in by_school.get(school.pk, []):
                if school_class.grade in grades:
                    new.append(SchoolClass(school=school, school_year=next_year, grade=school_class.grade + 1,
                                           number=school_class.number))
        SchoolClass.objects.bulk_create(new, batch_size=5000, ignore_conflicts=True)
        targets = {(c.school_id, c.grade, c.number): c for c in SchoolClass.objects.filter(school__in=schools, school_year=next_year)}
        mappings = []
        for school in schools:
            sources = [c for c in by_school.get(school.pk, []) if c.grade in promotable_grades(school)]
            counts: dict[int, int] = {}
            for source in sources:
                counts[source.grade] = max(counts.get(source.grade, 0), source.number)
            for source in sources:
                number = source.number % counts[source.grade] + 1
                mappings.append(ClassMapping(from_class=source, to_class=targets[(school.pk, source.grade + 1, number)],
                                             set_by=user))
        ClassMapping.objects.bulk_create(mappings, batch_size=5000)
    print(f"  {len(schools)} schools: {len(new):,} classes of next year, {len(mappings):,} mappings", flush=True)


# Measuring -----------------------------------------------------------------------------------

def _expected_counts() -> dict:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("""
            SELECT count(*) FILTER (WHERE p.status = 'enrolled' AND p.deleted_at IS NULL
                                      AND p.grade NOT IN (6, 9)),
                   count(*),
                   count(*) FILTER (WHERE p.status = 'enrolled' AND p.deleted_at IS NULL AND p.grade IN (6, 9)),
                   (SELECT count(*) FROM xueji_unit WHERE kind = 'school')
            FROM xueji_pupil AS p
        """)
        promotable, pupils, graduating, schools = cursor.fetchone()
    return {"promotable": promotable, "pupils": pupils, "graduating": graduating, "schools": schools}


def _snapshot() -> tuple:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM xueji_pupilevent")
        events = cursor.fetchone()[0]
        cursor.execute("SELECT sum(grade), sum(COALESCE(school_class_id, 0)) FROM xueji_pupil")
        grades, classes = cursor.fetchone()
        cursor.execute("SELECT count(*) FROM xueji_schoolclass")
        class_count = cursor.fetchone()[0]
    return events, grades, classes, class_count


def measure(expected: dict, workers: int) -> dict:
    from django.db import connection

    from schoolyear import services
    from schoolyear.models import PromotionRun, PromotionSchool

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM xueji_pupil")  # connect, warm the catalogue
    events_before = _snapshot()[0]

    started = time.perf_counter()
    if workers <= 1:
        runs = services.promotion_daily(today=PROMOTION_DAY)
    else:
        due = [run.pk for run in services.promotion_due_runs(today=PROMOTION_DAY)]
        _execute_side_by_side(due, workers)
        runs = list(PromotionRun.objects.filter(pk__in=due).select_related("bureau"))
    first = time.perf_counter() - started

    promoted = sum(run.promoted for run in runs)
    schools = sum(run.schools_done for run in runs)
    assert all(run.status == "done" for run in runs), [(run.pk, run.errors) for run in runs if run.status != "done"]
    assert promoted == expected["promotable"], (promoted, expected["promotable"])
    after_first = _snapshot()
    assert after_first[0] - events_before == promoted, "one history event per promoted pupil"
    left = sum(PromotionSchool.objects.values_list("graduating_left", flat=True))
    assert left == expected["graduating"], (left, expected["graduating"])
    durations = _school_durations()

    started = time.perf_counter()
    again = [services.promotion_run_execute(run_id=run.pk) for run in runs]
    second = time.perf_counter() - started
    unchanged = _snapshot() == after_first and sum(run.promoted for run in again) == promoted
    assert unchanged, "the second run changed something"
    return {"first": first, "second": second, "promoted": promoted, "schools": schools, "unchanged": unchanged,
            "slowest_school": max(durations) if durations else 0.0}


# The floor ----------------------------------------------------------------------------------
#
# The least the database must do to promote the same pupils, province-wide and set-based: the
# classes of next year that pupils need and nobody planned inserted (as the promotion does, with
# the same condition), where each class of this year goes worked out once (the plan's mapping if
# it names a class of next year one grade up, else the class of the same number), and then, for
# each grade from the top down, one UPDATE of the enrolled pupils of that grade in this year's
# classes of the schools where it is not the graduating grade (grade + 1, class, updated_at: the
# columns the promotion changes), and one of those without a class (grade + 1). pghistory's
# triggers stay on, so every promoted pupil gets its history event, as in the real run.
#
# All of it in one transaction per connection (one by default per worker of the promotion, each
# for its share of the schools), timed up to the ROLLBACK. That is a fair floor: every row version,
# index entry and history event has been written, and logged in the WAL, by then; only the commit
# record and its flush are skipped, a few milliseconds. What it leaves out is what the promotion
# adds on top of the bare writes: a transaction, a lock and a report row per school, the counts
# of who stays behind, the audit entry, the bookkeeping of the runs.
_FLOOR_GRADES_SQL = """
CREATE TEMP TABLE floor_grades ON COMMIT DROP AS
SELECT * FROM unnest(%(schools)s::bigint[], %(grades)s::int[]) AS g (school_id, grade)
"""
_FLOOR_CLASSES_SQL = """
INSERT INTO xueji_schoolclass (school_id, school_year_id, grade, number)
SELECT DISTINCT c.school_id, %(next_year)s, c.grade + 1, c.number
FROM xueji_schoolclass AS c JOIN floor_grades AS g ON g.school_id = c.school_id AND g.grade = c.grade
WHERE c.school_year_id = %(this_year)s
  AND NOT EXISTS (
      SELECT 1 FROM schoolyear_classmapping AS m JOIN xueji_schoolclass AS t ON t.id = m.to_class_id
      WHERE m.from_class_id = c.id AND t.school_id = c.school_id AND t.school_year_id = %(next_year)s
        AND t.grade = c.grade + 1)
  AND EXISTS (
      SELECT 1 FROM xueji_pupil AS p
      WHERE p.school_class_id = c.id AND p.status = 'enrolled' AND p.deleted_at IS NULL AND p.grade = c.grade)
ON CONFLICT (school_id, school_year_id, grade, number) DO NOTHING
"""
_FLOOR_TARGETS_SQL = """
CREATE TEMP TABLE floor_targets ON COMMIT DROP AS
SELECT c.id AS from_class, c.grade, COALESCE(t.id, n.id) AS to_class
FROM xueji_schoolclass AS c
JOIN floor_grades AS g ON g.school_id = c.school_id AND g.grade = c.grade
LEFT JOIN schoolyear_classmapping AS m ON m.from_class_id = c.id
LEFT JOIN xueji_schoolclass AS t
    ON t.id = m.to_class_id AND t.school_id = c.school_id AND t.school_year_id = %(next_year)s AND t.grade = c.grade + 1
LEFT JOIN xueji_schoolclass AS n
    ON n.school_id = c.school_id AND n.school_year_id = %(next_year)s AND n.grade = c.grade + 1 AND n.number = c.number
WHERE c.school_year_id = %(this_year)s
"""
_FLOOR_MOVE_SQL = """
UPDATE xueji_pupil AS p
SET grade = p.grade + 1, school_class_id = t.to_class, updated_at = %(now)s
FROM floor_targets AS t
WHERE t.grade = %(grade)s AND p.school_class_id = t.from_class AND p.grade = %(grade)s
  AND p.status = 'enrolled' AND p.deleted_at IS NULL
"""
_FLOOR_MOVE_WITHOUT_CLASS_SQL = """
UPDATE xueji_pupil AS p
SET grade = p.grade + 1, updated_at = %(now)s
FROM floor_grades AS g
WHERE g.grade = %(grade)s AND p.school_id = g.school_id AND p.school_class_id IS NULL AND p.grade = %(grade)s
  AND p.status = 'enrolled' AND p.deleted_at IS NULL
"""


def measure_floor(expected: dict, connections: int = 1) -> dict:
    """The floor's seconds (from the first connection's start to the last one's rollback) and the
    pupils it moved; checks that it moved the pupils the promotion must move, each with one
    history event. Leaves the database as it was.

    ``connections`` > 1: the schools shared out over that many processes, each with its own
    connection and transaction doing the same statements for its schools, side by side — the
    floor of a promotion on as many workers (on one connection the floor uses one core, and two
    workers on two cores can beat it)."""
    from django.db import connection
    from django.utils import timezone

    from schoolyear.dates import promotable_grades
    from xueji.accounts.models import Unit, UnitKind
    from xueji.pupils.models import SchoolYear

    this_year = SchoolYear.objects.get(start_year=PROMOTION_DAY.year - 1)
    next_year = SchoolYear.objects.get(start_year=PROMOTION_DAY.year)  # prepare_plans made it
    pairs = [(school.pk, grade) for school in Unit.objects.filter(kind=UnitKind.SCHOOL).order_by("pk")
             for grade in promotable_grades(school)]
    school_ids = sorted({school for school, _ in pairs})
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(max(pgh_id), 0) FROM xueji_pupilevent")  # the last event so far
        last_event = cursor.fetchone()[0]
    shares = []
    for index in range(max(1, connections)):
        mine = set(school_ids[index::max(1, connections)])
        shares.append({
            "schools": [school for school, _ in pairs if school in mine],
            "grades": [grade for school, grade in pairs if school in mine],
            "this_year": this_year.pk, "next_year": next_year.pk, "now": timezone.now(), "last_event": last_event,
        })
    if len(shares) == 1:
        results = [_floor_share(shares[0])]
    else:
        import multiprocessing

        _close_connections()
        with multiprocessing.get_context("fork").Pool(len(shares)) as pool:
            results = pool.map(_floor_share, shares)
    updated = sum(r["updated"] for r in results)
    events = sum(r["events"] for r in results)
    seconds = max(r["ended"] for r in results) - min(r["started"] for r in results)
    assert updated == expected["promotable"], ("floor", updated, expected["promotable"])
    assert events == updated, ("floor: one history event per promoted pupil", events, updated)
    return {"seconds": seconds, "updated": updated, "events": events, "connections": len(shares)}


def _floor_share(params: dict) -> dict:
    """One connection's part of the floor: its schools' statements in one transaction, timed (on
    the system's monotonic clock, which every process shares) up to the rollback."""
    import pghistory
    from django.db import connection, transaction

    _close_connections()  # a forked process's own connection, never the parent's
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")  # connected before the clock starts, as the promotion's workers are
    updated = 0
    with transaction.atomic():
        started = time.monotonic()
        with pghistory.context(reason="升级的下限（基准，回滚）"), connection.cursor() as cursor:
            cursor.execute(_FLOOR_GRADES_SQL, params)
            cursor.execute("ANALYZE floor_grades")
            cursor.execute(_FLOOR_CLASSES_SQL, params)
            # No ANALYZE of xueji_schoolclass (it would wait for the other connections'
            # transactions): without it PostgreSQL expects one class of next year, just inserted,
            # and with nested loops joins every class to every other. Hash joins, then.
            cursor.execute("SET LOCAL enable_nestloop = off")
            cursor.execute(_FLOOR_TARGETS_SQL, params)
            cursor.execute("SET LOCAL enable_nestloop = on")
            cursor.execute("ANALYZE floor_targets")
            for grade in sorted(set(params["grades"]), reverse=True):
                # From the top down: a pupil moved into grade g + 1 is not in grade g + 1's statement.
                cursor.execute(_FLOOR_MOVE_SQL, {**params, "grade": grade})
                updated += cursor.rowcount
                cursor.execute(_FLOOR_MOVE_WITHOUT_CLASS_SQL, {**params, "grade": grade})
                updated += cursor.rowcount
        ended = time.monotonic()
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM xueji_pupilevent WHERE pgh_id > %s", [params["last_event"]])
            events = cursor.fetchone()[0]
        transaction.set_rollback(True)
    return {"started": started, "ended": ended, "updated": updated, "events": events}


def _vacuum_after_floor() -> float:
    """--in-place: the floor's rolled-back row versions and index entries cleared away before the
    promotion (not timed), so that it does not wade through them. The pages they filled stay, free
    for the promotion's new row versions: a little kinder to it than a fresh copy, where it must
    extend the files (the copy mode measures the floor on a copy of its own instead)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) xueji_pupil, xueji_pupilevent, xueji_schoolclass")
    return time.perf_counter() - started


def _execute_side_by_side(run_ids: list[int], workers: int) -> None:
    """The runs shared out over ``workers`` processes (forked, each with its own connection), as
    the daily task hands each bureau's run to whichever Celery worker is free."""
    import multiprocessing

    _close_connections()
    shares = [run_ids[index::workers] for index in range(workers)]
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pool.map(_execute_share, shares)


def _execute_share(run_ids: list[int]) -> None:
    from django.db import connections

    from schoolyear import services

    connections.close_all()  # the parent's connection is not this process's
    for run_id in run_ids:
        services.promotion_run_execute(run_id=run_id)


def _school_durations() -> list[float]:
    """Seconds between consecutive schools' rows within each run: each school's transaction."""
    from schoolyear.models import PromotionSchool

    durations = []
    previous: dict[int, object] = {}
    for run_id, done_at in PromotionSchool.objects.order_by("run_id", "done_at").values_list("run_id", "done_at"):
        if run_id in previous:
            durations.append((done_at - previous[run_id]).total_seconds())
        previous[run_id] = done_at
    return durations


def _print_header(args, build: dict, expected: dict, where: str) -> None:
    print()
    print("Promotion (升级) benchmark")
    for key, value in _setup.server_facts().items():
        print(f"  {key}: {value}")
    for key, value in build.items():
        print(f"  built {key}: {value:.1f} s")
    print(f"  pupils: {expected['pupils']:,}; to move up (enrolled, grades 1–5 and 7–8): {expected['promotable']:,}; "
          f"enrolled in graduating grades (stay): {expected['graduating']:,}; schools: {expected['schools']}")
    runs = 1 if args.in_place else args.runs
    print(f"  runs: {runs}, {where}; workers: {args.workers}; the floor's connections: {args.floor_connections}")
    print(f"  targets: {TARGET_PUPILS:,} pupils on {TARGET_WORKERS} workers within {TARGET_SECONDS // 60} min, "
          f"and within {TARGET_FLOOR_RATIO:g}× the floor measured in the same run")
    print(flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
