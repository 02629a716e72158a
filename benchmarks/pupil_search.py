#!/usr/bin/env python
"""Benchmark: searching the pupil list with 1,000,000 pupils on PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/pupil_search.py [--pupils 1000000] [--requests 200] [--keep] [--rebuild]

It works in a database of its own (``xueji_bench``, see benchmarks/_setup.py), builds a realistic
data set there once (a province, three cities, 20 counties with real GB/T 2260 codes, 40 schools
each, classes, pupils with valid ID numbers, 学籍号 and their history) and then times searches
through the whole Django stack (middleware, session, scoping, form, paginator, template or
serializer) with ``django.test.Client`` as three users: a county bureau officer, a school
registrar and a city bureau officer. It prints median and p95 per request in ms.
"""

import argparse
import functools
import json
import math
import os
import random
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

# Bump when the generated data change, so that an old data set is rebuilt.
DATASET_VERSION = 3  # 2: encrypted columns and blind indexes (issue 13); 3: built in chunks, province shape
SEED = 20260901
TARGET_MS = 100.0
SCHOOL_YEAR = 2026
CST = dt_timezone(timedelta(hours=8))

PROVINCE = ("410000", "河南省教育厅")
# (city code, bureau name, counties taken): 6 + 7 + 7 = 20 counties; the city officer works in
# the first city (6 of 20 counties: about 300,000 of 1,000,000 pupils).
CITIES = [("410100", "郑州市教育局", 6), ("410200", "开封市教育局", 7), ("410300", "洛阳市教育局", 7)]
# From this many pupils on, the data set is a whole province (dataset_shape): Henan's 17
# prefecture-level cities with every county code valid for the pupils' births (149 counties),
# 54 schools a county (8,046 schools, about 1,240 pupils each at 10,000,000, as in the 1,000,000 set).
PROVINCE_FROM = 5_000_000
PROVINCE_CITIES = [f"41{number:02d}00" for number in range(1, 18)]
PROVINCE_SCHOOLS = {"primary": 38, "junior": 16, "rural": 14}
PRIMARY_PER_COUNTY = 28  # 10 of them under a township central school
JUNIOR_PER_COUNTY = 12
RURAL_PRIMARY_PER_COUNTY = 10
CLASS_SIZE = {"primary": 45, "junior": 50}
REGISTRAR_SCHOOL_SIZE = 1000

# Surnames with their approximate share of China's population (per cent); the rest of the
# population is spread over the long tail below.
COMMON_SURNAMES = {
    "王": 7.1, "李": 7.0, "张": 6.7, "刘": 5.1, "陈": 4.6, "杨": 3.2, "黄": 2.5, "赵": 2.3, "吴": 2.1, "周": 2.0,
    "徐": 1.6, "孙": 1.5, "马": 1.5, "朱": 1.4, "胡": 1.3, "郭": 1.2, "何": 1.2, "林": 1.1, "高": 1.1, "罗": 1.1,
    "郑": 1.0, "梁": 1.0, "谢": 0.9, "宋": 0.8, "唐": 0.8, "许": 0.7, "韩": 0.7, "邓": 0.7, "冯": 0.7, "曹": 0.7,
    "彭": 0.6, "曾": 0.6, "肖": 0.6, "田": 0.6, "董": 0.5, "潘": 0.5, "袁": 0.5, "蔡": 0.5, "蒋": 0.5, "余": 0.5,
    "于": 0.5, "杜": 0.5, "叶": 0.5, "程": 0.4, "魏": 0.4, "苏": 0.4, "吕": 0.4, "丁": 0.4, "任": 0.4, "卢": 0.4,
}
TAIL_SURNAMES = (
    "姚沈钟姜崔谭陆范汪廖石金韦贾夏付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万覃武钱戴严莫孔向常"
    "汤康易乔赖文施洪辛庞樊殷翟温葛牛聂章鲁岳齐柴申耿焦尚祝阎关时单"
)
COMPOUND_SURNAMES = ["欧阳", "司马", "诸葛", "上官", "司徒"]
GIVEN_BOY = "子轩浩宇梓博文俊睿泽一铭辰晨皓然航嘉豪天佑逸凡奕锦煜诚明杰磊伟鑫鹏阳昊瑞霖熙恒安乐思远卓宸瀚毅峻"
GIVEN_GIRL = "子涵梓欣怡诗雨萱可馨思语嘉琪一诺佳悦若依晗彤梦瑶雅静紫妍慧婷玥芷晴雪心艺颖昕冉菲月萌蕊"
POPULAR_BOY = ["浩然", "子轩", "梓轩", "宇轩", "浩宇", "一鸣", "俊熙", "子墨", "沐宸", "奕辰", "皓轩", "博文"]
POPULAR_GIRL = ["子涵", "梓涵", "欣怡", "一诺", "雨萱", "诗涵", "可馨", "语桐", "梓萱", "若汐", "思彤", "佳怡"]
TOWNSHIPS = ["城关镇", "东城街道", "西城街道", "南关街道", "北关街道", "新华街道", "城郊乡", "张庄镇", "李营乡", "柳林镇"]

PUPIL_COLUMNS = [
    "id", "name", "former_name", "pinyin", "gender", "birth_date", "ethnicity", "nationality", "id_type", "id_number",
    "overseas_status", "hukou_type", "hukou_address", "address", "health", "disability", "disability_placement",
    "entry_mode", "boarding", "left_behind", "migrant_child", "only_child", "orphan", "photo", "grade", "entry_date",
    "status", "student_number", "deleted_at", "search_pinyin", "search_initials", "name_sort", "created_at", "updated_at",
    "birthplace_id", "hukou_division_id", "native_place_id", "school_class_id", "school_id",
    "id_number_index", "disability_index", "disability_placement_index",
]
# Encrypted in their columns (xueji.encrypted_fields): COPY writes what the field would write.
ENCRYPTED_PUPIL_COLUMNS = ["id_number", "hukou_address", "address", "health", "disability", "disability_placement"]
NUMBER_COLUMNS = ["number", "kind", "assigned_at", "retired_at", "reason", "pupil_id"]
NULL = "\\N"

