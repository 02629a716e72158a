#!/usr/bin/env python
"""Benchmark: printing 学籍卡 — one pupil's, a class of 45 (rendered directly and through its job), a
school of 1,000 through an export request.

Run from the project root:

    .venv/bin/python benchmarks/cards.py [--runs 5] [--class-runs 3] [--job-runs 5] [--job-only] [--rebuild]

It works in a database of its own (``xueji_bench_cards`` on the server of DATABASE_URL, else
127.0.0.1:5432), which it creates, migrates and fills once (later runs reuse it; --rebuild starts
again): a county with one primary school of 1,000 pupils in 23 classes (the first class 45
pupils), each with two guardians, a 2-inch photo on a blue background (JPEG, in a private folder
of its own under /tmp, made again when missing), a temporary number replaced by the G number for
a third of them, and a year's suspension and return for every fifth.

Then, as the school's registrar, medians of:

(a) one pupil's card: ``GET /pupils/{id}/card.pdf`` through the whole stack (django.test.Client:
    session, scoping, loading, the HTML, the render, the record, the audit entry);
(b) a class of 45 rendered directly, as the page did before it became a job: the pupils loaded
    and ``cards_pdf`` (one HTML, one render, the record, the audit entry) — target <= 3 s;
(c) a class of 45 through its job (xueji/documents/jobs.py), as a registrar gets it now, with a
    real Celery worker (started in this process, ``pool="solo"``; the broker of REDIS_URL):
    the web request itself (``POST /classes/{id}/cards.pdf``: scoping, the fingerprint, the job,
    the redirect — it should take tens of milliseconds, the render is no longer in it), and the
    time from that click to the PDF being ready (the queue, the worker's render, the file
    stored); then the same request again with nothing changed (the kept PDF, nothing printed).
    ``--job-only`` times only (b) and (c);
(d) the whole school through an export request (kind "school_cards", how a school's cards leave
    now: xueji/documents/exports.py): asked by the registrar (masked), approved by the county's
    leader, then the follow-up the worker runs (``request_follow_up``: the cards with the masking
    and the watermark in every footer, the SHA-256, the file stored) — it must stay well inside
    the worker's 5-minute soft time limit (CELERY_TASK_SOFT_TIME_LIMIT). ``--export-only`` times
    only this.

Beside each, the time WeasyPrint takes for the same HTML rendered directly,
``weasyprint.HTML(string=html, base_url=…, url_fetcher=…).write_pdf()`` (the fetcher only so that
the stylesheet and the photos load), so that the overhead of our machinery shows. Our renders use
a user-agent stylesheet without WeasyPrint's universal pseudo-element rules (xueji/documents/pdf.py), which
makes them faster than the direct render of the same HTML: the overhead can come out negative.
Wall-clock medians, with the CPU time of this process beside them (the steadier figure on a
shared machine). The first render of the process is made before timing (fonts loaded).
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

DATABASE = "xueji_bench_cards"
DATASET_VERSION = 1
PUPILS = 1000
FIRST_CLASS = 45
CLASSES_PER_GRADE = [4, 4, 4, 4, 4, 3]  # grades 1-6: 23 classes
AREA = "220122"
PASSWORD = "Bench#2026cards"
PHOTO_DIR = Path(tempfile.gettempdir()) / "xueji-bench-cards"
TARGETS = {"class": 3.0}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕"
GIVEN = "子轩浩然雨涵欣怡梓涵一诺思远佳怡宇轩若曦俊杰晓燕春生明博文嘉怡梓萱语桐"


def prepare(rebuild: bool, database: str = DATABASE) -> None:
    url = _setup.bench_database_url(database)
    if rebuild and _setup.database_exists(url):
        _setup.drop_database(url)
    if not _setup.database_exists(url):
        _setup.create_database(url)
    os.environ["XUEJI_DATA_DIR"] = str(PHOTO_DIR)
    _setup.setup_django(url)
    _setup.migrate()
    from xueji.accounts.models import Unit

    school = Unit.objects.filter(name="农安县实验小学（基准）").first()
    if school is None or school.pupils.count() != PUPILS:
        if school is not None:
            _setup.drop_database(url)
            raise SystemExit("The data set is incomplete: dropped it, run again.")
        print(f"Building the data set: one school of {PUPILS:,} pupils ...", flush=True)
        started = time.perf_counter()
        build()
        print(f"  built in {time.perf_counter() - started:.0f} s", flush=True)
    ensure_photos()


def build() -> None:
    import random

    from stdnum.cn import ric

    from xueji.accounts.models import Membership, Role, Unit, UnitKind, User
    from xueji.codes import Gender, GuardianRelation, NumberKind, PupilStatus
    from xueji.pupils.models import SchoolClass, SchoolYear
    from xueji.pupils.numbers import pupil_assign_number
    from xueji.pupils.services import NewPupil, pupil_set_status, pupils_create_many

    rng = random.Random(2026)
    province = Unit.objects.create(kind=UnitKind.PROVINCE_BUREAU, name="吉林省教育厅（基准）", division_id="220000")
    city = Unit.objects.create(kind=UnitKind.CITY_BUREAU, name="长春市教育局（基准）", parent=province, division_id="220100")
    county = Unit.objects.create(kind=UnitKind.COUNTY_BUREAU, name="农安县教育局（基准）", parent=city, division_id=AREA)
    school = Unit.objects.create(kind=UnitKind.SCHOOL, name="农安县实验小学（基准）", parent=county, division_id=AREA,
                                 code="2122009999", school_type="primary", township="农安镇")
    registrar = User.objects.create(username="bench_registrar", full_name="张三")
    registrar.set_password(PASSWORD)
    registrar.save()
    Membership.objects.create(user=registrar, unit=school, role=Role.REGISTRAR)
    year, _ = SchoolYear.objects.get_or_create(start_year=2026, defaults={"start_date": date(2026, 9, 1),
                                                                         "end_date": date(2027, 8, 31)})
    classes = [SchoolClass.objects.create(school=school, school_year=year, grade=grade, number=number)
               for grade, count in enumerate(CLASSES_PER_GRADE, start=1) for number in range(1, count + 1)]
    others = len(classes) - 1
    sizes = [FIRST_CLASS] + [(PUPILS - FIRST_CLASS) // others + (1 if i < (PUPILS - FIRST_CLASS) % others else 0)
                             for i in range(others)]
    used: dict[tuple[date, bool], int] = {}  # serials handed out per birth date and gender

    def id_number(birth: date, male: bool) -> str:
        count = used[birth, male] = used.get((birth, male), -1) + 1
        serial = count * 2 + (1 if male else 0)
        body = f"{AREA}{birth:%Y%m%d}{serial:03d}"
        return body + ric.calc_check_digit(body + "0")

    def name() -> str:
        return rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2))

    for school_class, size in zip(classes, sizes):
        rows = []
        for index in range(size):
            male = index % 2 == 0
            birth = date(2019 - (school_class.grade - 1), 9, 1) + timedelta(days=rng.randrange(365))
            rows.append(NewPupil(
                data={"name": name(), "gender": Gender.MALE if male else Gender.FEMALE, "birth_date": birth,
                      "id_type": "1", "id_number": id_number(birth, male), "birthplace_id": AREA,
                      "native_place_id": AREA, "hukou_division_id": AREA, "hukou_type": "1",
                      "address": f"农安镇黄龙路{rng.randrange(1, 400)}号", "pinyin": ""},
                guardians=[
                    {"relation": relation, "name": name(), "id_type": "1",
                     "id_number": id_number(date(1988, 5, 17) + timedelta(days=rng.randrange(3000)),
                                            relation == GuardianRelation.FATHER),
                     "phone": f"139{rng.randrange(10 ** 8):08d}", "workplace": "农安县人民医院", "hukou_division_id": AREA}
                    for relation in (GuardianRelation.FATHER, GuardianRelation.MOTHER)
                ],
                grade=school_class.grade, entry_date=date(2026 - school_class.grade + 1, 9, 1),
                school_class=school_class, number_kind=NumberKind.TEMPORARY,
            ))
        pupils = pupils_create_many(actor=registrar, school=school, rows=rows)
        for index, pupil in enumerate(pupils):
            if index % 3 == 0:
                pupil_assign_number(pupil=pupil, kind=NumberKind.FROM_ID, reason="身份核验通过")
            if index % 5 == 0:
                pupil_set_status(actor=registrar, pupil=pupil, status=PupilStatus.SUSPENDED,
                                 effective_date=date(2025, 3, 2), reason="伤病：骨折住院")
                pupil_set_status(actor=registrar, pupil=pupil, status=PupilStatus.ENROLLED,
                                 effective_date=date(2026, 3, 2), reason="康复复学")
        print(f"  {school_class.name}: {size} pupils", flush=True)


def ensure_photos() -> None:
    """A 2-inch photo (358 × 441, blue background, a face-sized noisy patch so that the JPEG weighs
    what a real one does) for every pupil whose photo file is missing."""
    import random

    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image

    from xueji.pupils.models import Pupil

    rng = random.Random(7)
    made = 0
    for pupil in Pupil.objects.filter(school__name="农安县实验小学（基准）").only("pk", "photo"):
        if pupil.photo and default_storage.exists(pupil.photo.name):
            continue
        image = Image.new("RGB", (358, 441), (67, 142, 219))
        image.paste(Image.effect_noise((200, 260), rng.randrange(40, 80)).convert("RGB"), (79, 90))
        output = BytesIO()
        image.save(output, format="JPEG", quality=90)
        name = default_storage.save(f"pupil/bench-{pupil.pk}.jpg", ContentFile(output.getvalue()))
        Pupil.objects.filter(pk=pupil.pk).update(photo=name)  # no new history: the benchmark's own files
        made += 1
    if made:
        print(f"  {made} photos written to {PHOTO_DIR}", flush=True)


def page_count(pdf: bytes) -> int:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def measure(function, runs: int):
    """Median wall and CPU seconds of ``runs`` calls, and the last result."""
    walls, cpus, result = [], [], None
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return statistics.median(walls), statistics.median(cpus), result


class HtmlRecorder:
    """Keeps the HTML our machinery lays out (xueji.documents.printing calls layout_html once a chunk)."""

    def __init__(self):
        import xueji.documents.printing as printing

        self.printing, self.original, self.html = printing, printing.layout_html, []

        def recording(html, **kwargs):
            self.html.append(html)
            return self.original(html, **kwargs)

        printing.layout_html = recording

    def take(self) -> list[str]:
        html, self.html = self.html, []
        return html


def direct(html: str) -> bytes:
    """The same HTML straight through WeasyPrint: HTML(string=…).write_pdf()."""
    from weasyprint import HTML

    from xueji.documents.pdf import DOCUMENT_BASE_URL, LocalOnlyFetcher

    return HTML(string=html, base_url=DOCUMENT_BASE_URL, url_fetcher=LocalOnlyFetcher()).write_pdf()


def report(label: str, ours: tuple, weasy: tuple, pages: int, target: float | None = None) -> None:
    wall, cpu = ours
    d_wall, d_cpu = weasy
    verdict = ""
    if target is not None:
        verdict = f"  [{'within' if wall <= target else 'ABOVE'} the {target:.0f} s target]"
    print(f"{label}: {pages} pages — ours {wall:.2f} s wall ({cpu:.2f} s CPU, {cpu / pages * 1000:.0f} ms a page); "
          f"WeasyPrint direct {d_wall:.2f} s wall ({d_cpu:.2f} s CPU); overhead {wall - d_wall:+.2f} s wall "
          f"({cpu - d_cpu:+.2f} s CPU){verdict}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs of one pupil's card")
    parser.add_argument("--class-runs", type=int, default=3, help="timed runs of the class of 45")
    parser.add_argument("--job-runs", type=int, default=5, help="timed runs of the class's job")
    parser.add_argument("--export-runs", type=int, default=1, help="timed runs of the school's export")
    parser.add_argument("--export-only", action="store_true", help="time only (d), the school's export")
    parser.add_argument("--job-only", action="store_true", help="time only (b) and (c), a class directly and through its job")
    parser.add_argument("--database", default=DATABASE, help=f"the benchmark's database (default {DATABASE})")
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    args = parser.parse_args()
    prepare(args.rebuild, args.database)

    import weasyprint

    from xueji.accounts.models import Unit, User
    from xueji.pupils.models import SchoolClass

    school = Unit.objects.get(name="农安县实验小学（基准）")
    registrar = User.objects.get(username="bench_registrar")
    first_class = SchoolClass.objects.get(school=school, grade=1, number=1)
    pupil = first_class.pupils.order_by("name").first()
    client = _setup.signed_in_client(registrar)
    recorder = HtmlRecorder()
    print(f"WeasyPrint {weasyprint.__version__}; school of {school.pupils.count():,} pupils, {first_class.name} of "
          f"{first_class.pupils.count()}; load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs", flush=True)

    # Warm up: fonts, the stylesheet, the first queries.
    client.get(f"/pupils/{pupil.pk}/card.pdf")
    recorder.take()
    if args.export_only:
        school_export(school, registrar, args.export_runs)
        return

    if not args.job_only:
        one_card(client, pupil, recorder, args.runs)
    # (b) a class of 45, rendered directly (what the page's request did before the job)

    from xueji.documents.cards import cards_pdf, class_pupils, pupils_for_cards

    def class_direct():
        return cards_pdf(pupils_for_cards(class_pupils(registrar, first_class)), user=registrar, unit=school,
                         subject=first_class.name, school_class=first_class)

    wall, cpu, printed = measure(class_direct, args.class_runs)
    [html] = recorder.take()[-1:]
    d_wall, d_cpu, _ = measure(lambda: direct(html), args.class_runs)
    report(f"(b) a class of {first_class.pupils.count()}, rendered in the request (before: the page's GET)",
           (wall, cpu), (d_wall, d_cpu), page_count(printed.content), TARGETS["class"])
    recorder.take()

    # (c) the same class through its job, with a real worker
    class_job(client, registrar, first_class, args.job_runs, direct_wall=wall)
    if args.job_only:
        return

    school_export(school, registrar, args.export_runs)
    print(f"load average now: {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs "
          "(wall times above the CPU times mean the machine was busy)", flush=True)


def one_card(client, pupil, recorder, runs: int) -> None:
    """(a) one pupil's card, at once."""
    wall, cpu, response = measure(lambda: client.get(f"/pupils/{pupil.pk}/card.pdf"), runs)
    assert response.status_code == 200, response.status_code
    [html] = recorder.take()[-1:]
    d_wall, d_cpu, _ = measure(lambda: direct(html), runs)
    report("(a) one pupil's card, GET /pupils/{id}/card.pdf", (wall, cpu), (d_wall, d_cpu), page_count(response.content))


