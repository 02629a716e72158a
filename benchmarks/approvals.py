#!/usr/bin/env python
"""Benchmark: the approval engine with 100,000 open transfer requests on PostgreSQL.

Run from the project root:

    .venv/bin/python benchmarks/approvals.py [--requests 200] [--sweep-runs 5] [--rebuild] [--explain]

It works in a database of its own (``xueji_bench_approvals``, see benchmarks/_setup.py): the
pupils of benchmarks/pupil_search.py (1,000,000, copied from ``xueji_bench`` when that holds the
same data set and nobody is connected to it, else built the same way), and on top of them 100,000
open transfer requests as the services would have written them — the chain of steps
``TransferKind.chain`` gives, the parties, attachments, the earlier steps approved, the current
one pending with its deadline in working days — inserted with COPY. Then it times

* the deadline sweep (``deadlines_sweep``) at a moment when no step has been processed yet (every
  overdue step of the last 30 working days at once), a second sweep right after (which must write
  nothing), and the first sweep of the next working day (what a day brings in the steady state);
* the inbox of the county bureau with the most waiting steps, page and API, pages 1 and 2; a
  headmaster's inbox; a city officer's request list, all and pending only — through the whole
  Django stack (``django.test.Client``), median and p95 per series.

Target (the issue): with 100,000 open requests the bureau inbox p95 <= 100 ms, the sweep <= 5 s.
"""

import argparse
import json
import random
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from datetime import time as clock
from datetime import timezone as dt_timezone
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402
import pupil_search  # noqa: E402  (its data set of pupils, its bookkeeping and output helpers)

# Bump when the generated requests change, so that an old set is rebuilt.
DATASET_VERSION = 1
SEED = 20261116
TARGET_MS = 100.0
SWEEP_TARGET_S = 5.0
CST = dt_timezone(timedelta(hours=8))
# The moment the data set describes (a Monday morning): the open requests were started before it,
# their current steps fall due from 30 working days before it to 10 after. The sweep runs "now".
ANCHOR = datetime(2026, 11, 16, 10, 0, tzinfo=CST)
NEXT_DAY = ANCHOR + timedelta(days=1)  # Tuesday, a working day
# Where the pupil of a transfer goes: the same county, another county of the city, another city.
SAME_COUNTY, SAME_CITY = 0.55, 0.85
# The city district of each city (its first county) draws three times as many transfers as the
# other counties, and county-town schools twice as many as rural ones.
HOT_COUNTY_WEIGHT, COUNTY_TOWN_WEIGHT = 3, 2
# Which step of its chain a request waits at: bureaus are slower than schools.
BUREAU_STEP_WEIGHT = 2
# The current step: 65% not yet due (0–10 working days left), the rest overdue by 1–30.
NOT_DUE_SHARE = 0.65
GROUNDS_WEIGHTS = {"residence": 45, "job": 25, "migrant": 20, "other": 10}
PROOFS = [("户口簿.pdf", "application/pdf"), ("居住证.jpg", "image/jpeg"), ("房产证明.pdf", "application/pdf"),
          ("工作调动证明.png", "image/png")]
NULL = "\\N"

REQUEST_COLUMNS = ["id", "kind", "payload", "status", "started_at", "finished_at", "current_position",
                   "followed_up_at", "pupil_id", "resubmission_of_id", "started_by_id", "started_unit_id"]
STEP_COLUMNS = ["request_id", "position", "unit_id", "role", "label", "working_days", "status", "activated_at",
                "due_at", "decided_at", "decided_by_id", "comment", "reminded_at", "overdue_at"]
PARTY_COLUMNS = ["request_id", "unit_id"]
ATTACHMENT_COLUMNS = ["request_id", "file", "original_name", "content_type", "size", "label", "uploaded_by_id",
                      "uploaded_at"]