# The query kinds measured, with how each query is drawn from a real pupil of the user's scope.
KINDS = [
    ("name", "full name"),
    ("surname", "surname (王李张刘陈)"),
    ("given_name", "given name (2 chars)"),
    ("pinyin", "pinyin prefix"),
    ("initials", "initials"),
    ("number", "学籍号 full"),
    ("number_prefix", "学籍号 prefix (11)"),
    ("id_number", "ID number full"),
    ("id_prefix", "ID prefix (10)"),
]
ENDPOINTS = [("page", "/pupils/", "q"), ("api", "/api/v1/pupils/", "search")]
# What typing in the search box sends (htmx): the list's results only, without the filter form.
HTMX_ENDPOINT = ("htmx", "/pupils/", "q")
HTMX_HEADERS = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "pupil-results"}
USERS = [
    ("bench_county", "county officer"),
    ("bench_school", "school registrar"),
    ("bench_city", "city officer"),
    ("bench_province", "province officer"),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, nargs="+", default=[1_000_000],
                        help="pupils in the data set (default 1,000,000); several sizes (1000000 10000000) are "
                             "measured one after the other, each in its own database and process, and printed side by side")
    parser.add_argument("--results-json", help=argparse.SUPPRESS)  # where a child of a several-size run writes its rows
    parser.add_argument("--requests", type=int, default=200, help="timed requests per user, query kind and endpoint")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests before each series")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="stop a series after this long (default 30)")
    parser.add_argument("--database", help="benchmark database name (default xueji_bench, or xueji_bench_10m for "
                                               "10,000,000 pupils: default_database)")
    parser.add_argument("--workers", type=int, help="processes building the data set (default: the cores, at most 4)")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    parser.add_argument("--keep", action="store_true",
                        help="keep the data set there is, whatever its size (the database itself is always kept)")
    parser.add_argument("--htmx", action="store_true",
                        help="also time the search box's htmx request (the results part of the page)")
    parser.add_argument("--only", nargs="+", default=[], metavar="NAME",
                        help="measure only these users, query kinds or endpoints "
                             f"({', '.join([u for u, _ in USERS] + [k for k, _ in KINDS] + ['page', 'api', 'htmx'])})")
    parser.add_argument("--explain", metavar="KIND", choices=[k for k, _ in KINDS],
                        help="also print EXPLAIN (ANALYZE, BUFFERS) of the list's queries for one query of KIND per user")
    args = parser.parse_args()
    if len(args.pupils) > 1:
        return measure_sizes(args)
    args.pupils = args.pupils[0]
    args.database = args.database or default_database(args.pupils)

    url = _setup.bench_database_url(args.database)
    signature = {"version": DATASET_VERSION, "pupils": args.pupils, "seed": SEED}
    if args.keep and not args.rebuild and _setup.database_exists(url) and _read_signature(url):
        signature = _read_signature(url)
    if _setup.database_exists(url) and (args.rebuild or _read_signature(url) != signature):
        print(f"Dropping {args.database} (rebuild, or its data set is not the requested one) ...", flush=True)
        _setup.drop_database(url)
    if not _setup.database_exists(url):
        _setup.create_database(url)

    _setup.setup_django(url)
    _prepare_indexes_for_migrate()
    _setup.migrate()
    _sync_pupil_indexes()

    load_seconds = None
    if _read_signature(url) != signature:
        print(f"Building the data set: {args.pupils:,} pupils ...", flush=True)
        started = time.perf_counter()
        build_dataset(args.pupils, workers=args.workers)
        load_seconds = time.perf_counter() - started
        _write_meta("signature", signature)
        _write_meta("load_seconds", round(load_seconds, 1))
    _sync_pupil_indexes()

    users = _bench_users()
    _print_header(args, load_seconds, users)
    if args.explain:
        explain(users, args.explain)
    results = measure(users, args)
    _print_table(results)
    if args.results_json:
        Path(args.results_json).write_text(json.dumps(results, ensure_ascii=False))
    return 0


def measure_sizes(args) -> int:
    """Each size in a process of its own (Django is set up once per process, on one database),
    one after the other, then the series of every size side by side."""
    import subprocess
    import tempfile

    if args.database:
        raise SystemExit("--database names one database: give one size with it.")
    by_size = {}
    for size in args.pupils:
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            print(f"=== {size:,} pupils ===", flush=True)
            command = [sys.executable, __file__, *_without_option(sys.argv[1:], "--pupils"), "--pupils", str(size),
                       "--results-json", out.name]
            if subprocess.run(command).returncode:
                raise SystemExit(f"The run with {size:,} pupils failed.")
            by_size[size] = json.loads(Path(out.name).read_text() or "[]")
    _print_side_by_side(by_size)
    return 0


def _without_option(argv: list[str], option: str) -> list[str]:
    """``argv`` without ``option`` and the values that follow it."""
    kept, skipping = [], False
    for item in argv:
        if item == option:
            skipping = True
        elif skipping and not item.startswith("--"):
            continue
        else:
            skipping = False
            kept.append(item)
    return kept


def _print_side_by_side(by_size: dict[int, list[dict]]) -> None:
    sizes = list(by_size)
    keys = []
    for rows in by_size.values():
        for r in rows:
            if (r["user"], r["kind"], r["endpoint"]) not in keys:
                keys.append((r["user"], r["kind"], r["endpoint"]))
    found = {size: {(r["user"], r["kind"], r["endpoint"]): r for r in rows} for size, rows in by_size.items()}
    label = lambda size: f"{size / 1_000_000:g}M" if size >= 1_000_000 else f"{size:,}"  # noqa: E731
    header = f"{'user':<16} {'query':<22} {'endpoint':<8}" + "".join(
        f" {label(size) + ' med':>9} {label(size) + ' p95':>9} {label(size) + ' rows':>10}" for size in sizes
    ) + "  p95<=100"
    print()
    print(header)
    print("-" * len(header))
    missed = 0
    for key in keys:
        line = f"{key[0]:<16} {_pad(key[1], 22)} {key[2]:<8}"
        verdicts = []
        for size in sizes:
            r = found[size].get(key)
            if r is None:
                line += f" {'-':>9} {'-':>9} {'-':>10}"
                continue
            line += f" {r['median']:>9.1f} {r['p95']:>9.1f} {r['matched']:>10}"
            verdicts.append("yes" if r["p95"] <= TARGET_MS else f"NO ({label(size)})")
        missed += any(v != "yes" for v in verdicts)
        print(line + "  " + ", ".join(dict.fromkeys(verdicts)))
    print()
    print(f"{len(keys) - missed} of {len(keys)} series within the target at every size.")


