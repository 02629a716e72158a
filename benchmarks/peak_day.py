#!/usr/bin/env python
"""Benchmark: a county's first of September, many people at once, against the running system.

Run from the project root:

    .venv/bin/python benchmarks/peak_day.py [--registrars 150] [--duration 10m] [--rebuild]
                                            [--url http://127.0.0.1:8000] [--only mixed|limit]

It starts the system itself, as `make run` does (scripts/run.py: gunicorn with gunicorn.conf.py,
a Celery worker reading every queue, Celery beat), on a free port of 127.0.0.1, against a database
of its own (``xueji_bench_peak``, see benchmarks/_setup.py) and Redis database 5. The database is
built once and reused (``--rebuild`` builds it again): the pupils of benchmarks/pupil_search.py
(``--pupils``, 300,000 by default: 800 schools, the biggest primary schools about 1,000 pupils),
the open transfer requests of benchmarks/approvals.py, and the accounts:

* N registrars (``--registrars``), each at a school of their own (the N biggest primary schools),
  each with a 400-row enrolment file of benchmarks/enrollment_import.py (the same generator) and
  its admission list; 12 of its rows carry mistakes;
* 10 headmasters, at the schools with the most steps waiting for a headmaster;
* 3 county bureau officers, at the counties with the most steps waiting for a bureau.

Each simulated person is a Locust user (headless, as a library) who logs in as people do — the
password, then the TOTP code of their authenticator, computed with pyotp — and then works with
5–20 s between actions: registrars open the home page, search and open pupils, upload the
enrolment file, read the errors, upload the corrected file and follow the import to its end,
print a class's cards and its roster (a job followed to its file, or the PDF at once);
headmasters sign from the inbox; officers work through the inbox, requests and statistics.

Then "the limit": the same setup answering /healthz/ for signed-in users (session, middleware, a
database round trip) with no think time, as fast as the stack goes on this machine: the mixed
load reads as a fraction of it.

It prints per endpoint the requests, failures, median, p95 and p99 (ms), the throughput, the CPU
used by the web, the worker, the database server and Locust itself, and a verdict against the
targets. ``--url`` drives a system already running on the benchmark's database instead (started
by an earlier run's setup, e.g. on a quiet machine; the accounts are in its database).
"""

import argparse
import hashlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

