"""The load of benchmarks/peak_day.py: Locust's users (headless, as a library), the CPU of the
system's processes, the table and the verdict. Imported only after the Django half has run in its
own process: Locust patches the standard library with gevent when it is imported."""

import random
import re
import time

import gevent
import psutil
import pyotp
from locust import HttpUser, between, constant, task
from locust.env import Environment
from locust.exception import StopUser

from peak_day import (
    IMPORT_DONE_S,
    PAGE_P95_MS,
    SEARCH_P95_MS,
    THINK,
    UPLOAD_P95_MS,
    parse_seconds,
)

JOB_POLL_SECONDS = 1.0
JOB_TIMEOUT_SECONDS = 120.0
# Names of the endpoints as the table shows them, and which target each is held to.
PAGES = {"home", "pupil page", "inbox", "request page", "statistics", "import page", "import status",
         "enrolment page"}
SEARCHES = {"search"}
UPLOADS = {"upload (answered)"}
IMPORT_DONE = "import done (from the upload)"
PRINT_PREFIX = "print "
LOGGED_IN = [0]  # users of the current phase past their login
LOGIN_WAIT_SECONDS = 180


class Person(HttpUser):
    """Someone of the county: logs in with the password and the authenticator's code, then works."""

    abstract = True
    wait_time = between(*THINK)
    accounts = None  # an iterator of the plan's accounts, set by run()
    plan: dict = {}

    def on_start(self):
        self.account = next(self.accounts)
        self.login(self.account["username"])
        LOGGED_IN[0] += 1  # greenlets of one thread: no lock needed

    def login(self, username: str) -> None:
        self.client.get("/login/", name="login page")
        response = self.client.post("/login/", {"username": username, "password": self.plan["password"],
                                                "csrfmiddlewaretoken": self.csrf()},
                                    allow_redirects=False, name="login: password", catch_response=True)
        with response:
            if response.status_code != 302 or not response.headers.get("Location", "").startswith("/login/otp/"):
                response.failure(f"password refused ({response.status_code})")
                raise StopUser()
        code = pyotp.TOTP(self.plan["totp_secret"]).now()
        response = self.client.post("/login/otp/", {"code": code, "csrfmiddlewaretoken": self.csrf()},
                                    allow_redirects=False, name="login: code", catch_response=True)
        with response:
            if response.status_code != 302 or response.headers.get("Location", "").startswith("/login"):
                response.failure(f"code refused ({response.status_code})")
                raise StopUser()

    def csrf(self) -> str:
        return self.client.cookies.get("csrftoken", "")

    def page(self, path: str, name: str, **kwargs):
        with self.client.get(path, name=name, catch_response=True, **kwargs) as response:
            if response.status_code != 200:
                response.failure(f"HTTP {response.status_code}")
            elif response.url and "/login/" in response.url:
                response.failure("sent to the login page")
            return response