# Database bookkeeping ------------------------------------------------------------------------

def _read_signature(url: str):
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        if conn.execute("SELECT to_regclass('bench_dataset')").fetchone()[0] is None:
            return None
        row = conn.execute("SELECT value FROM bench_dataset WHERE key = 'signature'").fetchone()
        return json.loads(row[0]) if row else None


def _read_meta(key: str, default=None):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_dataset (key text PRIMARY KEY, value text NOT NULL)")
        cursor.execute("SELECT value FROM bench_dataset WHERE key = %s", [key])
        row = cursor.fetchone()
    return json.loads(row[0]) if row else default


def _write_meta(key: str, value) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE IF NOT EXISTS bench_dataset (key text PRIMARY KEY, value text NOT NULL)")
        cursor.execute(
            "INSERT INTO bench_dataset (key, value) VALUES (%s, %s) ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value",
            [key, json.dumps(value)],
        )


def _pupil_indexes_of_migrations(applied_only: bool) -> set[str]:
    """Names of the Pupil indexes the migrations create: the applied ones, or all of them."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection)
    state = loader.project_state(tuple(loader.applied_migrations) if applied_only else None)
    model = state.models.get(("xueji", "pupil"))
    return {index.name for index in model.options.get("indexes", [])} if model else set()


def _prepare_indexes_for_migrate() -> None:
    """Indexes this script created ahead of the migrations (see _sync_pupil_indexes) are dropped
    before the migrations that create them run, so that their names do not collide."""
    from django.db import connection

    if not _setup.pending_migrations():
        return
    coming = _pupil_indexes_of_migrations(applied_only=False) - _pupil_indexes_of_migrations(applied_only=True)
    with connection.cursor() as cursor:
        for name in sorted(coming):
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


def _sync_pupil_indexes() -> None:
    """Give the benchmark database the Pupil indexes the model declares, also before migrations
    for them exist: create the missing ones exactly as the model defines them, and drop the ones
    the migrations created that the model no longer declares. Regenerated migrations then find
    the database as they expect it (their RemoveIndex uses IF EXISTS)."""
    from django.db import connection

    from xueji.pupils.models import Pupil

    changed = False
    with connection.schema_editor(atomic=False) as editor:
        for index in _setup.missing_model_indexes(Pupil):
            print(f"Creating index {index.name} (declared by the model, no migration yet) ...", flush=True)
            editor.add_index(Pupil, index)
            changed = True
    declared = {index.name for index in Pupil._meta.indexes}
    dropped = _pupil_indexes_of_migrations(applied_only=True) - declared
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'xueji_pupil'")
        present = {name for (name,) in cursor.fetchall()}
        for name in sorted(dropped & present):
            print(f"Dropping index {name} (the model no longer declares it) ...", flush=True)
            cursor.execute(f'DROP INDEX "{name}"')
            changed = True
        if changed:
            cursor.execute("ANALYZE xueji_pupil")


# The data set --------------------------------------------------------------------------------

def dataset_shape(total_pupils: int) -> dict:
    """The units the pupils are spread over: up to a few million pupils the three cities and 20
    counties the figures have always been taken with (800 schools, so that they stay comparable);
    from PROVINCE_FROM on, a whole province as a real one is shaped (17 cities, 149 counties,
    8,046 schools), each school about as big as in the smaller set."""
    if total_pupils < PROVINCE_FROM:
        return {"name": "three cities", "cities": CITIES, "primary": PRIMARY_PER_COUNTY,
                "junior": JUNIOR_PER_COUNTY, "rural": RURAL_PRIMARY_PER_COUNTY}
    return {"name": "province", "cities": [(code, None, None) for code in PROVINCE_CITIES], **PROVINCE_SCHOOLS}


def default_database(total_pupils: int) -> str:
    """The database a data set of this size lives in: ``xueji_bench``, or ``xueji_bench_10m`` for
    a province (a second copy of ten million pupils is not kept by accident)."""
    if total_pupils < PROVINCE_FROM:
        return "xueji_bench"
    return f"xueji_bench_{total_pupils // 1_000_000}m"


def build_dataset(total_pupils: int, workers: int | None = None) -> None:
    """Build the data set in the (migrated, empty) database Django is connected to."""
    from django.db import connection, connections, transaction
    from stdnum.cn import ric

    from xueji.accounts.models import Division, Unit, UnitKind
    from xueji.pupils.models import SchoolYear, Semester

    rng = random.Random(SEED)
    step = _Stopwatch()
    shape = dataset_shape(total_pupils)
    primary_count, junior_count, rural_count = shape["primary"], shape["junior"], shape["rural"]

    # Units: province, cities, counties (real codes whose ID numbers are valid for the pupils'
    # birth years), a central school per county, primary and junior schools.
    with transaction.atomic():
        year, _ = SchoolYear.objects.get_or_create(
            start_year=SCHOOL_YEAR, defaults={"start_date": date(2026, 9, 1), "end_date": date(2027, 8, 31)}
        )
        Semester.objects.get_or_create(
            school_year=year, term=Semester.Term.FIRST,
            defaults={"start_date": date(2026, 9, 1), "end_date": date(2027, 1, 22)},
        )
        province = _unit(UnitKind.PROVINCE_BUREAU, PROVINCE[1], None, PROVINCE[0])
        schools = []  # dicts: id, county, city, type
        county_codes = []
        city_counties: dict[str, list[str]] = {}
        for city_code, city_name, wanted in shape["cities"]:
            if city_name is None:
                city_name = f"{Division.objects.get(code=city_code).name}教育局"
            city = _unit(UnitKind.CITY_BUREAU, city_name, province, city_code)
            candidates = Division.objects.filter(parent_id=city_code, in_use=True).exclude(name="市辖区").order_by("code")
            counties = [d for d in candidates if _area_valid(ric, d.code)]
            if wanted is not None:
                if len(counties) < wanted:
                    raise SystemExit(f"Not enough county codes under {city_code} in xueji_division.")
                counties = counties[:wanted]
            city_counties[city_code] = [d.code for d in counties]
            for division in counties:
                county_codes.append(division.code)
                bureau = _unit(UnitKind.COUNTY_BUREAU, f"{division.name}教育局", city, division.code)
                central = _unit(UnitKind.CENTRAL_SCHOOL, f"{division.name}{TOWNSHIPS[7]}中心校", bureau, division.code,
                                township=TOWNSHIPS[7])
                for number in range(1, primary_count + 1):
                    rural = number > primary_count - rural_count
                    township = TOWNSHIPS[7 + number % 3] if rural else TOWNSHIPS[number % 7]
                    name = f"{division.name}{township}第{number}小学" if rural else f"{division.name}第{number}小学"
                    unit = _school(name, f"41{division.code}{number:02d}", "primary", central if rural else bureau,
                                   division.code, township, not rural)
                    schools.append({"id": unit.pk, "county": division.code, "city": city_code, "type": "primary",
                                    "rural": rural})
                for number in range(1, junior_count + 1):
                    township = TOWNSHIPS[number % 10]
                    unit = _school(f"{division.name}第{number}中学", f"41{division.code}{50 + number:02d}", "junior",
                                   bureau, division.code, township, number <= junior_count // 2)
                    schools.append({"id": unit.pk, "county": division.code, "city": city_code, "type": "junior",
                                    "rural": number > junior_count // 2})
    step.lap(f"units: {Unit.objects.count()} ({len(schools)} schools, {len(county_codes)} counties, "
             f"{len(city_counties)} cities: {shape['name']})")

    # Pupils per school and grade: each county an equal share, each grade of it an equal share,
    # spread over the schools by size weights (county-town schools are bigger).
    per_county = _split(total_pupils, [1] * len(county_codes))
    plan: dict[int, dict[int, int]] = defaultdict(dict)  # school id -> grade -> pupils
    for county, county_total in zip(county_codes, per_county):
        for grade, grade_total in zip(range(1, 10), _split(county_total, [1] * 9)):
            kind = "primary" if grade <= 6 else "junior"
            candidates = [s for s in schools if s["county"] == county and s["type"] == kind]
            weights = [s.setdefault("weight", rng.uniform(0.5, 1.2) if s["rural"] else rng.uniform(0.9, 1.8))
                       for s in candidates]
            for school, count in zip(candidates, _split(grade_total, weights)):
                plan[school["id"]][grade] = count

    # Classes: one per CLASS_SIZE pupils (at least one per grade the school teaches).
    from xueji.pupils.models import SchoolClass

    new_classes = []
    for school in schools:
        for grade, count in plan[school["id"]].items():
            for number in range(1, max(1, math.ceil(count / CLASS_SIZE[school["type"]])) + 1):
                new_classes.append(SchoolClass(school_id=school["id"], school_year=year, grade=grade, number=number))
    SchoolClass.objects.bulk_create(new_classes, batch_size=5000)
    classes: dict[tuple[int, int], list[int]] = defaultdict(list)
    for school_class in new_classes:
        classes[(school_class.school_id, school_class.grade)].append(school_class.pk)
    step.lap(f"classes: {len(new_classes)}")

    # Pupils and their 学籍号 rows go in with COPY, a city and a grade at a time, from several
    # processes at once (each its own connection; the generation in Python is most of the cost).
    # Each chunk draws from its own seeded generator, so the data set does not depend on the
    # number of processes, and everything that must be unique is unique within a chunk: ID numbers
    # carry the area of the pupil's household registration (a county of the chunk's city: pupils
    # who moved did so within their city) and a birth date of the chunk's grade; L and J numbers
    # carry the school's county. The history triggers of pghistory and the foreign-key checks are
    # off for the load (session_replication_role = replica in the loading sessions: the rows are
    # consistent by construction, and the history of millions of inserts is not what is
    # measured). The other indexes and unique constraints are dropped for the load and created
    # again from their own definitions afterwards, which is several times faster than keeping them
    # up to date row by row.
    tasks = []  # (grade, city code, first pupil id, pupils)
    pupil_id = 0
    for grade in range(9, 0, -1):  # oldest cohort first: records are created as pupils enter school
        for city_code in city_counties:
            count = sum(plan[s["id"]].get(grade, 0) for s in schools if s["city"] == city_code)
            tasks.append((grade, city_code, pupil_id + 1, count))
            pupil_id += count
    with connection.cursor() as cursor:
        saved_indexes = _drop_secondary_indexes(cursor, ["xueji_pupil", "xueji_studentnumber"])
        saved_indexes += _drop_unique_constraints(cursor, ["xueji_pupil", "xueji_studentnumber"])
    global _CHUNK_CONTEXT
    _CHUNK_CONTEXT = {
        "url": _current_url(),
        "plan": plan, "classes": classes, "schools": schools, "city_counties": city_counties,
    }
    workers = workers or min(4, os.cpu_count() or 1)
    connections.close_all()  # the children must not share the parent's connection
    pupil_rows = number_rows = done = 0
    next_report = 0.0
    import multiprocessing

    with multiprocessing.get_context("fork").Pool(workers) as pool:
        for pupils_done, numbers_done in pool.imap_unordered(_build_chunk, tasks):
            pupil_rows += pupils_done
            number_rows += numbers_done
            done += 1
            if pupil_rows >= next_report or done == len(tasks):
                step.lap(f"{done} of {len(tasks)} chunks (city × grade): {pupil_rows:,} pupils")
                next_report = pupil_rows + total_pupils / 10
    _CHUNK_CONTEXT = None
    step.lap(f"pupils: {pupil_rows:,} in {len(tasks)} chunks over {workers} processes")

    # Indexes, several at a time (one connection each; PostgreSQL builds a B-tree with parallel
    # workers too), the slow GIN indexes first.
    with connection.cursor() as cursor:
        cursor.execute("SELECT setval(pg_get_serial_sequence('xueji_pupil', 'id'), %s)", [max(pupil_id, 1)])
    connections.close_all()
    _run_in_parallel(sorted(saved_indexes, key=lambda s: " USING gin " not in s), workers,
                     setup="SET maintenance_work_mem = '1GB'")
    step.lap(f"indexes and unique constraints: {len(saved_indexes)} rebuilt")
    # The statistics' counts per school and grade, which the triggers kept switched off for the
    # load would have written (xueji.pupils.models.counts).
    from xueji.pupils.models import counts

    counts.rebuild()
    step.lap("statistics' counts per school and grade")
    # VACUUM as well as ANALYZE: it sets the visibility map, as autovacuum would on a live system.
    _run_in_parallel([f"VACUUM (ANALYZE) {table}" for table in
                      ("xueji_pupil", "xueji_studentnumber", "xueji_unit", "xueji_schoolclass",
                       "xueji_rollcount")], workers)
    step.lap("vacuum analyze")

    _create_bench_users(schools, plan)
    print(f"  loaded {pupil_rows:,} pupils and {number_rows:,} 学籍号 rows", flush=True)


def _current_url() -> str:
    """The URL of the benchmark database Django is set up on (_setup.setup_django put it there)."""
    from django.db import connection

    url = os.environ["DATABASE_URL"]
    if _setup.database_name(url) != connection.settings_dict["NAME"]:
        raise SystemExit("DATABASE_URL is not the database Django is connected to.")
    return url


# What the chunks of build_dataset share, inherited by the processes that build them (fork).
_CHUNK_CONTEXT = None


def _build_chunk(task) -> tuple[int, int]:
    """Generate and COPY the pupils of one city and one grade, with their 学籍号 rows."""
    import psycopg
    from stdnum.cn import ric

    from xueji import crypto
    from xueji.pupils.models import disability_index, disability_placement_index, id_number_index
    from xueji.pupils.numbers import g_number, j_number

    grade, city_code, first_id, _count = task
    context = _CHUNK_CONTEXT
    plan, classes = context["plan"], context["classes"]
    city_schools = [s for s in context["schools"] if s["city"] == city_code]
    city_county_codes = context["city_counties"][city_code]
    rng = random.Random(f"{SEED}:{grade}:{city_code}")
    surnames, surname_weights = _surname_table()
    no_disability, no_placement = disability_index("0"), disability_placement_index("")
    used_ids: dict[str, set[int]] = defaultdict(set)
    used_l: set[str] = set()
    j_sequences: Counter = Counter()

    encrypted_positions = [(PUPIL_COLUMNS.index(c), f"xueji_pupil.{c}") for c in ENCRYPTED_PUPIL_COLUMNS]
    id_position = PUPIL_COLUMNS.index("id_number")

    def encrypt_cells(cells: list[str]) -> None:
        for position, column in encrypted_positions:
            if cells[position] not in ("", NULL):
                if position == id_position:
                    cells[position] = crypto.encrypt_text(cells[position], context=column)
                else:
                    cells[position] = _encrypted_once(cells[position], column)

    def id_number(area: str, birth: date, male: bool) -> str:
        key = f"{area}{birth:%Y%m%d}"
        used = used_ids[key]
        while True:
            sequence = rng.randrange(0, 1000)
            if (sequence % 2 == 1) != male:
                sequence ^= 1
            if sequence not in used:
                used.add(sequence)
                break
        body = f"{key}{sequence:03d}"
        return body + ric.calc_check_digit(body + "0")

    def temporary_number(area: str, birth: date) -> str:
        # The format of xueji.pupils.numbers.temporary_number, drawn from the seeded generator.
        while True:
            number = f"L{area}{birth:%Y%m%d}{rng.randrange(10_000):04d}"
            if number not in used_l:
                used_l.add(number)
                return number

    def person_name(male: bool) -> str:
        roll = rng.random()
        if roll < 0.002:
            surname = rng.choice(COMPOUND_SURNAMES)
        else:
            surname = rng.choices(surnames, cum_weights=surname_weights)[0]
        roll = rng.random()
        if roll < 0.12:
            given = rng.choice(GIVEN_BOY if male else GIVEN_GIRL)
        elif roll < 0.40:
            given = rng.choice(POPULAR_BOY if male else POPULAR_GIRL)
        else:
            pool = GIVEN_BOY if male else GIVEN_GIRL
            given = rng.choice(pool) + rng.choice(pool)
        return surname, given

    ts = lambda moment: moment.isoformat(sep=" ")  # noqa: E731

    seats = []
    for school in city_schools:
        class_ids = classes[(school["id"], grade)]
        for index in range(plan[school["id"]].get(grade, 0)):
            seats.append((school["id"], school["county"], class_ids[index % len(class_ids)]))
    rng.shuffle(seats)
    primary_entry = date(SCHOOL_YEAR - (grade - 1), 9, 1)
    entry_date = primary_entry if grade <= 6 else date(SCHOOL_YEAR - (grade - 7), 9, 1)
    birth_start = date(2019 - (grade - 1), 9, 1)
    pupils_text, numbers_text = [], []
    pupil_id = first_id - 1
    for school_id, county, class_id in seats:
        pupil_id += 1
        male = rng.random() < 0.53
        birth = birth_start + timedelta(days=rng.randrange(365))
        migrant = rng.random() < 0.08
        hukou = rng.choice(city_county_codes) if migrant else county
        surname, given = person_name(male)
        name = surname + given
        pinyin, search_pinyin, search_initials, name_sort = _name_keys(surname, given)
        created = datetime(primary_entry.year, 9, rng.randrange(1, 29), 9, rng.randrange(60), tzinfo=CST)
        numbers = []  # (number, kind, assigned_at, retired_at, reason)
        if rng.random() < 0.01:  # no ID number: a J number once dedupe has passed
            id_type, id_no = "N", ""
            j_sequences[(county, birth)] += 1
            numbers.append((j_number(county, birth, j_sequences[(county, birth)]), "J", created, None, "建立学籍"))
        else:
            id_type, id_no = "1", id_number(hukou, birth, male)
            if grade in (1, 7) and rng.random() < 0.25:  # new entrants still on a temporary number
                numbers.append((temporary_number(county, birth), "L", created, None, "建立学籍"))
            elif rng.random() < 0.4:  # had a temporary number first, then the G number
                switched = created + timedelta(days=rng.randrange(10, 60))
                numbers.append((temporary_number(county, birth), "L", created, switched, "建立学籍"))
                numbers.append((g_number(id_no), "G", switched, None, "身份核验通过"))
            else:
                numbers.append((g_number(id_no), "G", created, None, "建立学籍"))
        status = rng.choices(
            ["enrolled", "suspended", "transferred_out", "dropped_out"], cum_weights=[985, 990, 997, 1000]
        )[0]
        deleted = ts(created + timedelta(days=90)) if rng.random() < 0.0005 else NULL
        cells = [
            str(pupil_id), name, "", pinyin, "1" if male else "2", birth.isoformat(),
            "01" if rng.random() < 0.95 else "03", "CHN", id_type, id_no, "00",
            "1" if rng.random() < 0.6 else "2", "", f"{TOWNSHIPS[pupil_id % 10]}{rng.randrange(1, 200)}号",
            "10" if rng.random() < 0.96 else "20", "0", "", "1",
            "2" if grade >= 7 and rng.random() < 0.2 else "1",
            "0" if rng.random() < 0.88 else "1", "t" if migrant else "f", "t" if rng.random() < 0.4 else "f",
            "f", "", str(grade), entry_date.isoformat(), status, numbers[-1][0], deleted,
            search_pinyin, search_initials, name_sort, ts(created), ts(created), hukou, hukou, hukou,
            str(class_id), str(school_id), id_number_index(id_no), no_disability, no_placement,
        ]
        encrypt_cells(cells)
        pupils_text.append("\t".join(cells))
        for number, kind, assigned, retired, reason in numbers:
            numbers_text.append("\t".join(
                (number, kind, ts(assigned), ts(retired) if retired else NULL, reason, str(pupil_id))
            ))
    with psycopg.connect(context["url"]) as conn:
        conn.execute("SET session_replication_role = replica")
        with conn.cursor() as cursor:
            _copy_lines(cursor, "xueji_pupil", PUPIL_COLUMNS, pupils_text)
            # The 学籍号 rows' ids come from the sequence, which COPY from several sessions at once
            # may take in any order; nothing reads them in id order.
            _copy_lines(cursor, "xueji_studentnumber", NUMBER_COLUMNS, numbers_text)
    return len(pupils_text), len(numbers_text)


@functools.lru_cache(maxsize=None)
def _name_part_keys(part: str, given: bool = False) -> tuple[str, str, str, str]:
    from xueji.collation import name_fields

    if not given:
        fields = name_fields(part)
        return fields["pinyin"], fields["search_pinyin"], fields["search_initials"], fields["name_sort"]
    # A given name is read as one after a surname (乐 is yuè as a surname, lè in 乐乐): after 〇, a
    # character that forms no phrase with the next one, taken off again.
    whole, surname = _name_part_keys("〇" + part), _name_part_keys("〇")
    return (whole[0][len(surname[0]) + 1:], *(key[len(prefix):] for key, prefix in zip(whole[1:], surname[1:])))


def _name_keys(surname: str, given: str) -> tuple[str, str, str, str]:
    """The name's pinyin, search keys and sort key (xueji.collation.name_fields) put together from
    those of the surname and of the given name: a province holds about a million different names
    but only a few thousand surnames and given names, and pypinyin takes most of a millisecond a
    name. The keys are per character, so the result is the same except where pypinyin would read
    a character of the given name differently after that surname (a phrase), which no search
    measured depends on."""
    surname_keys, given_keys = _name_part_keys(surname), _name_part_keys(given, given=True)
    return (f"{surname_keys[0]} {given_keys[0]}", surname_keys[1] + given_keys[1], surname_keys[2] + given_keys[2],
            surname_keys[3] + given_keys[3])


@functools.lru_cache(maxsize=10_000)
def _encrypted_once(value: str, column: str) -> str:
    """A value that many pupils share (an address, a health code), encrypted once per process and
    written alike for all of them: SM4 for every cell is a large part of building millions of rows,
    and what is measured reads and decrypts the same bytes either way."""
    from xueji import crypto

    return crypto.encrypt_text(value, context=column)


def _run_in_parallel(statements: list[str], workers: int, setup: str = "") -> None:
    """Run the statements over ``workers`` connections at once (autocommit), each as soon as a
    connection is free."""
    from concurrent.futures import ThreadPoolExecutor

    import psycopg

    url = _current_url()

    def run(statement: str) -> None:
        with psycopg.connect(url, autocommit=True) as conn:
            if setup:
                conn.execute(setup)
            conn.execute(statement)

    with ThreadPoolExecutor(max_workers=max(1, workers)) as executor:
        for future in [executor.submit(run, statement) for statement in statements]:
            future.result()


def _drop_unique_constraints(cursor, tables: list[str]) -> list[str]:
    """Drop the tables' UNIQUE constraints (not the primary keys, which foreign keys reference);
    return the statements that add them again."""
    cursor.execute(
        """
        SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)
        FROM pg_constraint WHERE contype = 'u' AND conrelid = ANY(%s::regclass[])
        """,
        [tables],
    )
    rows = cursor.fetchall()
    for table, name, _definition in rows:
        cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
    return [f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}' for table, name, definition in rows]


def _area_valid(ric, code: str) -> bool:
    """Whether ID numbers with this area code are valid for births from 2010 on (python-stdnum)."""
    for year in (2010, 2020):
        body = f"{code}{year}0101123"
        try:
            ric.get_birth_place(body + ric.calc_check_digit(body + "0"))
        except Exception:
            return False
    return True


def _unit(kind, name, parent, division, township=""):
    from xueji.accounts.models import Unit

    unit = Unit(kind=kind, name=name, parent=parent, division_id=division, township=township)
    unit.save()
    return unit


def _school(name, code, school_type, parent, division, township, county_town):
    from xueji.accounts.models import Unit, UnitKind

    unit = Unit(kind=UnitKind.SCHOOL, name=name, code=code, school_type=school_type, parent=parent,
                division_id=division, township=township, is_county_town=county_town)
    unit.save()
    return unit


def _split(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (largest remainders), summing to ``total``."""
    scale = total / sum(weights)
    shares = [w * scale for w in weights]
    counts = [int(s) for s in shares]
    for index in sorted(range(len(shares)), key=lambda i: shares[i] - counts[i], reverse=True)[: total - sum(counts)]:
        counts[index] += 1
    return counts