DATABASE = "xueji_bench_peak"
DATASET_VERSION = 1
REDIS_DB = 5
PASSWORD = "Peak#Day2026sept"
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # 160 bits (pyotp wants 112+); a device of its own per account
HEADMASTERS = 10
OFFICERS = 3
PROBES = 16  # signed-in users of the limit, without think time
FILE_ROWS = 400
BAD_ROWS = 12
REQUESTS = 3000  # open transfer requests for the inboxes
WORK_DIR = Path(tempfile.gettempdir()) / "xueji-bench-peak"
PLAN = WORK_DIR / "plan.json"
THINK = (5, 20)
# Targets (the issue).
PAGE_P95_MS = 300
SEARCH_P95_MS = 1000
UPLOAD_P95_MS = 1000
IMPORT_DONE_S = 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--registrars", type=int, default=150, help="registrars, one a school (default 150)")
    parser.add_argument("--duration", default="10m", help="the mixed load's length: 90s, 3m ... (default 10m)")
    parser.add_argument("--limit-duration", default="30s", help="the limit's length (default 30s)")
    parser.add_argument("--pupils", type=int, default=300_000, help="pupils in the data set (default 300,000)")
    parser.add_argument("--rebuild", action="store_true", help="drop the benchmark database and build it again")
    parser.add_argument("--url",
                        help="drive this running system instead of starting one (its database: the benchmark's)")
    parser.add_argument("--only", choices=["mixed", "limit"], help="run only the mixed load or only the limit")
    parser.add_argument("--spawn-rate", type=float, default=5.0, help="users started per second (default 5)")
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)  # the Django half, in a child
    args = parser.parse_args()
    if args.prepare:
        return prepare(args)

    url = _setup.bench_database_url(DATABASE)
    started = time.perf_counter()
    child = subprocess.run([sys.executable, __file__, "--prepare", *sys.argv[1:]], cwd=_setup.PROJECT_ROOT)
    if child.returncode:
        return child.returncode
    print(f"Prepared in {time.perf_counter() - started:.0f} s.", flush=True)
    plan = json.loads(PLAN.read_text())
    system = None
    try:
        if args.url:
            base = args.url.rstrip("/")
            if not re.match(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?$", base):
                raise SystemExit("--url: 127.0.0.1 only (this benchmark loads the machine it runs on).")
        else:
            system = System(url)
            base = system.start()
        # Locust (and gevent's monkey-patching) only now: the Django half ran in its own process.
        import _peak_load

        return _peak_load.run(args, base, plan, system)
    finally:
        if system is not None:
            system.stop()


def parse_seconds(text: str) -> float:
    match = re.fullmatch(r"(\d+(?:\.\d+)?)(s|m|h)?", text.strip())
    if not match:
        raise SystemExit(f"Not a duration: {text!r} (e.g. 90s, 3m).")
    return float(match.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[match.group(2)]


# The system, as `make run` starts it ---------------------------------------------------------

def _make_run():
    """scripts/run.py, whose commands are the ones used here (it imports its neighbours by name)."""
    import importlib.util

    scripts = str(_setup.PROJECT_ROOT / "scripts")
    if scripts not in sys.path:
        sys.path.append(scripts)
    spec = importlib.util.spec_from_file_location("xueji_make_run", _setup.PROJECT_ROOT / "scripts" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _serving():
    """xueji/serving.py on its own (importing the package xueji would set up Celery here)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("xueji_serving", _setup.PROJECT_ROOT / "xueji" / "serving.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class System:
    """gunicorn, a Celery worker and Celery beat with the commands of scripts/run.py, against the
    benchmark's database and Redis database 5; their output in WORK_DIR/*.log."""

    def __init__(self, database_url: str):
        self.database_url = database_url
        self.processes: dict[str, subprocess.Popen] = {}

    def start(self) -> str:
        run = _make_run()
        from services import free_port

        port = free_port()
        redis = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0").rsplit("/", 1)[0] + f"/{REDIS_DB}"
        env = dict(os.environ, XUEJI_ENV="development", DJANGO_DEBUG="0", DATABASE_URL=self.database_url,
                   REDIS_URL=redis, XUEJI_DATA_DIR=str(run.data_dir()), XUEJI_AUDIT_SHIP="", PYTHONUNBUFFERED="1",
                   LOG_LEVEL="WARNING")
        env.pop("DATABASE_OWNER_URL", None)
        commands = {"web": run.web_command(port), "worker": run.worker_command(), "beat": run.beat_command()}
        WORK_DIR.mkdir(parents=True, exist_ok=True)
        for name, command in commands.items():
            with open(WORK_DIR / f"{name}.log", "wb") as log:
                self.processes[name] = subprocess.Popen(command, env=env, cwd=_setup.PROJECT_ROOT, stdout=log,
                                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                                        start_new_session=True)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        import urllib.request

        while True:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    raise SystemExit(f"{name} exited while starting: see {WORK_DIR / (name + '.log')}")
            try:
                with urllib.request.urlopen(base + "/healthz/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"The web did not answer within 120 s: see {WORK_DIR / 'web.log'}")
            time.sleep(0.3)
        time.sleep(3)  # the worker's pool processes and beat come up meanwhile
        web = _serving().web_concurrency(env)
        print(f"System up on {base}: gunicorn {web.workers} workers × {web.threads} threads ({web.worker_class}; "
              f"XUEJI_WEB_WORKERS, XUEJI_WEB_THREADS), Celery worker -Q {run.WORKER_QUEUES}; logs in {WORK_DIR}",
              flush=True)
        return base

    def pids(self) -> dict[str, int]:
        return {name: process.pid for name, process in self.processes.items()}

    def stop(self) -> None:
        # The process groups started above, and nothing else: web and worker first, then beat.
        for name in ("web", "worker", "beat"):
            process = self.processes.get(name)
            if process is None or process.poll() is not None:
                continue
            try:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=30)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)


# The data set and the accounts (the Django half, in a child process) --------------------------

def prepare(args) -> int:
    import approvals
    import enrollment_import
    import pupil_search

    url = _setup.bench_database_url(DATABASE)
    pupils_signature = {"version": pupil_search.DATASET_VERSION, "pupils": args.pupils, "seed": pupil_search.SEED}
    if _setup.database_exists(url) and (args.rebuild or pupil_search._read_signature(url) != pupils_signature):
        print(f"Dropping {DATABASE} (rebuild, or its pupils are not the requested ones) ...", flush=True)
        _setup.drop_database(url)
    if not _setup.database_exists(url):
        _setup.create_database(url)
    _setup.setup_django(url)
    pupil_search._prepare_indexes_for_migrate()
    approvals._prepare_request_indexes_for_migrate()
    _setup.migrate()
    pupil_search._sync_pupil_indexes()
    if pupil_search._read_signature(url) != pupils_signature:
        print(f"Building the pupils: {args.pupils:,} (as benchmarks/pupil_search.py does) ...", flush=True)
        pupil_search.build_dataset(args.pupils)
        pupil_search._write_meta("signature", pupils_signature)
    approvals._sync_request_schema()
    requests_signature = {"version": DATASET_VERSION, "open_requests": REQUESTS, "seed": approvals.SEED}
    if pupil_search._read_meta("peak_requests") != requests_signature or _headmaster_steps_left() < HEADMASTERS * 5:
        # Built, or built again once earlier runs' signatures have emptied the headmasters' inboxes.
        print(f"Building {REQUESTS:,} open transfer requests (as benchmarks/approvals.py does) ...", flush=True)
        approvals.build_requests(REQUESTS)
        pupil_search._write_meta("peak_requests", requests_signature)
    plan = _accounts(args.registrars, enrollment_import, pupil_search)
    WORK_DIR.mkdir(parents=True, exist_ok=True)
    PLAN.write_text(json.dumps(plan, ensure_ascii=False))
    return 0


def _headmaster_steps_left() -> int:
    from xueji.accounts.models import Role
    from xueji.approvals.models import ApprovalStep

    return ApprovalStep.objects.filter(status="pending", request__status="pending", role=Role.HEADMASTER).count()


def _accounts(registrars: int, enrollment_import, pupil_search) -> dict:
    """The accounts, their schools and what each will do; the enrolment of earlier runs undone."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.db.models import Count
    from django.utils import timezone

    from enrollment.intake.models import EnrolmentEntry, EnrolmentImport
    from xueji.accounts.models import BureauSettings, Membership, Role, Unit, UnitKind, User
    from xueji.accounts.two_factor import device_with_secret
    from xueji.approvals.models import ApprovalStep
    from xueji.pupils.models import Pupil, SchoolClass

    today = timezone.localdate()
    if enrollment_import.INTAKE_YEAR != today.year or today.month < 9:
        raise SystemExit(f"The enrolment files are of the {enrollment_import.INTAKE_YEAR} intake: run this "
                         f"between September and December {enrollment_import.INTAKE_YEAR}.")
    rng = random.Random(20260901)
    sizes = list(Pupil.objects.filter(school__school_type="primary", deleted_at__isnull=True).values("school_id")
                 .annotate(n=Count("id")).order_by("-n", "school_id")[:registrars])
    units = Unit.objects.in_bulk([row["school_id"] for row in sizes])
    schools = []
    for row in sizes:
        school = units[row["school_id"]]
        school.pupil_count = row["n"]
        schools.append(school)
    if len(schools) < registrars:
        raise SystemExit(f"Only {len(schools)} primary schools in the data set: fewer registrars, or more pupils.")
    # The September windows stretched to today (the province's settings, which every school
    # inherits): the registrars upload in the collection window.
    province = Unit.objects.get(kind=UnitKind.PROVINCE_BUREAU)
    BureauSettings.objects.update_or_create(bureau=province, defaults={
        "enrolment_collect_start": "09-01", "enrolment_collect_end": "12-30",
        "enrolment_submit_start": "12-31", "enrolment_submit_end": "12-31"})

    password = make_password(PASSWORD)  # hashed once: the same password for every account

    def account(username: str, full_name: str, unit, role) -> str:
        user, _ = User.objects.update_or_create(username=username, defaults={
            "full_name": full_name, "password": password, "password_changed_at": timezone.now(),
            "must_change_password": False, "is_active": True})
        Membership.objects.filter(user=user).exclude(unit=unit, role=role).delete()
        Membership.objects.get_or_create(user=user, unit=unit, role=role)
        device_with_secret(user, TOTP_SECRET)  # a fresh device: no code of an earlier run counts
        return username

    files_dir = WORK_DIR / "files"
    files_dir.mkdir(parents=True, exist_ok=True)
    plan = {"password": PASSWORD, "totp_secret": TOTP_SECRET, "registrars": [], "headmasters": [], "officers": [],
            "probes": [], "pupils": sum(s.pupil_count for s in schools) // max(len(schools), 1)}
    school_ids = [s.pk for s in schools]
    # The enrolment of earlier runs undone: the same files upload again.
    with transaction.atomic():
        EnrolmentEntry.objects.filter(school_id__in=school_ids).delete()
        EnrolmentImport.objects.filter(school_id__in=school_ids).delete()
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM (ANALYZE) {EnrolmentEntry._meta.db_table}")

    by_county: dict[str, list] = {}
    for school in schools:
        by_county.setdefault(school.division_id, []).append(school)
    rows_of: dict[int, list[dict]] = {}
    for area, county_schools in sorted(by_county.items()):
        # The new children's ID numbers must not be those of pupils already there (born the same year).
        taken = set(Pupil.objects.filter(grade=1, hukou_division_id=area).values_list("id_number", flat=True))
        rows = enrollment_import.new_pupils(FILE_ROWS * len(county_schools), area, taken)
        for position, school in enumerate(county_schools):
            rows_of[school.pk] = rows[position * FILE_ROWS:(position + 1) * FILE_ROWS]

    made = 0
    for number, school in enumerate(schools, 1):
        username = account(f"peak_reg_{number:03d}", f"学籍管理员{number}", school, Role.REGISTRAR)
        rows = rows_of[school.pk]
        # Named by their rows: a file kept from a run on another data set (other schools, other
        # children) would not match the admission list written below.
        digest = hashlib.sha256(json.dumps(rows, sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()[:12]
        good, bad = files_dir / f"{username}-{digest}.xlsx", files_dir / f"{username}-{digest}-errors.xlsx"
        if not good.exists() or not bad.exists():
            good.write_bytes(enrollment_import.filled_template(rows))
            bad.write_bytes(enrollment_import.filled_template(_with_mistakes(rows, rng)))
            made += 1
        registrar = User.objects.get(username=username)
        enrollment_import.admit(school, registrar, rows)
        pupils = list(Pupil.objects.filter(school=school, deleted_at__isnull=True, status="enrolled")
                      .order_by("?").values("pk", "name")[:30])
        classes = list(SchoolClass.objects.filter(school=school).annotate(n=Count("pupils"))
                       .filter(n__gt=0).order_by("?").values_list("pk", flat=True)[:3])
        queries = []
        for pupil in pupils[:10]:
            queries += [pupil["name"], pupil["name"][:2]]
        plan["registrars"].append({"username": username, "school": school.pk, "pupils": [p["pk"] for p in pupils],
                                   "queries": queries, "classes": classes, "file": str(good),
                                   "file_with_errors": str(bad)})
    if made:
        print(f"  {made} enrolment files written ({FILE_ROWS} rows each, {BAD_ROWS} with mistakes in the first upload)",
              flush=True)

    waiting = (ApprovalStep.objects.filter(status="pending", request__status="pending")
               .values("unit_id").annotate(n=Count("id")).order_by("-n", "unit_id"))
    heads = list(waiting.filter(role=Role.HEADMASTER)[:HEADMASTERS])
    counties = list(waiting.filter(role=Role.COUNTY_OFFICER)[:OFFICERS])
    for number, row in enumerate(heads, 1):
        plan["headmasters"].append({"username": account(f"peak_head_{number:02d}", f"校长{number}",
                                                        Unit.objects.get(pk=row["unit_id"]), Role.HEADMASTER),
                                    "waiting": row["n"]})
    for number, row in enumerate(counties, 1):
        plan["officers"].append({"username": account(f"peak_officer_{number}", f"县局学籍管理员{number}",
                                                     Unit.objects.get(pk=row["unit_id"]), Role.COUNTY_OFFICER),
                                 "waiting": row["n"]})
    for number in range(1, PROBES + 1):
        school = schools[(number - 1) % len(schools)]
        plan["probes"].append({"username": account(f"peak_probe_{number:02d}", f"探测{number}", school, Role.REGISTRAR)})
    print(f"  accounts: {len(plan['registrars'])} registrars (schools of {plan['pupils']} pupils on average), "
          f"{len(plan['headmasters'])} headmasters ({sum(h['waiting'] for h in plan['headmasters'])} steps waiting), "
          f"{len(plan['officers'])} county officers ({sum(o['waiting'] for o in plan['officers'])} steps waiting), "
          f"{len(plan['probes'])} for the limit", flush=True)
    return plan


def _with_mistakes(rows: list[dict], rng: random.Random) -> list[dict]:
    """The file as first filled in: BAD_ROWS rows with a mistake a school makes (an ID number
    with a wrong check digit, a missing name, a birth date that does not match the ID number)."""
    broken = [dict(cells) for cells in rows]
    for position, index in enumerate(rng.sample(range(len(broken)), BAD_ROWS)):
        cells = broken[index]
        if position % 3 == 0:
            last = cells["id_number"][-1]
            cells["id_number"] = cells["id_number"][:-1] + ("1" if last != "1" else "2")
        elif position % 3 == 1:
            cells["name"] = ""
        else:
            cells["birth_date"] = "2019-02-30"
    return broken


if __name__ == "__main__":
    sys.exit(main())