REQUEST_TABLES = ["xueji_changerequest", "xueji_approvalstep", "xueji_requestparty", "xueji_attachment"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--open-requests", type=int,
                        help="open transfer requests (default 100,000; 300,000 with a province's pupils)")
    parser.add_argument("--pupils", type=int, default=1_000_000, help="pupils under them (default 1,000,000)")
    parser.add_argument("--requests", type=int, default=200, help="timed HTTP requests per series (default 200)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed requests before each series")
    parser.add_argument("--max-seconds", type=float, default=30.0, help="stop a series after this long (default 30)")
    parser.add_argument("--sweep-runs", type=int, default=5, help="timed sweeps from the unprocessed state (default 5)")
    parser.add_argument("--database", help="benchmark database name (default xueji_bench_approvals; with a province's "
                                           "pupils their own database, the requests written there beside them)")
    parser.add_argument("--pupils-from",
                        help="copy the pupils from this database when it holds the same data set "
                             "(default pupil_search's for the size: xueji_bench, xueji_bench_10m)")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    parser.add_argument("--only", nargs="+", default=[], choices=["sweep", "pages"], help="measure only these")
    parser.add_argument("--explain", action="store_true",
                        help="also print EXPLAIN (ANALYZE, BUFFERS) of the slowest queries of each series and sweep")
    args = parser.parse_args()
    province = args.pupils >= pupil_search.PROVINCE_FROM
    args.open_requests = args.open_requests or (300_000 if province else 100_000)
    args.pupils_from = args.pupils_from or pupil_search.default_database(args.pupils)
    # A province's pupils are not copied (another ~17 GB): the requests go into their database,
    # under signatures of their own, and every run starts again from the unprocessed state.
    args.database = args.database or (args.pupils_from if province else "xueji_bench_approvals")

    url = _setup.bench_database_url(args.database)
    pupils_signature = {"version": pupil_search.DATASET_VERSION, "pupils": args.pupils, "seed": pupil_search.SEED}
    requests_signature = {"version": DATASET_VERSION, "open_requests": args.open_requests, "seed": SEED,
                          "anchor": ANCHOR.isoformat()}
    if _setup.database_exists(url) and (args.rebuild or pupil_search._read_signature(url) != pupils_signature):
        print(f"Dropping {args.database} (rebuild, or its pupils are not the requested ones) ...", flush=True)
        _setup.drop_database(url)
    copied_seconds = None
    if not _setup.database_exists(url):
        copied_seconds = _copy_pupils(args.pupils_from, url, pupils_signature)
        if copied_seconds is None:
            _setup.create_database(url)

    _setup.setup_django(url)
    pupil_search._prepare_indexes_for_migrate()
    _prepare_request_indexes_for_migrate()
    _setup.migrate()
    pupil_search._sync_pupil_indexes()

    build = {}
    if pupil_search._read_signature(url) != pupils_signature:
        print(f"Building the pupils: {args.pupils:,} (as benchmarks/pupil_search.py does) ...", flush=True)
        started = time.perf_counter()
        pupil_search.build_dataset(args.pupils)
        pupil_search._write_meta("signature", pupils_signature)
        pupil_search._write_meta("load_seconds", round(time.perf_counter() - started, 1))
        build["pupils"] = time.perf_counter() - started
    elif copied_seconds is not None:
        build["pupils (copied)"] = copied_seconds
    _sync_request_schema()
    if pupil_search._read_meta("requests_signature") != requests_signature:
        print(f"Building {args.open_requests:,} open transfer requests ...", flush=True)
        started = time.perf_counter()
        build_requests(args.open_requests)
        pupil_search._write_meta("requests_signature", requests_signature)
        pupil_search._write_meta("requests_load_seconds", round(time.perf_counter() - started, 1))
        build["requests"] = time.perf_counter() - started

    users = _bench_users()
    _print_header(args, build, users)
    only = set(args.only) or {"sweep", "pages"}
    sweep = measure_sweep(args) if "sweep" in only else None
    if "pages" in only:
        _prepare_pages()
        results = measure_pages(users, args)
        _print_table(results, sweep)
    elif sweep:
        _print_table([], sweep)
    return 0


# The database --------------------------------------------------------------------------------

def _copy_pupils(source: str, url: str, signature: dict) -> float | None:
    """Create the benchmark database as a copy of ``source`` when that holds the same pupils
    (CREATE DATABASE … TEMPLATE: a file copy, far faster than building them again). PostgreSQL
    refuses while anyone is connected to ``source``; the pupils are then built instead."""
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


REQUEST_MODELS = ("ChangeRequest", "ApprovalStep", "RequestParty", "Attachment", "Notice")


def _request_models():
    from django.apps import apps

    return [apps.get_model("xueji", name) for name in REQUEST_MODELS]


def _migration_names(model_name: str, applied_only: bool) -> set[str]:
    """Names of the Meta indexes and constraints of a model in the migrations' state: the applied
    migrations, or all of them."""
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection)
    state = loader.project_state(tuple(loader.applied_migrations) if applied_only else None)
    model = state.models.get(("xueji", model_name.lower()))
    if model is None:
        return set()
    return {item.name for item in [*model.options.get("indexes", []), *model.options.get("constraints", [])]}


def _prepare_request_indexes_for_migrate() -> None:
    """Indexes and constraints created ahead of their migrations (see _sync_request_schema) are
    dropped before the migrations that create them run."""
    from django.db import connection

    if not _setup.pending_migrations():
        return
    with connection.cursor() as cursor:
        for name in REQUEST_MODELS:
            for item in sorted(_migration_names(name, False) - _migration_names(name, True)):
                cursor.execute("SELECT conrelid::regclass::text FROM pg_constraint WHERE conname = %s", [item])
                row = cursor.fetchone()
                if row:
                    cursor.execute(f'ALTER TABLE {row[0]} DROP CONSTRAINT "{item}"')
                cursor.execute(f'DROP INDEX IF EXISTS "{item}"')


