#!/usr/bin/env python
"""Benchmark: the yearly promotion (升级) of 1,000,000 pupils on PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/promotion.py [--pupils 1000000] [--runs 3] [--rebuild]

It works in databases of its own (see benchmarks/_setup.py): ``xueji_bench_promotion_base`` holds
the pupils of benchmarks/pupil_search.py (1,000,000 in 20 counties and 800 schools, copied from
``xueji_bench`` when that holds the same data set and nobody is connected to it, else built the
same way) with, for one school in four, next year's classes prepared and its classes mapped to
other numbers (the registrar's plan); it is kept between runs. Each measured run starts from a
fresh copy of it, ``xueji_bench_promotion`` (CREATE DATABASE … TEMPLATE), and times

* the first run: ``promotion_daily`` on 10 August 2027, the daily job's work on the promotion
  date: every bureau's run, school by school, each school one transaction of set-based statements,
  with pghistory's triggers writing every promoted pupil's field history (``--workers 2``: the
  bureaus' runs shared out over two processes, as the Celery task hands each run to a worker);
* the second run: every run executed again, which must change nothing (no pupil, no event, no
  class) — the idempotent rerun after a crash or a redelivered task.

It checks the result (every enrolled pupil below the graduating grade moved up once, one history
event each, graduating grades and other statuses untouched) and prints each run and the medians.
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1_000_000, help="pupils in the data set (default 1,000,000)")
    parser.add_argument("--runs", type=int, default=3, help="measured runs, each on a fresh copy (default 3)")
    parser.add_argument("--database", default="xueji_bench_promotion", help="the database each run works in")
    parser.add_argument("--pupils-from",
                        help="copy the pupils from this database when it holds the same data set "
                             "(default pupil_search's for the size: xueji_bench, xueji_bench_10m)")
    parser.add_argument("--allow-copies", action="store_true",
                        help="with a province's pupils, copy them anyway (a base and a run copy: ~35 GB more)")
    parser.add_argument("--rebuild", action="store_true", help="drop the base database and build it again")
    parser.add_argument("--workers", type=int, default=1,
                        help="processes carrying out the bureaus' runs side by side, as Celery workers do "
                             "(default 1: promotion_daily, run after run)")
    args = parser.parse_args()
    args.pupils_from = args.pupils_from or pupil_search.default_database(args.pupils)
    if args.pupils >= pupil_search.PROVINCE_FROM and not args.allow_copies:
        raise SystemExit("A province's promotion works on copies of its ~17 GB database (a base and a fresh run "
                         "copy each time): check the free disk space, then pass --allow-copies.")

    base_name = f"{args.database}_base"
    base_url = _setup.bench_database_url(base_name)
    run_url = _setup.bench_database_url(args.database)
    pupils_signature = {"version": pupil_search.DATASET_VERSION, "pupils": args.pupils, "seed": pupil_search.SEED}
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
    pupil_search._prepare_indexes_for_migrate()
    _setup.migrate()
    pupil_search._sync_pupil_indexes()
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
    _print_header(args, build, expected)
    _switch_to(None)  # nobody may be connected to the template while it is copied

    results = []
    for number in range(1, args.runs + 1):
        copy_seconds = _fresh_copy(base_name, run_url)
        _switch_to(args.database)
        results.append(measure(expected, args.workers))
        result = results[-1]
        print(f"run {number}: copy {copy_seconds:.1f} s · first run {result['first']:.1f} s "
              f"({result['promoted']:,} pupils, {result['schools']} schools, slowest school {result['slowest_school']:.2f} s) · "
              f"second run {result['second']:.2f} s (changed nothing: {result['unchanged']})", flush=True)
        _switch_to(None)

    firsts = [r["first"] for r in results]
    seconds = [r["second"] for r in results]
    print()
    print(f"median of {len(results)}: first run {statistics.median(firsts):.1f} s "
          f"({expected['promotable'] / statistics.median(firsts):,.0f} pupils/s), "
          f"second (idempotent) run {statistics.median(seconds):.2f} s")
    return 0


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
    with psycopg.connect(_setup.maintenance_url(run_url), autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
            sql.Identifier(_setup.database_name(run_url)), sql.Identifier(base_name)))
    return time.perf_counter() - started


def _switch_to(name: str | None) -> None:
    """Close Django's connection; the next query connects to database ``name``."""
    from django.db import connection

    connection.close()
    if name:
        connection.settings_dict["NAME"] = name


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


def _execute_side_by_side(run_ids: list[int], workers: int) -> None:
    """The runs shared out over ``workers`` processes (forked, each with its own connection), as
    the daily task hands each bureau's run to whichever Celery worker is free."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
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


def _print_header(args, build: dict, expected: dict) -> None:
    print()
    print("Promotion (升级) benchmark")
    for key, value in _setup.server_facts().items():
        print(f"  {key}: {value}")
    for key, value in build.items():
        print(f"  built {key}: {value:.1f} s")
    print(f"  pupils: {expected['pupils']:,}; to move up (enrolled, grades 1–5 and 7–8): {expected['promotable']:,}; "
          f"enrolled in graduating grades (stay): {expected['graduating']:,}; schools: {expected['schools']}")
    print(f"  runs: {args.runs}, each on a fresh copy of the base; workers: {args.workers}")
    print(flush=True)


if __name__ == "__main__":
    raise SystemExit(main())
