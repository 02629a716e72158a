#!/usr/bin/env python
"""Benchmark: the statistics pages (统计) and the monthly change reports (月报) on 1,000,000 pupils.

Run from the project root:

    .venv/bin/python benchmarks/statistics_pages.py [--requests 30] [--rebuild] [--explain] [--only pages monthly]
                                                   [--monthly-series rolls county every scheduler]

(Not "statistics.py": run as a script, this folder comes first on sys.path, and a statistics.py
here would stand in for the standard library's module that pupil_search.py and approvals.py import.)

It works in a database of its own (``xueji_bench_stats``, see benchmarks/_setup.py): the pupils of
benchmarks/pupil_search.py (1,000,000, copied from ``xueji_bench`` when that holds the same data
set and nobody is connected to it, else built the same way). That data set has no status history
and no field history (its load switches the history triggers off), which the monthly report reads:
on top of it, with INSERT … SELECT, each pupil gets the first step of its status history (建立学籍
on its entry date), a second step for each pupil not in school (休学, 转出, 辍学 on a day from March
to November 2026, so that about a tenth of them fall in October), and the snapshot of its record
the history trigger would have written on creation.

Then it times, through the whole Django stack (``django.test.Client``), the statistics page
``/statistics/`` and the API ``/api/v1/statistics/`` as a county bureau officer (about 50,000
pupils in scope, by school), a city officer (about 300,000, by county), the province officer (every
pupil, by city) and a school registrar (about 1,000, by class), and the spreadsheet ``/statistics/export.xlsx`` of the county and the
city (its job's POST, the job run in this process as the worker runs it, the download); and the monthly reports of October 2026: the figures of one county's subtree (a bureau's
regeneration) and of the whole system (the scheduler's run on the 1st), and that run with its
writes (rolled back), and beside them the county's two rolls of the month (its start and end, the
report's main cost) as the report reads them, in one pass, and one day at a time, the report's
earlier way (``--monthly-series`` picks among them). Then the counting alone ("counting"), for
the county, the city and the province: from the counts kept per school and grade, as the pages
read them (xueji.pupils.models.counts), and from the pupils themselves, as they did before, in the
same run; the two totals must agree. It prints medians and 95th percentiles in ms.

The pages are measured with the Pupil indexes the model declares (pupil_search gives them to the
database, also before their migrations exist), among them the covering pupil_school_status_counts
the statistics are read from. Such a read skips the table only where the visibility map says a
page is all-visible: the header prints the share of such pages, which VACUUM restores.
"""

import argparse
import statistics as stats
import sys
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402
import approvals  # noqa: E402  (copying the pupils from xueji_bench)
import pupil_search  # noqa: E402  (its data set of pupils, its bookkeeping and output helpers)