def _sync_request_schema() -> None:
    """Give the request tables the indexes the models declare, also before migrations for them
    exist (as pupil_search.py does for Pupil): create missing Meta indexes and constraints,
    recreate Meta indexes declared on other columns, drop Meta indexes the model dropped, and drop
    single-column indexes on fields that no longer ask for one (db_index=False, not unique). The
    migrations that follow find what they expect: Django drops field indexes with IF EXISTS or
    after looking them up, and _prepare_request_indexes_for_migrate drops the Meta ones first."""
    from django.db import connection

    for model in _request_models():
        table = model._meta.db_table
        declared = {item.name for item in [*model._meta.indexes, *model._meta.constraints]}
        changed = False
        with connection.schema_editor(atomic=False) as editor:
            with connection.cursor() as cursor:
                present = connection.introspection.get_constraints(cursor, table)
            for index in model._meta.indexes:  # declared with other columns than the database's
                columns = [model._meta.get_field(name.lstrip("-")).column for name in index.fields]
                if index.name in present and index.fields and present[index.name]["columns"] != columns:
                    print(f"Recreating index {index.name} on {table} on {', '.join(columns)} ...", flush=True)
                    editor.remove_index(model, index)
                    editor.add_index(model, index)
                    changed = True
            for index in _setup.missing_model_indexes(model):
                print(f"Creating index {index.name} on {table} (no migration yet) ...", flush=True)
                editor.add_index(model, index)
                changed = True
            for constraint in model._meta.constraints:
                if constraint.name not in present:
                    print(f"Creating constraint {constraint.name} on {table} (no migration yet) ...", flush=True)
                    editor.add_constraint(model, constraint)
                    changed = True
        fields = {f.column: f for f in model._meta.local_concrete_fields}
        with connection.cursor() as cursor:
            for name, info in connection.introspection.get_constraints(cursor, table).items():
                if name in declared or info["primary_key"] or info["foreign_key"] or info["check"]:
                    continue
                field = fields.get(info["columns"][0]) if len(info["columns"]) == 1 else None
                dropped_meta = name in _migration_names(model.__name__, True)
                if not dropped_meta and (field is None or field.db_index or field.unique):
                    continue
                print(f"Dropping index {name} on {table} (the model no longer declares it) ...", flush=True)
                cursor.execute("SELECT 1 FROM pg_constraint WHERE conname = %s", [name])
                if cursor.fetchone():
                    cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                else:
                    cursor.execute(f'DROP INDEX "{name}"')
                changed = True
            if changed:
                cursor.execute(f"ANALYZE {table}")


# The data set --------------------------------------------------------------------------------