def _surname_table() -> tuple[list[str], list[float]]:
    names = list(COMMON_SURNAMES)
    weights = list(COMMON_SURNAMES.values())
    tail_share = (100 - sum(weights)) / len(TAIL_SURNAMES)
    names += list(TAIL_SURNAMES)
    weights += [tail_share] * len(TAIL_SURNAMES)
    cumulative, running = [], 0.0
    for weight in weights:
        running += weight
        cumulative.append(running)
    return names, cumulative


def _drop_secondary_indexes(cursor, tables: list[str]) -> list[str]:
    """Drop the indexes of the tables that back no constraint; return their CREATE statements."""
    cursor.execute(
        """
        SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
        FROM pg_index i
        WHERE i.indrelid = ANY(%s::regclass[])
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
        """,
        [tables],
    )
    rows = cursor.fetchall()
    for name, _definition in rows:
        cursor.execute(f"DROP INDEX {name}")
    return [definition for _name, definition in rows]


def _copy(cursor, table: str, columns: list[str], lines: list[str]) -> None:
    _copy_lines(cursor.cursor, table, columns, lines)  # Django's wrapper -> psycopg 3 cursor


def _copy_lines(raw, table: str, columns: list[str], lines: list[str]) -> None:
    with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for start in range(0, len(lines), 20_000):
            copy.write("\n".join(lines[start:start + 20_000]) + "\n")