HISTORY_VERSION = 1
MONTH = date(2026, 10, 1)
MONTHLY_SERIES = ("rolls", "county", "every", "scheduler")
SERIES = [
    # (user, label, path, endpoint)
    ("bench_county", "county officer", "/statistics/", "page"),
    ("bench_county", "county officer", "/api/v1/statistics/", "api"),
    ("bench_city", "city officer", "/statistics/", "page"),
    ("bench_city", "city officer", "/api/v1/statistics/", "api"),
    ("bench_province", "province officer", "/statistics/", "page"),
    ("bench_province", "province officer", "/api/v1/statistics/", "api"),
    ("bench_school", "school registrar", "/statistics/", "page"),
    ("bench_school", "school registrar", "/api/v1/statistics/", "api"),
    ("bench_county", "county officer", "/statistics/export.xlsx", "xlsx"),
    ("bench_city", "city officer", "/statistics/export.xlsx", "xlsx"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=1_000_000, help="pupils in the data set (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=30, help="timed requests per series (default 30)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed requests before each series")
    parser.add_argument("--monthly-runs", type=int, default=3, help="timed runs of each monthly series (default 3)")
    parser.add_argument("--database", help="benchmark database name (default xueji_bench_stats; with a province's "
                                           "pupils their own database, the history written there beside them)")
    parser.add_argument("--pupils-from",
                        help="copy the pupils from this database when it holds the same data set "
                             "(default pupil_search's for the size: xueji_bench, xueji_bench_10m)")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    parser.add_argument("--only", nargs="+", default=[], choices=["pages", "counting", "monthly"],
                        help="measure only these")
    parser.add_argument("--counting-runs", type=int, default=3,
                        help="timed runs of each counting series (default 3; the province counted from its "
                             "pupils takes seconds a run)")
    parser.add_argument("--monthly-series", nargs="+", default=list(MONTHLY_SERIES), choices=list(MONTHLY_SERIES),
                        help="the monthly series to measure (default all; 'every' and 'scheduler' take minutes "
                             "a run at 10,000,000 pupils)")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN (ANALYZE, BUFFERS) of the main statements")
    args = parser.parse_args()
    args.pupils_from = args.pupils_from or pupil_search.default_database(args.pupils)
    # A province's pupils are not copied (another ~17 GB): the history goes into their database.
    args.database = args.database or (
        args.pupils_from if args.pupils >= pupil_search.PROVINCE_FROM else "xueji_bench_stats")

    url = _setup.bench_database_url(args.database)
    signature = {"version": pupil_search.DATASET_VERSION, "pupils": args.pupils, "seed": pupil_search.SEED}
    if _setup.database_exists(url) and (args.rebuild or pupil_search._read_signature(url) != signature):
        print(f"Dropping {args.database} (rebuild, or its pupils are not the requested ones) ...", flush=True)
        _setup.drop_database(url)
    copied = None
    if not _setup.database_exists(url):
        copied = approvals._copy_pupils(args.pupils_from, url, signature)
        if copied is None:
            _setup.create_database(url)
    _setup.setup_django(url)
    pupil_search._prepare_indexes_for_migrate()
    _setup.migrate()
    pupil_search._sync_pupil_indexes()
    if pupil_search._read_signature(url) != signature:
        print(f"Building the pupils: {args.pupils:,} (as benchmarks/pupil_search.py does) ...", flush=True)
        started = time.perf_counter()
        pupil_search.build_dataset(args.pupils)
        pupil_search._write_meta("signature", signature)
        pupil_search._write_meta("load_seconds", round(time.perf_counter() - started, 1))
    elif copied is not None:
        print(f"Pupils copied from {args.pupils_from} in {copied:.0f} s", flush=True)
    only = set(args.only) or {"pages", "counting", "monthly"}
    history = {"version": HISTORY_VERSION}
    # The history only the monthly reports read (at 10,000,000 pupils it takes a while to write).
    if "monthly" in only and pupil_search._read_meta("history_signature") != history:
        print("Writing the status and field history ...", flush=True)
        started = time.perf_counter()
        build_history()
        pupil_search._write_meta("history_signature", history)
        print(f"  done in {time.perf_counter() - started:.0f} s", flush=True)

    _print_header()
    if args.explain:
        explain()
    results = []
    if "pages" in only:
        results += measure_pages(args)
    if "counting" in only:
        results += measure_counting(args)
    if "monthly" in only:
        results += measure_monthly(args)
    _print_table(results)
    return 0


def build_history() -> None:
    """The status history and the creation snapshot of every pupil, as the services and the
    history trigger would have written them."""
    from django.db import connection, transaction

    from xueji.pupils.models import StatusChange
    from xueji.pupils.models.pupils import PupilEvent

    fields = [f.column for f in PupilEvent._meta.concrete_fields
              if f.column not in ("pgh_id", "pgh_created_at", "pgh_label", "pgh_obj_id", "pgh_context_id")]
    columns = ", ".join(fields)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {StatusChange._meta.db_table}")
        cursor.execute(f"""
            INSERT INTO {StatusChange._meta.db_table} (from_status, to_status, effective_date, reason, created_at, pupil_id, school_id)
            SELECT '', 'enrolled', entry_date, '建立学籍', created_at, id, school_id FROM xueji_pupil
        """)
        # The pupils not in school got there on a day from 1 March to 30 November 2026.
        cursor.execute(f"""
            INSERT INTO {StatusChange._meta.db_table} (from_status, to_status, effective_date, reason, created_at, pupil_id, school_id)
            SELECT 'enrolled', status, DATE '2026-03-01' + (id * 7919 % 275)::int, '演示变动',
                   (DATE '2026-03-01' + (id * 7919 % 275)::int)::timestamp AT TIME ZONE 'Asia/Shanghai' + INTERVAL '10 hours',
                   id, school_id
            FROM xueji_pupil WHERE status <> 'enrolled'
        """)
        # The snapshots are append-only (a trigger refuses DELETE): written once.
        cursor.execute(f"SELECT COUNT(*) FROM {PupilEvent._meta.db_table}")
        if cursor.fetchone()[0] == 0:
            cursor.execute(f"""
                INSERT INTO {PupilEvent._meta.db_table} (pgh_created_at, pgh_label, pgh_obj_id, {columns})
                SELECT created_at, 'insert', id, {columns} FROM xueji_pupil
            """)
    with connection.cursor() as cursor:
        for table in (StatusChange._meta.db_table, PupilEvent._meta.db_table):
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def _users() -> dict:
    from xueji.accounts.models import User

    names = ["bench_county", "bench_city", "bench_province", "bench_school"]
    return {u.username: u for u in User.objects.filter(username__in=names)}


def measure_pages(args) -> list[dict]:

    users = _users()
    results = []
    for username, label, path, endpoint in SERIES:
        if username not in users:  # a data set without a province officer
            continue
        client = _setup.signed_in_client(users[username], raise_request_exception=True)
        count = max(3, args.requests // (5 if endpoint == "xlsx" else 1))
        ask = _spreadsheet(client, users[username]) if endpoint == "xlsx" else client.get
        for _ in range(args.warmup):
            ask(path)
        times = []
        for _ in range(count):
            before = time.perf_counter()
            response = ask(path)
            times.append(time.perf_counter() - before)
            if response.status_code != 200:
                raise SystemExit(f"{path} as {username}: HTTP {response.status_code}")
        results.append({"what": f"{label:<16} {endpoint:<5} {path}", "n": len(times),
                         "median": stats.median(times) * 1000, "p95": pupil_search._percentile(times, 95) * 1000})
        print(f"  {results[-1]['what']:<66} median {results[-1]['median']:8.1f} ms  p95 {results[-1]['p95']:8.1f} ms",
              flush=True)
    return results


def measure_counting(args) -> list[dict]:
    """The statistics' counting alone, both ways, per bureau: from the counts kept per school and
    grade (what the pages do) and from the pupils themselves (what they did before: the floor the
    kept counts are measured against, in the same run)."""
    from reports.statistics import _kept_counts, _pupil_counts, breakdown_level
    from xueji.accounts.models import Membership
    from xueji.pupils.models import Pupil

    results = []
    for username, label in (("bench_county", "county"), ("bench_city", "city"), ("bench_province", "province")):
        membership = Membership.objects.select_related("unit").filter(user__username=username).first()
        if membership is None:
            continue
        unit = membership.unit
        level = breakdown_level(unit)
        pupils = Pupil.objects.filter(school__path__startswith=unit.path, deleted_at__isnull=True)
        kept_total = sum(row["total"] for row in _kept_counts(unit, level)[0])
        counted_total = sum(row["total"] for row in _pupil_counts(pupils, level)[0])
        for way, run in (("kept counts", lambda: _kept_counts(unit, level)),
                         ("pupils counted", lambda: _pupil_counts(pupils, level))):
            times = []
            for _ in range(args.counting_runs):
                before = time.perf_counter()
                run()
                times.append(time.perf_counter() - before)
            what = f"counting: {label} ({kept_total:,} on the roll), {way}"
            results.append({"what": what, "n": len(times), "median": stats.median(times) * 1000,
                            "p95": max(times) * 1000})
            print(f"  {what:<66} median {results[-1]['median']:8.1f} ms  max {results[-1]['p95']:8.1f} ms",
                  flush=True)
        if kept_total != counted_total:
            raise SystemExit(f"{label}: the kept counts say {kept_total:,}, the pupils {counted_total:,}")
    return results


def _spreadsheet(client, user):
    """The spreadsheet as a worker writes it (reports/jobs.py): the button's POST, then the job
    run here (what the Celery task runs), then its download; a new job each time (the kept file
    of an unchanged day would be served at once)."""
    from xueji.documents.jobs import document_job_run
    from xueji.documents.models import DocumentJob

    def ask(path):
        DocumentJob.objects.filter(requested_by=user).delete()
        response = client.post(path)
        if response.status_code != 302:
            return response
        job = DocumentJob.objects.get(requested_by=user)
        document_job_run(job.pk)
        return client.get(response["Location"] + "file")

    return ask


class _Rollback(Exception):
    pass


def measure_monthly(args) -> list[dict]:
    from django.db import transaction

    from reports.history import rolls_as_of
    from reports.monthly import compute, month_bounds
    from reports.services import monthly_reports_generate
    from xueji.accounts.models import Membership

    county = Membership.objects.select_related("unit").get(user__username="bench_county").unit
    first, last = MONTH - timedelta(days=1), month_bounds(MONTH)[1]
    # The month's two rolls (its start and its end), the report's main cost: as the report reads
    # them, in one pass, beside the peer of the same statement for each day on its own.
    series = {
        "rolls": [
            ("monthly: one county's two rolls, one pass", lambda: rolls_as_of([first, last], county)),
            ("monthly: one county's two rolls, day by day", lambda: [rolls_as_of([day], county) for day in (first, last)]),
        ],
        "county": [("monthly: one county's figures (regenerate)", lambda: compute(MONTH, root=county))],
        "every": [("monthly: every unit's figures", lambda: compute(MONTH))],
    }

    def generate():
        try:
            with transaction.atomic():
                written = monthly_reports_generate(month=MONTH, today=date(2026, 11, 1))
                assert written, "nothing written: the month has reports already"
                raise _Rollback
        except _Rollback:
            pass

    series["scheduler"] = [("monthly: the scheduler's run, with writes (rolled back)", generate)]
    results = []
    for label, run in [entry for name in MONTHLY_SERIES if name in args.monthly_series for entry in series[name]]:
        times = []
        for _ in range(args.monthly_runs):
            before = time.perf_counter()
            run()
            times.append(time.perf_counter() - before)
        results.append({"what": label, "n": len(times), "median": stats.median(times) * 1000,
                        "p95": max(times) * 1000})
        print(f"  {label:<58} median {results[-1]['median']:8.1f} ms  max {results[-1]['p95']:8.1f} ms", flush=True)
    figures = compute(MONTH, root=county)[county.pk]
    print(f"  ({county.name}, {MONTH:%Y-%m}: start {figures['check']['start']:,}, in {figures['check']['in']}, "
          f"out {figures['check']['out']}, end {figures['check']['end']:,}, check {'ok' if figures['check']['ok'] else 'NOT ok'})")
    return results


def explain() -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the statistics' main grouped statement, as the county and
    the city officer's pages run it."""
    from django.db import connection
    from django.db.models import Count

    from xueji.codes import ROLL_STATUSES
    from reports.statistics import COUNTS, _condition
    from xueji.accounts.models import Membership
    from xueji.pupils.scoping import pupils_visible_to

    users = _users()
    for username, label in (("bench_county", "county officer"), ("bench_city", "city officer")):
        unit = Membership.objects.select_related("unit").get(user__username=username).unit
        roll = pupils_visible_to(users[username]).filter(
            school__path__startswith=unit.path, deleted_at__isnull=True, status__in=ROLL_STATUSES)
        query = roll.order_by().values("school_id", "grade", "ethnicity").annotate(
            **{name: Count("school", filter=_condition(column, value)) for name, column, value in COUNTS})
        statement, params = query.query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
            print(f"\n--- statistics, {label}: the grouped statement ---")
            print("\n".join(row[0] for row in cursor.fetchall()))
    print()


def _print_header() -> None:
    from django.db import connection

    from xueji.accounts.models import Unit
    from xueji.pupils.models import Pupil, StatusChange
    from xueji.pupils.models.pupils import PupilEvent
    from xueji.pupils.scoping import pupils_visible_to

    facts = _setup.server_facts()
    print()
    print(f"PostgreSQL {facts.pop('PostgreSQL')}  ({', '.join(f'{k}={v}' for k, v in facts.items())})")
    print(f"Database {connection.settings_dict['NAME']}: {Pupil.objects.count():,} pupils, "
          f"{StatusChange.objects.count():,} status steps, {PupilEvent.objects.count():,} record snapshots, "
          f"{Unit.objects.filter(kind='school').count():,} schools, {Unit.objects.count():,} units")
    with connection.cursor() as cursor:
        cursor.execute("SELECT relallvisible, relpages FROM pg_class WHERE oid = %s::regclass", [Pupil._meta.db_table])
        visible, pages = cursor.fetchone()
    print(f"  {Pupil._meta.db_table}: {pages:,} pages, {visible * 100 / max(pages, 1):.0f}% all-visible "
          f"(as of its last VACUUM or ANALYZE)")
    for username, user in sorted(_users().items()):
        print(f"  {username}: scope {pupils_visible_to(user).count():,} pupils")
    print()


def _print_table(results: list[dict]) -> None:
    header = f"{'series':<68} {'n':>4} {'median ms':>10} {'p95/max ms':>11}"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        print(f"{r['what']:<68} {r['n']:>4} {r['median']:>10.1f} {r['p95']:>11.1f}")
    print()


if __name__ == "__main__":
    sys.exit(main())