def build_requests(total: int) -> None:
    """``total`` open transfer requests, as transfer_start → request_start and the decisions
    since would have left them, inserted with COPY."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from transfers.kinds import TransferKind
    from xueji.accounts.models import BUREAU_ROLES, Membership, Role, Unit, UnitKind, User
    from xueji.accounts.selectors import bureau_settings_for
    from xueji.approvals.chains import DECIDING_ROLE
    from xueji.approvals.services import due_at_for
    from xueji.calendar import workdays
    from xueji.pupils.models import SchoolClass

    rng = random.Random(SEED)
    step = pupil_search._Stopwatch()
    with connection.cursor() as cursor:  # a previous build of the requests
        cursor.execute(f"TRUNCATE {', '.join(REQUEST_TABLES)}, xueji_notice RESTART IDENTITY CASCADE")
    User.objects.filter(username__startswith="ap_").delete()

    # The tree, in memory.
    units = {u.pk: u for u in Unit.objects.all()}
    for unit in units.values():
        unit.parent = units.get(unit.parent_id)  # so that the chain below queries nothing

    def nearest(unit, kind):
        while unit is not None and unit.kind != kind:
            unit = unit.parent
        return unit

    schools = [u for u in units.values() if u.kind == UnitKind.SCHOOL]
    county_of = {s.pk: nearest(s, UnitKind.COUNTY_BUREAU) for s in schools}
    counties = sorted({c.pk for c in county_of.values()})
    city_of = {c: units[c].parent_id for c in counties}
    hot = {min(c for c in counties if city_of[c] == city) for city in set(city_of.values())}
    classes = defaultdict(list)
    for class_id, school_id, grade in SchoolClass.objects.values_list("id", "school_id", "grade").order_by("id"):
        classes[(school_id, grade)].append(class_id)
    targets = defaultdict(list)  # (county, grade) -> schools teaching that grade, with weights
    for school in sorted(schools, key=lambda s: s.pk):
        for grade in range(1, 10):
            if classes[(school.pk, grade)]:
                targets[(county_of[school.pk].pk, grade)].append(school)
    target_weights = {key: [COUNTY_TOWN_WEIGHT if s.is_county_town else 1 for s in value]
                      for key, value in targets.items()}

    # People: a registrar and a headmaster for every school, the officer of every central school
    # and bureau. Registrars start the transfers, the others decide.
    wanted = []
    for unit in sorted(units.values(), key=lambda u: u.pk):
        if unit.kind == UnitKind.SCHOOL:
            wanted.append((unit, Role.REGISTRAR, f"ap_registrar_{unit.pk}", "学籍管理员"))
        wanted.append((unit, DECIDING_ROLE[UnitKind(unit.kind)], f"ap_decider_{unit.pk}",
                       "校长" if unit.kind == UnitKind.SCHOOL else "审批人"))
    password = make_password(None)
    with transaction.atomic():
        created = User.objects.bulk_create(
            [User(username=username, full_name=full_name, password=password) for _u, _r, username, full_name in wanted]
        )
        Membership.objects.bulk_create(
            [Membership(user=user, unit=unit, role=role) for (unit, role, _u, _f), user in zip(wanted, created)]
        )
    holder = {(unit.pk, role): user.pk for (unit, role, _u, _f), user in zip(wanted, created)}
    step.lap(f"users: {len(created):,} with their memberships")

    # Chains, computed from the tree as TransferKind.chain does (checked against it below).
    working_days = {}

    def spec(unit, label):
        if unit.pk not in working_days:
            working_days[unit.pk] = bureau_settings_for(unit).approval_working_days
        return (unit.pk, DECIDING_ROLE[UnitKind(unit.kind)], label, working_days[unit.pk])

    def school_part(school, label):
        part = [spec(school, f"{label}校长审核")]
        if school.parent is not None and school.parent.kind == UnitKind.CENTRAL_SCHOOL:
            part.append(spec(school.parent, f"{label}中心校审核"))
        return part

    # The bureau that approves for a school (bureau_of: its nearest bureau), from the tree.
    bureau_of = {}
    for school in schools:
        unit = school
        while unit.kind not in (UnitKind.COUNTY_BUREAU, UnitKind.CITY_BUREAU, UnitKind.PROVINCE_BUREAU):
            unit = unit.parent
        bureau_of[school.pk] = unit

    @lru_cache(maxsize=None)
    def chain_of(to_id, from_id):
        to_school, from_school = units[to_id], units[from_id]
        to_bureau, from_bureau = bureau_of[to_id], bureau_of[from_id]
        if to_bureau.pk == from_bureau.pk:
            return (*school_part(to_school, "转入学校"), *school_part(from_school, "转出学校"),
                    spec(to_bureau, f"{to_bureau.name}审批"))
        return (*school_part(to_school, "转入学校"), spec(to_bureau, f"转入地{to_bureau.name}审批"),
                *school_part(from_school, "转出学校"), spec(from_bureau, f"转出地{from_bureau.name}审批"))

    # Working days, cached per date.
    add_working_days = lru_cache(maxsize=None)(workdays.add_working_days)

    @lru_cache(maxsize=None)
    def due_on(day: date) -> datetime:
        return due_at_for(datetime.combine(day, clock(12), CST), 10)

    def at(day: date, earliest=8 * 60, latest=18 * 60) -> datetime:
        minute = rng.randrange(earliest, latest)
        return datetime.combine(day, clock(minute // 60, minute % 60, rng.randrange(60), rng.randrange(1_000_000)), CST)

    # The pupils who transfer: enrolled, one open request each (request_one_open_per_pupil);
    # pupils in a graduating grade rarely (they need a bureau's exception).
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, school_id, grade, school_class_id FROM xueji_pupil "
                       "WHERE status = 'enrolled' AND deleted_at IS NULL ORDER BY id")
        pupils = cursor.fetchall()
    rng.shuffle(pupils)
    school_name = {s.pk: s.name for s in schools}
    anchor_day = ANCHOR.date()
    grounds, grounds_weights = list(GROUNDS_WEIGHTS), list(GROUNDS_WEIGHTS.values())
    requests, steps_by_request, parties_by_request = [], {}, {}
    for pupil_id, from_id, grade, from_class in pupils:
        if len(requests) == total:
            break
        graduating = grade in (6, 9)
        if graduating and rng.random() < 0.8:
            continue
        from_county = county_of[from_id].pk
        roll = rng.random()
        if roll < SAME_COUNTY:
            to_county = from_county
        else:
            same_city = roll < SAME_CITY
            pool = [c for c in counties if c != from_county and (city_of[c] == city_of[from_county]) == same_city]
            to_county = rng.choices(pool, weights=[HOT_COUNTY_WEIGHT if c in hot else 1 for c in pool])[0]
        candidates = targets[(to_county, grade)]
        weights = target_weights[(to_county, grade)]
        to_school = rng.choices(candidates, weights=weights)[0]
        if to_school.pk == from_id:
            continue
        to_class = rng.choice(classes[(to_school.pk, grade)])
        chain = chain_of(to_school.pk, from_id)

        # The step it waits at, and when that step falls due (in working days from the anchor).
        weights = [BUREAU_STEP_WEIGHT if s[1] in BUREAU_ROLES else 1 for s in chain]
        position = rng.choices(range(len(chain)), weights=weights)[0]
        offset = rng.randint(0, 10) if rng.random() < NOT_DUE_SHARE else -1 - min(29, int(30 * rng.random() ** 1.5))
        due_day = add_working_days(anchor_day, offset)
        day = add_working_days(due_day, -10)  # activated 10 working days before it is due
        activated = [at(day, latest=10 * 60) if day == anchor_day else at(day)]
        for _earlier in range(position):  # each earlier step took 1–8 working days
            day = add_working_days(day, -rng.randint(1, 8))
            activated.insert(0, at(day))
        rows = []
        for index, (unit_id, role, label, days) in enumerate(chain):
            if index < position:
                rows.append([index, unit_id, role, label, days, "approved", activated[index],
                             due_on(activated[index].date()), activated[index + 1], holder[(unit_id, role)],
                             "同意" if rng.random() < 0.3 else ""])
            elif index == position:
                rows.append([index, unit_id, role, label, days, "pending", activated[index],
                             due_on(activated[index].date()), None, None, ""])
            else:
                rows.append([index, unit_id, role, label, days, "waiting", None, None, None, None, ""])
        payload = {
            "from_school": from_id, "from_school_name": school_name[from_id], "from_class": from_class,
            "to_school": to_school.pk, "to_class": to_class,
            "grounds": rng.choices(grounds, weights=grounds_weights)[0],
            "grounds_note": "随父母迁居" if rng.random() < 0.5 else "", "needs_exception": graduating,
        }
        granted = next((r for r in rows[:position] if r[2] in BUREAU_ROLES), None)
        if graduating and granted is not None:
            payload["exception"] = {"reason": "随父母工作调动，确需转学", "by": granted[9], "unit": units[granted[1]].name}
        requests.append({
            "pupil": pupil_id, "payload": payload, "started_at": activated[0], "position": position,
            "started_by": holder[(to_school.pk, Role.REGISTRAR)], "started_unit": to_school.pk,
        })
        steps_by_request[len(requests) - 1] = rows
        parties_by_request[len(requests) - 1] = {to_school.pk, from_id, *(s[0] for s in chain)}
    if len(requests) < total:
        raise SystemExit(f"Only {len(requests):,} pupils could be given a transfer; build more pupils (--pupils).")
    step.lap(f"generated {len(requests):,} requests")

    _check_chains(TransferKind(), requests[:: max(1, len(requests) // 300)], steps_by_request, requests)

    # Ids in the order the requests were started, as the sequence would have given them.
    order = sorted(range(len(requests)), key=lambda i: requests[i]["started_at"])
    ts = lambda moment: NULL if moment is None else moment.isoformat(sep=" ")  # noqa: E731
    request_lines, step_lines, party_lines, attachment_lines = [], [], [], []
    for request_id, index in enumerate(order, start=1):
        r = requests[index]
        request_lines.append("\t".join((
            str(request_id), "transfer", _text(json.dumps(r["payload"], ensure_ascii=False)), "pending",
            ts(r["started_at"]), NULL, str(r["position"]), NULL, str(r["pupil"]), NULL, str(r["started_by"]),
            str(r["started_unit"]),
        )))
        for row in steps_by_request[index]:
            position, unit_id, role, label, days, status, activated, due, decided, decided_by, comment = row
            step_lines.append("\t".join((
                str(request_id), str(position), str(unit_id), role, label, str(days), status, ts(activated), ts(due),
                ts(decided), NULL if decided_by is None else str(decided_by), comment, NULL, NULL,
            )))
        for unit_id in sorted(parties_by_request[index]):
            party_lines.append(f"{request_id}\t{unit_id}")
        for _proof in range(1 if rng.random() < 0.7 else 2):  # proof is required to start a transfer
            name, content_type = rng.choice(PROOFS)
            attachment_lines.append("\t".join((
                str(request_id), f"attachment/{rng.getrandbits(128):032x}{Path(name).suffix}", name, content_type,
                str(rng.randrange(40_000, 3_000_000)), "", str(r["started_by"]), ts(r["started_at"]),
            )))
    step.lap("rows formatted")

    # COPY into the tables without their secondary indexes, which are created again afterwards
    # (several times faster than keeping them up to date row by row); keys and foreign keys stay.
    with connection.cursor() as cursor:
        saved = pupil_search._drop_secondary_indexes(cursor, REQUEST_TABLES)
    with transaction.atomic(), connection.cursor() as cursor:
        pupil_search._copy(cursor, "xueji_changerequest", REQUEST_COLUMNS, request_lines)
        pupil_search._copy(cursor, "xueji_approvalstep", STEP_COLUMNS, step_lines)
        pupil_search._copy(cursor, "xueji_requestparty", PARTY_COLUMNS, party_lines)
        pupil_search._copy(cursor, "xueji_attachment", ATTACHMENT_COLUMNS, attachment_lines)
    step.lap(f"copied {len(request_lines):,} requests, {len(step_lines):,} steps, {len(party_lines):,} parties, "
             f"{len(attachment_lines):,} attachments")
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for statement in saved:
            cursor.execute(statement)
        cursor.execute("RESET maintenance_work_mem")
        cursor.execute("SELECT setval(pg_get_serial_sequence('xueji_changerequest', 'id'), %s)", [len(request_lines)])
    step.lap(f"indexes: {len(saved)} rebuilt")
    with connection.cursor() as cursor:
        for table in [*REQUEST_TABLES, "xueji_notice", "xueji_user", "xueji_membership"]:
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    step.lap("vacuum analyze")


def _text(value: str) -> str:
    """A value for COPY's text format."""
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def _check_chains(kind, sample: list[dict], steps_by_request: dict, requests: list[dict]) -> None:
    """The chains generated here are the ones TransferKind.chain gives (a sample of them)."""
    from xueji.approvals.models import ChangeRequest

    index_of = {id(r): i for i, r in enumerate(requests)}
    for r in sample:
        expected = [(s.unit.pk, s.role, s.label) for s in kind.chain(ChangeRequest(payload=r["payload"]))]
        generated = [(row[1], row[2], row[3]) for row in steps_by_request[index_of[id(r)]]]
        if expected != generated:
            raise SystemExit(f"Generated chain differs from TransferKind.chain:\n  {generated}\n  {expected}")