def _create_bench_users(schools: list[dict], plan: dict[int, dict[int, int]]) -> None:
    from xueji.accounts.models import Membership, Role, Unit, UnitKind, User

    county_code = schools[0]["county"]
    county = Unit.objects.get(kind=UnitKind.COUNTY_BUREAU, division_id=county_code)
    city = Unit.objects.get(kind=UnitKind.CITY_BUREAU, division_id=schools[0]["city"])
    # The registrar's school: the primary school of that county closest to 1,000 pupils.
    school_id = min(
        (s["id"] for s in schools if s["county"] == county_code and s["type"] == "primary"),
        key=lambda sid: abs(sum(plan[sid].values()) - REGISTRAR_SCHOOL_SIZE),
    )
    for username, full_name, unit, role in (
        ("bench_county", "县局学籍管理员", county, Role.COUNTY_OFFICER),
        ("bench_school", "学校学籍管理员", Unit.objects.get(pk=school_id), Role.REGISTRAR),
        ("bench_city", "市局学籍管理员", city, Role.CITY_OFFICER),
        ("bench_province", "省厅学籍管理员", Unit.objects.get(kind=UnitKind.PROVINCE_BUREAU), Role.PROVINCE_OFFICER),
    ):
        user = User(username=username, full_name=full_name)
        user.set_unusable_password()
        user.save()
        Membership.objects.create(user=user, unit=unit, role=role)