class Registrar(Person):
    """A school's registrar in September: pages, searches, the enrolment file, printing."""

    abstract = True

    def on_start(self):
        super().on_start()
        self.uploaded = False
        # The enrolment file goes up once, at some moment of the run.
        self.upload_after = time.monotonic() + random.uniform(0, self.environment.parsed_options.upload_window)

    @task
    def work(self):
        if not self.uploaded and time.monotonic() >= self.upload_after:
            self.uploaded = True
            self.enrol()
            return
        action = random.choices(["home", "search", "pupil", "print"], weights=[3, 4, 3, 1])[0]
        if action == "home":
            self.page("/", "home")
        elif action == "search":
            self.page(f"/pupils/?q={random.choice(self.account['queries'])}", "search")
        elif action == "pupil":
            self.page(f"/pupils/{random.choice(self.account['pupils'])}/", "pupil page")
        elif self.account["classes"]:
            school_class = random.choice(self.account["classes"])
            if random.random() < 0.5:
                self.print(f"/classes/{school_class}/cards.pdf", "class cards")
            else:
                self.print(f"/classes/{school_class}/roster.pdf", "class roster")

    def enrol(self):
        self.page("/enrolment/", "enrolment page")
        if self.upload(self.account["file_with_errors"], expect="failed"):
            self.page("/enrolment/", "enrolment page")
            self.upload(self.account["file"], expect="done")

    def upload(self, path: str, expect: str) -> bool:
        started = time.monotonic()
        with open(path, "rb") as handle:
            files = {"file": ("新生信息.xlsx", handle.read(),
                              "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}
        with self.client.post("/enrolment/upload/", data={"csrfmiddlewaretoken": self.csrf()}, files=files,
                              allow_redirects=False, name="upload (answered)", catch_response=True) as response:
            location = response.headers.get("Location", "")
            match = re.match(r"^/enrolment/imports/(\d+)/$", location)
            if response.status_code != 302 or not match:
                response.failure(f"not taken ({response.status_code} {location[:40]})")
                return False
        import_id = match.group(1)
        self.page(location, "import page")
        status = None
        while time.monotonic() - started < JOB_TIMEOUT_SECONDS:
            response = self.page(f"/enrolment/imports/{import_id}/status/", "import status")
            try:
                answer = response.json()
            except ValueError:
                answer = {}
            if answer.get("done"):
                status = answer.get("status")
                break
            gevent.sleep(answer.get("poll_after", JOB_POLL_SECONDS))  # as the progress bar's script does
        elapsed = time.monotonic() - started
        failure = None if status == expect else AssertionError(f"import {status or 'unfinished'}, expected {expect}")
        self.environment.events.request.fire(request_type="JOB", name=IMPORT_DONE, response_time=elapsed * 1000,
                                             response_length=0, exception=failure, context={})
        self.page(f"/enrolment/imports/{import_id}/", "import page")
        return status == expect

    def print(self, path: str, label: str) -> None:
        """A class's document: the PDF at once (a synchronous print), or a job — the page with
        the button, the POST that starts it, its page polled until the file is there, the
        file — timed as a whole."""
        started = time.monotonic()
        name = PRINT_PREFIX + label
        failure = None
        response = self.client.get(path, name=f"{name}: ask", allow_redirects=False)
        if response.status_code == 200 and response.headers.get("Content-Type", "").startswith("application/pdf"):
            pass  # printed in the request
        elif response.status_code == 200:
            started_job = self.client.post(path, data={"csrfmiddlewaretoken": self.csrf()}, name=f"{name}: start job",
                                           allow_redirects=False)
            job = started_job.headers.get("Location", "")
            failure = None if started_job.status_code == 302 and job else AssertionError(
                f"job not started ({started_job.status_code})")
            file_path = None
            while failure is None and time.monotonic() - started < JOB_TIMEOUT_SECONDS:
                state = self.client.get(job, name=f"{name}: job page", headers={"HX-Request": "true"})
                found = re.search(r'href="([^"]*/file)"', state.text)
                if found:
                    file_path = found.group(1)
                    break
                if "生成失败" in state.text:
                    failure = AssertionError("the job failed")
                # As htmx does: the interval the state asks for (hx-trigger="every Ns").
                interval = re.search(r'hx-trigger="every (\d+)s"', state.text)
                gevent.sleep(int(interval.group(1)) if interval else JOB_POLL_SECONDS)
            if failure is None and file_path is None:
                failure = AssertionError("no file in time")
            if failure is None:
                document = self.client.get(file_path, name=f"{name}: file")
                if not document.headers.get("Content-Type", "").startswith("application/pdf"):
                    failure = AssertionError(f"not a PDF ({document.status_code})")
        else:
            failure = AssertionError(f"HTTP {response.status_code}")
        self.environment.events.request.fire(request_type="JOB", name=f"{name} (until the file)",
                                             response_time=(time.monotonic() - started) * 1000,
                                             response_length=0, exception=failure, context={})


class Headmaster(Person):
    """Signs what waits in the inbox, a few at a time, with the confirmation."""

    abstract = True

    @task(3)
    def inbox(self):
        self.page("/inbox/", "inbox")

    @task(1)
    def sign(self):
        response = self.page("/inbox/", "inbox")
        ids = re.findall(r'name="request"\s+value="(\d+)"', response.text or "")[:3]
        if not ids:
            return
        data = {"request": ids, "comment": "同意", "csrfmiddlewaretoken": self.csrf()}
        self.page_post("/inbox/sign/", data, "sign: confirmation", expect=200)
        self.page_post("/inbox/sign/", {**data, "confirm": "1"}, "sign: confirmed", expect=302)

    def page_post(self, path, data, name, expect):
        with self.client.post(path, data=data, name=name, allow_redirects=False, catch_response=True) as response:
            if response.status_code != expect:
                response.failure(f"HTTP {response.status_code}")


class Officer(Person):
    """A county officer: the inbox, the requests in it, the statistics."""

    abstract = True

    @task(3)
    def inbox(self):
        response = self.page("/inbox/", "inbox")
        self.requests = re.findall(r'href="/requests/(\d+)/"', response.text or "") or getattr(self, "requests", [])

    @task(2)
    def open_request(self):
        if getattr(self, "requests", None):
            self.page(f"/requests/{random.choice(self.requests)}/", "request page")

    @task(2)
    def statistics(self):
        self.page("/statistics/", "statistics")

    @task(1)
    def home(self):
        self.page("/", "home")


class Probe(Person):
    """The limit: /healthz/ as a signed-in user, with no pause."""

    abstract = True
    wait_time = constant(0)

    @task
    def healthz(self):
        self.page("/healthz/", "healthz")


# Running ------------------------------------------------------------------------------------

def concrete(base: type, accounts: list[dict], plan: dict) -> type:
    """A user class with a fixed number of users, one for each account."""
    return type(base.__name__, (base,), {"abstract": False, "fixed_count": len(accounts),
                                         "accounts": iter(accounts), "plan": plan, "weight": 1})


class Options:
    def __init__(self, upload_window: float):
        self.upload_window = upload_window


def run_phase(base: str, classes: list[type], seconds: float, spawn_rate: float, upload_window: float = 0,
              cpu: "CpuMeter | None" = None, after_logins: bool = False) -> tuple[Environment, float]:
    """Start the users and stop them after ``seconds``: from the first start, or, with
    after_logins, from when all of them are in (their logins then left out of the figures)."""
    environment = Environment(user_classes=classes, host=base)
    environment.parsed_options = Options(upload_window)
    runner = environment.create_local_runner()
    users = sum(cls.fixed_count for cls in classes)
    LOGGED_IN[0] = 0
    runner.start(users, spawn_rate=spawn_rate)
    if after_logins:
        deadline = time.monotonic() + LOGIN_WAIT_SECONDS
        while LOGGED_IN[0] < users and time.monotonic() < deadline:
            gevent.sleep(0.2)
        environment.stats.reset_all()
    started = time.monotonic()
    if cpu:
        cpu.start()
    gevent.spawn_later(seconds, runner.quit)
    runner.greenlet.join()
    wall = time.monotonic() - started
    if cpu:
        cpu.stop()
    return environment, wall


class CpuMeter:
    """CPU seconds of process trees (each process sampled every second, so that processes that
    come and go count too), as cores used over the phase."""

    def __init__(self, roots: dict[str, list[int]]):
        self.roots = roots
        self.first: dict[str, dict[int, float]] = {name: {} for name in roots}
        self.last: dict[str, dict[int, float]] = {name: {} for name in roots}
        self.greenlet = None
        self.started = self.wall = 0.0

    def sample(self) -> None:
        for name, pids in self.roots.items():
            for pid in pids:
                try:
                    root = psutil.Process(pid)
                    processes = [root, *root.children(recursive=True)]
                except psutil.Error:
                    continue
                for process in processes:
                    try:
                        times = process.cpu_times()
                    except psutil.Error:
                        continue
                    used = times.user + times.system
                    self.first[name].setdefault(process.pid, used)
                    self.last[name][process.pid] = used

    def loop(self):
        while True:
            self.sample()
            gevent.sleep(1.0)

    def start(self):
        self.started = time.monotonic()
        self.sample()
        self.greenlet = gevent.spawn(self.loop)

    def stop(self):
        self.sample()
        self.greenlet.kill()
        self.wall = time.monotonic() - self.started

    def cores(self) -> dict[str, float]:
        wall = max(self.wall, 1e-9)
        return {name: sum(self.last[name][pid] - self.first[name][pid] for pid in self.last[name]) / wall
                for name in self.roots}


def postmaster_pids(port: int = 5432) -> list[int]:
    """The PostgreSQL server listening on the port (the benchmark's database is there); when that
    cannot be seen, every server of this machine (postgres processes whose parent is not one)."""
    try:
        listening = {c.pid for c in psutil.net_connections(kind="tcp")
                     if c.status == psutil.CONN_LISTEN and c.laddr and c.laddr.port == port and c.pid}
    except psutil.Error:
        listening = set()
    if listening:
        return sorted(listening)
    found = []
    for process in psutil.process_iter(["pid", "name", "ppid"]):
        if process.info["name"] in ("postgres", "postmaster"):
            try:
                parent = psutil.Process(process.info["ppid"]).name()
            except psutil.Error:
                parent = ""
            if parent not in ("postgres", "postmaster"):
                found.append(process.info["pid"])
    return found


def cpu_meter(system) -> CpuMeter:
    roots = {"database (all of its server)": postmaster_pids(), "load (Locust)": [psutil.Process().pid]}
    if system is not None:
        pids = system.pids()
        roots = {"web (gunicorn)": [pids["web"]], "worker (Celery)": [pids["worker"]], "beat": [pids["beat"]], **roots}
    return CpuMeter(roots)


def run(args, base: str, plan: dict, system) -> int:
    seconds = parse_seconds(args.duration)
    limit_seconds = parse_seconds(args.limit_duration)
    print(f"Machine: {psutil.cpu_count()} cores, load average {' '.join(f'{x:.1f}' for x in psutil.getloadavg())} "
          "(shared: the figures are as noisy as the machine)", flush=True)
    results = {}
    if args.only in (None, "mixed"):
        classes = [concrete(Registrar, plan["registrars"], plan), concrete(Headmaster, plan["headmasters"], plan),
                   concrete(Officer, plan["officers"], plan)]
        users = sum(cls.fixed_count for cls in classes)
        print(f"\nThe mixed load: {users} people ({len(plan['registrars'])} registrars, {len(plan['headmasters'])} "
              f"headmasters, {len(plan['officers'])} officers), {THINK[0]}–{THINK[1]} s between actions, "
              f"{seconds:.0f} s, started {args.spawn_rate:g} a second ...", flush=True)
        cpu = cpu_meter(system)
        # Every registrar uploads once, within the first two thirds of the run after logging in.
        ramp = len(plan["registrars"]) / args.spawn_rate
        environment, wall = run_phase(base, classes, seconds, args.spawn_rate,
                                      upload_window=max(1.0, seconds * 2 / 3 - ramp), cpu=cpu)
        results["mixed"] = (environment, wall, cpu)
        print_table(environment, wall, cpu)
    if args.only in (None, "limit"):
        classes = [concrete(Probe, plan["probes"], plan)]
        print(f"\nThe limit: {len(plan['probes'])} signed-in users asking /healthz/ without pause, "
              f"{limit_seconds:.0f} s ...", flush=True)
        cpu = cpu_meter(system)
        environment, wall = run_phase(base, classes, limit_seconds, 4.0, cpu=cpu, after_logins=True)
        results["limit"] = (environment, wall, cpu)
        print_table(environment, wall, cpu, after_logins=True)
    return print_verdict(results)


def rows_of(environment: Environment) -> list[dict]:
    rows = []
    for entry in sorted(environment.stats.entries.values(), key=lambda e: e.name):
        rows.append({"name": entry.name, "requests": entry.num_requests, "failures": entry.num_failures,
                     "median": entry.get_response_time_percentile(0.5), "p95": entry.get_response_time_percentile(0.95),
                     "p99": entry.get_response_time_percentile(0.99), "max": entry.max_response_time})
    return rows


def print_table(environment: Environment, wall: float, cpu: CpuMeter, after_logins: bool = False) -> None:
    rows = rows_of(environment)
    width = max([len(row["name"]) for row in rows] + [20])
    print(f"\n{'endpoint'.ljust(width)}  {'requests':>8}  {'failures':>8}  {'median':>8}  {'p95':>8}  {'p99':>8}  "
          f"{'max':>8}  (ms)")
    for row in rows:
        print(f"{row['name'].ljust(width)}  {row['requests']:>8}  {row['failures']:>8}  {row['median']:>8.0f}  "
              f"{row['p95']:>8.0f}  {row['p99']:>8.0f}  {row['max']:>8.0f}")
    http = [row for row in rows if not row["name"].endswith(")") or row["name"] in UPLOADS]
    total = environment.stats.total
    print(f"{'all HTTP requests'.ljust(width)}  {total.num_requests:>8}  {total.num_failures:>8}  "
          f"{total.get_response_time_percentile(0.5):>8.0f}  {total.get_response_time_percentile(0.95):>8.0f}  "
          f"{total.get_response_time_percentile(0.99):>8.0f}")
    jobs = sum(row["requests"] for row in rows if row["name"] not in {r["name"] for r in http})
    print(f"Throughput: {(total.num_requests - jobs) / wall:.1f} HTTP requests a second over {wall:.0f} s "
          f"({'once every user had logged in' if after_logins else 'ramp-up and logins included'})")
    print("CPU (cores used on average): " + ", ".join(f"{name} {value:.2f}" for name, value in cpu.cores().items()))
    for error in list(environment.stats.errors.values())[:10]:
        print(f"  failure: {error.method} {error.name}: {error.error} ({error.occurrences}×)")


def print_verdict(results: dict) -> int:
    print("\nVerdict against the targets (issue: peak day):")
    lines = []
    if "mixed" in results:
        environment = results["mixed"][0]
        rows = {row["name"]: row for row in rows_of(environment)}
        failures = sum(row["failures"] for row in rows.values())
        lines.append((failures == 0, f"0 failures: {failures}"))
        pages = [row for name, row in rows.items() if name in PAGES and row["requests"]]
        worst = max(pages, key=lambda row: row["p95"], default=None)
        if worst:
            lines.append((worst["p95"] <= PAGE_P95_MS,
                          f"pages and reads p95 <= {PAGE_P95_MS} ms: worst {worst['name']} {worst['p95']:.0f} ms"))
        for name in SEARCHES:
            if rows.get(name, {}).get("requests"):
                lines.append((rows[name]["p95"] <= SEARCH_P95_MS,
                              f"searches p95 <= {SEARCH_P95_MS} ms: {rows[name]['p95']:.0f} ms"))
        for name in UPLOADS:
            if rows.get(name, {}).get("requests"):
                lines.append((rows[name]["p95"] <= UPLOAD_P95_MS,
                              f"upload answered (queued) p95 <= {UPLOAD_P95_MS} ms: {rows[name]['p95']:.0f} ms "
                              f"({rows[name]['requests']} uploads)"))
        if rows.get(IMPORT_DONE, {}).get("requests"):
            row = rows[IMPORT_DONE]
            lines.append((row["max"] <= IMPORT_DONE_S * 1000 and row["failures"] == 0,
                          f"import done within {IMPORT_DONE_S} s of its upload: slowest {row['max'] / 1000:.1f} s, "
                          f"median {row['median'] / 1000:.1f} s ({row['requests']} imports, {row['failures']} wrong)"))
        prints = [row for name, row in rows.items()
                  if name.startswith(PRINT_PREFIX) and name.endswith("(until the file)")]
        printed = sum(row["requests"] for row in prints)
        if worst:
            lines.append((printed > 0 and worst["p95"] <= PAGE_P95_MS,
                          f"printing never blocks others: {printed} class prints during the run, pages' p95 "
                          f"{'held' if worst['p95'] <= PAGE_P95_MS else 'missed'}"))
    if "limit" in results and "mixed" in results:
        limit_env, limit_wall, _ = results["limit"]
        mixed_env, mixed_wall, _ = results["mixed"]
        capacity = limit_env.stats.total.num_requests / limit_wall
        mixed_rate = mixed_env.stats.total.num_requests / mixed_wall
        print(f"  The limit: {capacity:.0f} signed-in /healthz/ a second; the mixed load used "
              f"{mixed_rate:.1f} requests a second, {100 * mixed_rate / max(capacity, 1e-9):.1f} % of it.")
    elif "limit" in results:
        limit_env, limit_wall, _ = results["limit"]
        print(f"  The limit: {limit_env.stats.total.num_requests / limit_wall:.0f} signed-in /healthz/ a second.")
    for ok, text in lines:
        print(f"  {'MET   ' if ok else 'MISSED'} {text}")
    return 0