def class_job(client, registrar, school_class, runs: int, direct_wall: float) -> None:
    """(c) the class's cards through the job: the web request's time, and the time from the click
    to the PDF being ready, with a Celery worker running in this process."""
    from celery.contrib.testing.worker import start_worker

    from xueji.celery import app
    from xueji.documents.models import DocumentJob

    url = f"/classes/{school_class.pk}/cards.pdf"
    mine = DocumentJob.objects.filter(requested_by=registrar, kind="class_cards")
    requests, request_cpu, ready = [], [], []
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
        for _ in range(runs + 1):  # the first one warms the worker up, untimed
            for old in mine:  # each run prints anew
                old.file.delete(save=False)
            mine.delete()
            clicked, clicked_cpu = time.perf_counter(), time.thread_time()
            response = client.post(url)
            answered = time.perf_counter()
            request_cpu.append(time.thread_time() - clicked_cpu)  # this thread's: not the worker's
            assert response.status_code == 302 and "/documents/jobs/" in response["Location"], response.status_code
            job = mine.get()
            while not DocumentJob.objects.filter(pk=job.pk, status__in=["done", "failed"]).exists():
                time.sleep(0.01)
                if time.perf_counter() - clicked > 300:
                    raise SystemExit("the job did not finish within 300 s: is a broker at REDIS_URL?")
            done = time.perf_counter()
            job.refresh_from_db()
            assert job.status == "done", job.error
            requests.append(answered - clicked)
            ready.append(done - clicked)
        requests, request_cpu, ready = requests[1:], request_cpu[1:], ready[1:]
    kept = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.post(url)
        kept.append(time.perf_counter() - started)
        assert response["Location"] == f"/documents/jobs/{job.pk}/"  # the kept PDF, nothing printed
    with job.file.open("rb") as handle:
        pages = page_count(handle.read())
    print(f"(c) a class of {pages} through its job, with a worker: the web request median "
          f"{statistics.median(requests) * 1000:.0f} ms (min {min(requests) * 1000:.0f}, max "
          f"{max(requests) * 1000:.0f}; CPU median {statistics.median(request_cpu) * 1000:.0f} ms); from the click to the PDF ready median {statistics.median(ready):.2f} s "
          f"(the direct render: {direct_wall:.2f} s); asked again with nothing changed (the kept PDF): median "
          f"{statistics.median(kept) * 1000:.0f} ms — {runs} runs", flush=True)