def _bench_users() -> list:
    from xueji.accounts.models import User

    by_name = {u.username: u for u in User.objects.filter(username__in=[name for name, _ in USERS])}
    # A data set built before the province officer existed (--keep) has no such user.
    return [(by_name[name], label) for name, label in USERS if name in by_name]


class _Stopwatch:
    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()

    def lap(self, what: str) -> None:
        now = time.perf_counter()
        print(f"  {what} ({now - self.last:.1f} s, {now - self.start:.0f} s in all)", flush=True)
        self.last = now


# Measuring -----------------------------------------------------------------------------------

def query_pools(user, rng: random.Random, size: int = 2000) -> dict[str, list[str]]:
    """Search box entries of each kind, drawn from random real pupils of the user's scope."""
    from xueji.pupils.scoping import pupils_visible_to

    rows = list(
        pupils_visible_to(user).order_by("?").values("name", "pinyin", "search_initials", "student_number", "id_number")[:size]
    )
    common = set("王李张刘陈")
    with_id = [r for r in rows if r["id_number"]]
    pools = {
        "name": [r["name"] for r in rows],
        "surname": [r["name"][0] for r in rows if r["name"][0] in common],
        # Part of a name: the two-character given name of a three-character name ("子涵").
        "given_name": [r["name"][1:] for r in rows if len(r["name"]) == 3],
        # Surname syllable plus the first letter of the given name: "zhangw".
        "pinyin": [r["pinyin"].split()[0] + r["pinyin"].split()[1][0] for r in rows if len(r["pinyin"].split()) >= 2],
        "initials": [r["search_initials"] for r in rows if len(r["search_initials"]) == 3],
        "number": [r["student_number"] for r in rows],
        # Letter, area code and birth year: "G4101022015".
        "number_prefix": [r["student_number"][:11] for r in rows],
        "id_number": [r["id_number"] for r in with_id],
        # Area code and birth year: "4101022015".
        "id_prefix": [r["id_number"][:10] for r in with_id],
    }
    for kind, pool in pools.items():
        if not pool:
            raise SystemExit(f"No {kind} queries could be drawn for {user.username}.")
    return pools