def _bench_users() -> list[tuple]:
    """The users measured: the officer of the county bureau with the most waiting steps, the
    headmaster of the school with the most, and the officer of that county's city."""
    from django.db.models import Count

    from xueji.accounts.models import Membership, Role, Unit
    from xueji.approvals.models import ApprovalStep

    waiting = (ApprovalStep.objects.filter(status="pending").values("unit_id", "role")
               .annotate(n=Count("id")).order_by("-n", "unit_id"))
    county = waiting.filter(role=Role.COUNTY_OFFICER).first()
    school = waiting.filter(role=Role.HEADMASTER).first()
    county_unit = Unit.objects.get(pk=county["unit_id"])
    picks = [
        ("county", "county officer", county["unit_id"], Role.COUNTY_OFFICER),
        ("headmaster", "headmaster", school["unit_id"], Role.HEADMASTER),
        ("city", "city officer", county_unit.parent_id, Role.CITY_OFFICER),
    ]
    users = []
    for key, label, unit_id, role in picks:
        membership = Membership.objects.select_related("user", "unit").get(
            unit_id=unit_id, role=role, user__username__startswith="ap_")
        users.append((key, label, membership.user, membership.unit))
    return users


# Measuring -----------------------------------------------------------------------------------

def _reset_sweep() -> None:
    """Back to "no step processed": no reminder or overdue mark, no notice. VACUUM afterwards,
    as autovacuum would, so that every run finds the tables alike."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("UPDATE xueji_approvalstep SET reminded_at = NULL, overdue_at = NULL "
                       "WHERE reminded_at IS NOT NULL OR overdue_at IS NOT NULL")
        cursor.execute("TRUNCATE xueji_notice")
        cursor.execute("VACUUM (ANALYZE) xueji_approvalstep")
        cursor.execute("VACUUM (ANALYZE) xueji_notice")


def _notice_count() -> int:
    from xueji.approvals.models import Notice

    return Notice.objects.count()


def measure_sweep(args) -> dict:
    from xueji.approvals.services import deadlines_sweep

    print(f"Deadline sweep at {ANCHOR:%Y-%m-%d %H:%M} (+08:00), {args.sweep_runs} runs from the unprocessed state:",
          flush=True)
    if args.explain:
        _explain_sweep()
    first, again, next_day, reports = [], [], [], []
    for run in range(args.sweep_runs):
        _reset_sweep()
        started = time.perf_counter()
        report = deadlines_sweep(now=ANCHOR)
        first.append(time.perf_counter() - started)
        written = _notice_count()
        started = time.perf_counter()
        second = deadlines_sweep(now=ANCHOR)
        again.append(time.perf_counter() - started)
        written_again = _notice_count() - written
        # The steady state: the sweep runs every 10 minutes, so a day's work is what falls due in a
        # day (here the first sweep of the next working day, which finds the whole day's steps).
        started = time.perf_counter()
        following = deadlines_sweep(now=NEXT_DAY)
        next_day.append(time.perf_counter() - started)
        written_next = _notice_count() - written - written_again
        reports.append((report, written, second, written_again, following, written_next))
        print(f"  run {run + 1}: {first[-1]:6.2f} s — reminded {report.reminded:,}, overdue {report.overdue:,}, "
              f"escalated {report.escalated:,}, notices written {written:,}; again: {again[-1]:5.2f} s, "
              f"reminded {second.reminded}, overdue {second.overdue}, notices written {written_again}; "
              f"next day: {next_day[-1]:5.2f} s, reminded {following.reminded:,}, overdue {following.overdue:,}, "
              f"notices written {written_next:,}", flush=True)
    report, written, second, written_again, following, written_next = reports[-1]
    return {"first": first, "again": again, "report": report, "written": written, "second": second,
            "written_again": written_again, "next_day": next_day, "following": following,
            "written_next": written_next}


def _explain_sweep() -> None:
    """An untimed sweep that prints EXPLAIN (ANALYZE, BUFFERS) of each statement that writes
    (run in a savepoint rolled back, then for real) and of its slowest reads."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from xueji.approvals.services import deadlines_sweep

    def explaining(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith(("WITH", "UPDATE", "INSERT")):
            savepoint = transaction.savepoint()
            with connection.cursor() as cursor:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            transaction.savepoint_rollback(savepoint)
            print(f"\n--- deadline sweep, a statement that writes ---\n{sql.strip()[:800]}\n{plan}")
        return execute(sql, params, many, context)

    _reset_sweep()
    with transaction.atomic(), connection.execute_wrapper(explaining), CaptureQueriesContext(connection) as capture:
        deadlines_sweep(now=ANCHOR)
    _explain_slowest(capture.captured_queries, "deadline sweep (untimed, with the plans above)")


def _prepare_pages() -> None:
    """The pages are measured with the notices of one sweep in place, as in production, and the
    tables vacuumed as autovacuum keeps them (not right after the sweep's 50,000 updates)."""
    from django.db import connection

    if not _notice_count():
        from xueji.approvals.services import deadlines_sweep

        _reset_sweep()
        deadlines_sweep(now=ANCHOR)
    with connection.cursor() as cursor:
        for table in [*REQUEST_TABLES, "xueji_notice"]:
            cursor.execute(f"VACUUM (ANALYZE) {table}")


def _series(users) -> list[tuple]:
    """(user key, user, series label, path, query, headers)."""
    by_key = {key: user for key, _label, user, _unit in users}
    api = {"HTTP_ACCEPT": "application/json"}
    return [
        ("county", by_key["county"], "inbox page", "/inbox/", {}, {}),
        ("county", by_key["county"], "inbox page 2", "/inbox/", {"page": 2}, {}),
        ("county", by_key["county"], "inbox API", "/api/v1/inbox/", {}, api),
        ("county", by_key["county"], "inbox API page 2", "/api/v1/inbox/", {"page": 2}, api),
        ("headmaster", by_key["headmaster"], "inbox page", "/inbox/", {}, {}),
        ("headmaster", by_key["headmaster"], "inbox API", "/api/v1/inbox/", {}, api),
        ("city", by_key["city"], "requests", "/requests/", {}, {}),
        ("city", by_key["city"], "requests pending", "/requests/", {"status": "pending"}, {}),
    ]


def measure_pages(users, args) -> list[dict]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    labels = {key: label for key, label, _user, _unit in users}
    scope = _scopes(users)
    results = []
    clients = {}
    for key, user, series, path, query, headers in _series(users):
        if key not in clients:
            clients[key] = _setup.signed_in_client(user, raise_request_exception=True)
        client = clients[key]
        for _ in range(args.warmup):
            client.get(path, query, **headers)
        with CaptureQueriesContext(connection) as capture:
            response = client.get(path, query, **headers)
        if response.status_code != 200:
            raise SystemExit(f"{path} {query} as {user.username}: HTTP {response.status_code}")
        queries = len(capture.captured_queries)
        if args.explain:
            _explain_slowest(capture.captured_queries, f"{labels[key]}, {series}")
        times = []
        started = time.perf_counter()
        for _ in range(args.requests):
            before = time.perf_counter()
            response = client.get(path, query, **headers)
            times.append(time.perf_counter() - before)
            if response.status_code != 200:
                raise SystemExit(f"{path} {query} as {user.username}: HTTP {response.status_code}")
            if time.perf_counter() - started > args.max_seconds:
                break
        results.append({
            "user": labels[key], "series": series, "n": len(times), "queries": queries,
            "median": statistics.median(times) * 1000, "p95": pupil_search._percentile(times, 95) * 1000,
            "rows": scope[(key, "pending" in series)] if key == "city" else scope[(key, False)],
        })
        r = results[-1]
        print(f"  {r['user']:<15} {r['series']:<17} median {r['median']:7.1f} ms  p95 {r['p95']:7.1f} ms"
              f"  ({r['queries']} queries)", flush=True)
    return results


def _scopes(users) -> dict:
    """Rows in each user's scope: waiting steps for the inboxes, visible requests for the list."""
    from xueji.approvals.scoping import requests_visible_to, steps_waiting_for

    scope = {}
    for key, _label, user, _unit in users:
        if key == "city":
            visible = requests_visible_to(user)
            scope[(key, False)] = visible.count()
            scope[(key, True)] = visible.filter(status="pending").count()
        else:
            scope[(key, False)] = steps_waiting_for(user).count()
    return scope


def _explain_slowest(queries: list[dict], title: str, how_many: int = 3) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the slowest SELECTs among ``queries`` (as captured)."""
    from django.db import connection

    selects = [q for q in queries if q["sql"].lstrip().upper().startswith("SELECT")]
    total = sum(float(q["time"]) for q in queries)
    print(f"\n--- {title}: {len(queries)} queries, {total * 1000:.1f} ms in the database ---")
    for query in sorted(selects, key=lambda q: -float(q["time"]))[:how_many]:
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = "\n".join(row[0] for row in cursor.fetchall())
        print(f"\n{float(query['time']) * 1000:.1f} ms: {query['sql'][:600]}\n{plan}")
    print()


# Output --------------------------------------------------------------------------------------

def _print_header(args, build: dict, users) -> None:
    from django.db import connection
    from django.db.models import Count, Q

    from xueji.approvals.models import ApprovalStep, Attachment, ChangeRequest, RequestParty
    from xueji.pupils.models import Pupil

    facts = _setup.server_facts()
    print()
    print(f"PostgreSQL {facts.pop('PostgreSQL')}  ({', '.join(f'{k}={v}' for k, v in facts.items())})")
    requests = ChangeRequest.objects.aggregate(
        total=Count("id"), pending=Count("id", filter=Q(status="pending")))
    steps = ApprovalStep.objects.aggregate(
        total=Count("id"), pending=Count("id", filter=Q(status="pending")),
        overdue=Count("id", filter=Q(status="pending", due_at__lt=ANCHOR)),
    )
    chain_lengths = Counter(
        ApprovalStep.objects.values("request_id").annotate(n=Count("id")).values_list("n", flat=True))
    print(f"Database {connection.settings_dict['NAME']}: {Pupil.objects.count():,} pupils, "
          f"{requests['total']:,} requests ({requests['pending']:,} open), {steps['total']:,} steps "
          f"({steps['pending']:,} pending, {steps['overdue']:,} of them overdue at {ANCHOR:%Y-%m-%d %H:%M}), "
          f"{RequestParty.objects.count():,} parties, {Attachment.objects.count():,} attachments")
    across = ApprovalStep.objects.filter(position=0, request__steps__label__startswith="转入地").count()
    print(f"Transfers within one county: {requests['total'] - across:,}, across counties: {across:,}; chains: "
          + ", ".join(f"{n} steps: {count:,}" for n, count in sorted(chain_lengths.items())))
    if build:
        print("Built now: " + ", ".join(f"{what} in {seconds:.0f} s" for what, seconds in build.items()))
    else:
        print(f"Data set reused (requests built in {pupil_search._read_meta('requests_load_seconds', 0):.0f} s)")
    scope = _scopes(users)
    for key, label, user, unit in users:
        what = (f"{scope[(key, False)]:,} requests visible ({scope[(key, True)]:,} open)" if key == "city"
                else f"{scope[(key, False)]:,} steps waiting")
        print(f"  {label:<15} {user.username} at {unit.name}: {what}")
    print(f"Requests: {args.requests} per series after {args.warmup} warm-up (at most {args.max_seconds:.0f} s a "
          f"series); targets: p95 <= {TARGET_MS:.0f} ms, sweep <= {SWEEP_TARGET_S:.0f} s")
    print()


def _print_table(results: list[dict], sweep: dict | None) -> None:
    if results:
        header = (f"{'user':<15} {'series':<17} {'n':>4} {'queries':>7} {'median ms':>10} {'p95 ms':>8} "
                  f"{'rows':>8}  p95<=100")
        print()
        print(header)
        print("-" * len(header))
        for r in results:
            verdict = "yes" if r["p95"] <= TARGET_MS else "NO"
            print(f"{r['user']:<15} {r['series']:<17} {r['n']:>4} {r['queries']:>7} {r['median']:>10.1f} "
                  f"{r['p95']:>8.1f} {r['rows']:>8,}  {verdict}")
        missed = [r for r in results if r["p95"] > TARGET_MS]
        print()
        print(f"{len(results) - len(missed)} of {len(results)} series within the target."
              + (" Missed: " + ", ".join(f"{r['user']} / {r['series']} ({r['p95']:.0f} ms)" for r in missed)
                 if missed else ""))
    if sweep:
        median = statistics.median(sweep["first"])
        report = sweep["report"]
        print(f"Deadline sweep: median {median:.2f} s over {len(sweep['first'])} runs "
              f"(min {min(sweep['first']):.2f}, max {max(sweep['first']):.2f}) — "
              f"{'within' if median <= SWEEP_TARGET_S else 'NOT within'} {SWEEP_TARGET_S:.0f} s; "
              f"{report.reminded:,} reminded, {report.overdue:,} overdue, {report.escalated:,} escalated, "
              f"{sweep['written']:,} notices written.")
        print(f"Again right after: median {statistics.median(sweep['again']):.2f} s, "
              f"{sweep['second'].reminded + sweep['second'].overdue} steps processed, "
              f"{sweep['written_again']} notices written.")
        median_next = statistics.median(sweep["next_day"])
        following = sweep["following"]
        print(f"The next working day's first sweep (the steady state: a day of steps falling due): median "
              f"{median_next:.2f} s — {'within' if median_next <= SWEEP_TARGET_S else 'NOT within'} "
              f"{SWEEP_TARGET_S:.0f} s; {following.reminded:,} reminded, {following.overdue:,} overdue, "
              f"{sweep['written_next']:,} notices written.")


if __name__ == "__main__":
    sys.exit(main())