def school_export(school, registrar, runs: int) -> None:
    """(d) the school's cards through an export request: asked, approved, then the follow-up the
    worker runs, timed."""
    from xueji.accounts.models import Membership, Role, User
    from xueji.approvals.services import request_decide, request_follow_up
    from xueji.exports.models import ExportFile
    from xueji.exports.services import ExportAsk, export_request_start

    leader, _ = User.objects.get_or_create(username="bench_leader", defaults={"full_name": "分管领导"})
    Membership.objects.get_or_create(user=leader, unit=school.parent, role=Role.LEADER)
    membership = Membership.objects.get(user=registrar, unit=school, role=Role.REGISTRAR)

    def one_export():
        change = export_request_start(actor=registrar, membership=membership, ask=ExportAsk(
            export_kind="school_cards", scope=str(school.pk), fields=["card", "student_number", "id_number", "phone",
                                                                      "address"],
            purpose="archive", purpose_text="基准测试"))
        request_decide(actor=leader, request_id=change.pk, approve=True, details={"grant_full": False})
        assert request_follow_up(change.pk)
        return ExportFile.objects.get(request=change)

    wall, cpu, export_file = measure(one_export, runs)
    with export_file.file.open("rb") as handle:
        pages = page_count(handle.read())
    print(f"(d) the whole school through an export request (ask, approve, the worker's follow-up): {pages} pages — "
          f"{wall:.2f} s wall ({cpu:.2f} s CPU, {cpu / pages * 1000:.0f} ms a page), {export_file.size / 1e6:.1f} MB; "
          f"the worker's soft time limit is 300 s", flush=True)


if __name__ == "__main__":
    main()