# "共 56 名学生", or past the paginator's cap "超过 5000 名学生".
_COUNT = re.compile(r"(共|超过) ([\d,]+) 名学生")


def _matched(response, endpoint: str) -> str:
    if endpoint == "api":
        body = response.json()
        return f"{body['count'] - 1}+" if body.get("count_capped") else str(body.get("count"))
    found = _COUNT.search(response.content.decode())
    if not found:
        return "?"
    return found.group(2) + ("+" if found.group(1) == "超过" else "")


def measure(users, args) -> list[dict]:

    rng = random.Random(SEED + 1)
    results = []
    endpoints = ENDPOINTS + ([HTMX_ENDPOINT] if args.htmx else [])
    only = set(args.only)
    pick = lambda names: [n for n in names if not only & set(names) or n in only]  # noqa: E731
    chosen_users = pick([user.username for user, _ in users])
    chosen_kinds = pick([kind for kind, _ in KINDS])
    chosen_endpoints = pick([endpoint for endpoint, _, _ in endpoints])
    for user, label in users:
        if user.username not in chosen_users:
            continue
        client = _setup.signed_in_client(user, raise_request_exception=True)
        pools = query_pools(user, rng)
        for kind, kind_label in KINDS:
            if kind not in chosen_kinds:
                continue
            for endpoint, path, parameter in endpoints:
                if endpoint not in chosen_endpoints:
                    continue
                headers = {"api": {"HTTP_ACCEPT": "application/json"}, "htmx": HTMX_HEADERS}.get(endpoint, {})
                for _ in range(args.warmup):
                    client.get(path, {parameter: rng.choice(pools[kind])}, **headers)
                times, matched = [], []
                started = time.perf_counter()
                for _ in range(args.requests):
                    query = rng.choice(pools[kind])
                    before = time.perf_counter()
                    response = client.get(path, {parameter: query}, **headers)
                    times.append(time.perf_counter() - before)
                    if response.status_code != 200:
                        raise SystemExit(f"{path}?{parameter}={query} as {user.username}: HTTP {response.status_code}")
                    matched.append(_matched(response, endpoint))
                    if time.perf_counter() - started > args.max_seconds:
                        break
                results.append({
                    "user": label, "kind": kind_label, "endpoint": endpoint, "n": len(times),
                    "median": statistics.median(times) * 1000, "p95": _percentile(times, 95) * 1000,
                    "matched": _typical(matched),
                })
                print(f"  {label:<16} {_pad(kind_label, 22)} {endpoint:<4} median {results[-1]['median']:7.1f} ms"
                      f"  p95 {results[-1]['p95']:7.1f} ms", flush=True)
    return results


def _pad(text: str, width: int) -> str:
    """Left-aligned in ``width`` terminal columns (Chinese characters take two)."""
    columns = sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)
    return text + " " * max(0, width - columns)


def _percentile(values: list[float], percent: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


def _typical(matched: list[str]) -> str:
    """The median number of rows matched ("1000+" style caps sort above every number)."""
    def key(value: str) -> float:
        digits = value.replace(",", "").rstrip("+")
        return float(digits) + (0.5 if value.endswith("+") else 0) if digits.isdigit() else -1

    ordered = sorted(matched, key=key)
    return ordered[len(ordered) // 2] if ordered else "?"


def explain(users, kind: str) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the count and the page query of the list, one query of
    ``kind`` per user."""
    from django.db import connection

    from xueji.pupils.scoping import pupil_scope_school_ids
    from xueji.pupils.selectors import pupil_list, pupil_search, searched_by_school

    rng = random.Random(SEED + 2)
    for user, label in users:
        query = rng.choice(query_pools(user, rng, size=200)[kind])
        # What the list's filter (xueji.pupils.filters) does with a search alone.
        schools = pupil_scope_school_ids(user) if searched_by_school(query) else None
        queryset = pupil_search(pupil_list(user), query, school_ids=schools)
        count_sql, count_params = queryset.order_by().values("pk").query.sql_with_params()
        page_sql, page_params = queryset[:50].query.sql_with_params()
        for title, statement, params in (
            ("count", f"SELECT COUNT(*) FROM ({count_sql}) counted", count_params),
            ("page", page_sql, page_params),
        ):
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            print(f"\n--- {label}, {kind} {query!r}, {title} ---\n{plan}")
    print()


# Output --------------------------------------------------------------------------------------

def _print_header(args, load_seconds, users) -> None:
    from django.db import connection

    from xueji.accounts.models import Unit
    from xueji.pupils.models import Pupil, SchoolClass, StudentNumber
    from xueji.pupils.scoping import pupils_visible_to

    facts = _setup.server_facts()
    print()
    print(f"PostgreSQL {facts.pop('PostgreSQL')}  ({', '.join(f'{k}={v}' for k, v in facts.items())})")
    print(f"Database {connection.settings_dict['NAME']}: {Pupil.objects.count():,} pupils, "
          f"{StudentNumber.objects.count():,} 学籍号 rows, {Unit.objects.filter(kind='school').count():,} schools, "
          f"{SchoolClass.objects.count():,} classes, {Unit.objects.count():,} units")
    stored = _read_meta("load_seconds")
    if load_seconds is not None:
        print(f"Data set built in {load_seconds:.0f} s")
    elif stored is not None:
        print(f"Data set reused (it was built in {stored:.0f} s)")
    for user, label in users:
        print(f"  {label:<16} ({user.username}): scope {pupils_visible_to(user).count():,} pupils")
    print(f"Requests: {args.requests} per user, query kind and endpoint after {args.warmup} warm-up "
          f"(at most {args.max_seconds:.0f} s a series); target p95 <= {TARGET_MS:.0f} ms")
    print()


def _print_table(results: list[dict]) -> None:
    header = f"{'user':<16} {'query':<22} {'endpoint':<8} {'n':>4} {'median ms':>10} {'p95 ms':>8} {'rows':>8}  p95<=100"
    print()
    print(header)
    print("-" * len(header))
    for r in results:
        verdict = "yes" if r["p95"] <= TARGET_MS else "NO"
        print(f"{r['user']:<16} {_pad(r['kind'], 22)} {r['endpoint']:<8} {r['n']:>4} {r['median']:>10.1f} {r['p95']:>8.1f} "
              f"{r['matched']:>8}  {verdict}")
    missed = [r for r in results if r["p95"] > TARGET_MS]
    print()
    print(f"{len(results) - len(missed)} of {len(results)} series within the target."
          + (" Slowest: " + ", ".join(f"{r['user']} / {r['kind']} / {r['endpoint']} ({r['p95']:.0f} ms)"
                                      for r in sorted(missed, key=lambda r: -r["p95"])[:5]) if missed else ""))


if __name__ == "__main__":
    sys.exit(main())
