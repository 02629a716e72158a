#!/usr/bin/env python
"""Benchmark: what encryption at rest (SM4-GCM columns, HMAC-SM3 blind indexes) costs.

Run from the project root:

    .venv/bin/python benchmarks/encryption_cost.py [--pupils 20000] [--rows 5000] [--runs 3]

In one run, each figure "before" and "after", the two alternating run by run:
(a) the import of a 5,000-row enrolment file (``import_run``, as benchmarks/enrollment_import.py
    drives it, in its data set of pupils);
(b) a search by a full ID number, the list page as a county officer (``/pupils/?q=…``);
(c) a class's cards (``/classes/{id}/cards.pdf`` and its job run here, benchmarks/cards.py's data set), in a child
    process of its own as that data set lives in another database.
"before" is the same code with the field cipher replaced by an identity transform inside this
process only (xueji.crypto's encrypt_text/decrypt_text patched here, never in the product): the
values keep their format, the blind indexes stay as they are (their HMAC is measured apart, per
call). "after" is real SM4. Each figure: the median, with the spread (lowest – highest).
"""

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _setup  # noqa: E402

RESULT_MARK = "RESULT "


@contextmanager
def identity_cipher():
    """Within the block the field cipher is the identity: `sm4:<id>:<plain>` in, the part after the
    second colon out (real ciphertext read then comes back as its base64, the same length)."""
    from xueji import crypto

    saved = crypto.encrypt_text, crypto.decrypt_text

    def encrypt(plain, *, context, ring=None):
        return f"{crypto.PREFIX}:{(ring or crypto.keyring()).current_id}:{plain}"

    def decrypt(stored, *, context, ring=None):
        return stored.split(":", 2)[2]

    crypto.encrypt_text, crypto.decrypt_text = encrypt, decrypt
    try:
        yield
    finally:
        crypto.encrypt_text, crypto.decrypt_text = saved


@contextmanager
def counting(counts: dict):
    """Count the calls of the cipher and of the blind index (what the figure's difference is made
    of: calls × the per-value cost is steadier than a difference of two noisy medians)."""
    from xueji import crypto

    saved = {name: getattr(crypto, name) for name in ("encrypt_text", "decrypt_text", "blind_index")}

    def wrap(name, function):
        def counted(*args, **kwargs):
            counts[name] = counts.get(name, 0) + 1
            return function(*args, **kwargs)
        return counted

    for name, function in saved.items():
        setattr(crypto, name, wrap(name, function))
    try:
        yield
    finally:
        for name, function in saved.items():
            setattr(crypto, name, function)


def alternate(function, runs: int, before_each=None) -> dict:
    """Run `function` runs × (identity, SM4), alternating; wall-clock seconds of each, and the
    cipher's calls in one run."""
    times = {"before": [], "after": []}
    if before_each:
        before_each()
    counts: dict = {}
    with counting(counts):
        function()
    times["calls"] = counts
    for _ in range(runs):
        for mode in ("before", "after"):
            if before_each:
                before_each()
            if mode == "before":
                with identity_cipher():
                    started = time.perf_counter()
                    function()
                    times[mode].append(time.perf_counter() - started)
            else:
                started = time.perf_counter()
                function()
                times[mode].append(time.perf_counter() - started)
    return times


def summary(values: list[float], unit: float = 1.0) -> str:
    median = statistics.median(values) * unit
    return f"{median:8.2f} ({min(values) * unit:.2f} – {max(values) * unit:.2f})"


def print_figure(label: str, times: dict, unit: float, unit_name: str) -> None:
    before, after = statistics.median(times["before"]), statistics.median(times["after"])
    calls = times.get("calls", {})
    print(f"{label:<46} before {summary(times['before'], unit)} {unit_name}   after {summary(times['after'], unit)} "
          f"{unit_name}   {(after - before) / before * 100 if before else 0:+5.1f}%", flush=True)
    print(f"{'':<46} per run: {calls.get('encrypt_text', 0):,} encryptions, {calls.get('decrypt_text', 0):,} decryptions, "
          f"{calls.get('blind_index', 0):,} blind indexes", flush=True)


def micro() -> None:
    from xueji import crypto

    number = "220122201706063130"
    n = 20000
    started = time.perf_counter()
    sealed = [crypto.encrypt_text(number, context="xueji_pupil.id_number") for _ in range(n)]
    encrypt = (time.perf_counter() - started) / n
    started = time.perf_counter()
    for value in sealed:
        crypto.decrypt_text(value, context="xueji_pupil.id_number")
    decrypt = (time.perf_counter() - started) / n
    started = time.perf_counter()
    for _ in range(n):
        crypto.blind_index(number, purpose="pupil.id_number")
    index = (time.perf_counter() - started) / n
    print(f"per value: encrypt {encrypt * 1e6:.1f} µs, decrypt {decrypt * 1e6:.1f} µs, blind index {index * 1e6:.1f} µs",
          flush=True)


def measure_import_and_search(args) -> None:
    import enrollment_import as ei

    environment_url = ei.prepare_database(args.database, args.pupils, rebuild=args.rebuild)
    from enrollment.intake.services import import_run
    from xueji.accounts.models import User
    from xueji.collation import pinyin_sort_key
    from xueji.identity import name_pinyin, name_readings
    from xueji.pupils.models import Pupil

    school, registrar = ei.target_school()
    area = school.division_id
    rows = ei.new_pupils(args.rows, area, ei.existing_id_numbers(area, None))
    content = ei.filled_template(rows)
    ei.clear_all(school)
    ei.admit(school, registrar, rows)
    print(f"{environment_url.rsplit('/', 1)[-1]}: {Pupil.objects.count():,} pupils; file of {args.rows:,} rows; "
          f"load average {', '.join(f'{x:.2f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs", flush=True)
    micro()

    uploads = []

    def prepare_import():
        ei.clear_entries(school)
        name_readings.cache_clear()
        name_pinyin.cache_clear()
        pinyin_sort_key.cache_clear()
        uploads.append(ei.new_upload(content, school, registrar, args.rows))

    def run_import():
        import_run(uploads[-1].pk)

    times = alternate(run_import, args.runs, before_each=prepare_import)
    uploads[:] = uploads[-1:]
    ei.check_imported(uploads[-1].pk, args.rows)
    ei.clear_entries(school)
    print_figure(f"(a) import of {args.rows:,} rows (import_run)", times, 1.0, "s ")

    # (a') the records themselves: the same 5,000 children written as pupils (what establishing
    # the entries does, in bulk), rolled back after each run. The import above writes entries,
    # whose columns are not encrypted: there the cipher only touches dedupe against the records.
    from django.db import transaction

    from xueji.codes import NumberKind
    from xueji.pupils.services import NewPupil, pupils_create_many

    def code(cell: str) -> str:
        return cell.split()[0]

    new_rows = [
        NewPupil(
            data={"name": c["name"], "gender": code(c["gender"]), "birth_date": date.fromisoformat(c["birth_date"]),
                  "id_type": "1", "id_number": c["id_number"], "birthplace_id": area, "native_place_id": area,
                  "hukou_division_id": area, "hukou_type": code(c["hukou_type"]), "hukou_address": c["hukou_address"],
                  "address": c["address"], "health": "10", "disability": "0", "pinyin": ""},
            guardians=[{"relation": code(c[f"guardian{p}_relation"]), "name": c[f"guardian{p}_name"], "id_type": "1",
                        "id_number": c[f"guardian{p}_id_number"], "phone": c[f"guardian{p}_phone"],
                        "workplace": c[f"guardian{p}_workplace"], "hukou_division_id": area} for p in (1, 2)],
            # G numbers ("G" + the new ID number): the data set's L numbers were written by COPY,
            # past the counters that hand out new ones.
            grade=1, entry_date=date(2026, 9, 1), number_kind=NumberKind.FROM_ID,
        )
        for c in rows
    ]

    class Rollback(Exception):
        pass

    def create_records():
        try:
            with transaction.atomic():
                pupils_create_many(actor=registrar, school=school, rows=new_rows)
                raise Rollback
        except Rollback:
            pass

    times = alternate(create_records, args.runs)
    print_figure(f"(a') the same {len(new_rows):,} children as records", times, 1.0, "s ")

    county = User.objects.get(username="bench_county")
    client = _setup.signed_in_client(county, raise_request_exception=True)
    rng = random.Random(13)
    from xueji.pupils.scoping import pupils_visible_to

    numbers = [n for n in pupils_visible_to(county).exclude(id_number="").order_by("?").values_list("id_number", flat=True)[:500]]
    queries = iter(rng.choice(numbers) for _ in range(10**6))

    def search():
        response = client.get("/pupils/", {"q": next(queries)})
        assert response.status_code == 200 and "共 1 名学生" in response.content.decode(), "the search found no pupil"

    for _ in range(10):
        search()
    times = alternate(search, args.search_runs)
    print_figure("(b) search by a full ID number, /pupils/?q=", times, 1000.0, "ms")


def measure_cards(args) -> None:
    import tempfile

    import cards

    # A data set of its own (cards.py's, under another name), built with this run's keys.
    cards.DATABASE = args.database + "_cards"
    cards.PHOTO_DIR = Path(tempfile.gettempdir()) / f"{args.database}-cards"
    cards.prepare(False)
    from django.test import Client

    from xueji.accounts.models import Unit, User
    from xueji.pupils.models import SchoolClass

    school = Unit.objects.get(name="农安县实验小学（基准）")
    registrar = User.objects.get(username="bench_registrar")
    first_class = SchoolClass.objects.get(school=school, grade=1, number=1)
    from xueji.accounts.gate import GATE_PASSED, LOGIN_AT

    client = Client()
    assert client.post("/login/", {"username": registrar.username, "password": cards.PASSWORD}).status_code == 302
    session = client.session  # as after the second factor
    session[GATE_PASSED], session[LOGIN_AT] = True, time.time()
    session.save()

    from xueji.documents.jobs import document_job_run
    from xueji.documents.models import DocumentJob

    def class_cards():
        # The class's job (xueji/documents/jobs.py): asked for, then run here as the worker runs
        # it; a new job each time (an unchanged class's kept PDF would be served at once).
        DocumentJob.objects.filter(requested_by=registrar).delete()
        response = client.post(f"/classes/{first_class.pk}/cards.pdf")
        assert response.status_code == 302, response.status_code
        assert document_job_run(DocumentJob.objects.get(requested_by=registrar).pk)

    class_cards()
    times = alternate(class_cards, args.runs)
    print(RESULT_MARK + json.dumps({"times": times, "pupils": first_class.pupils.count()}), flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=20_000, help="pupils of the import's data set (default 20,000)")
    parser.add_argument("--rows", type=int, default=5000, help="rows of the enrolment file (default 5,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the import and of the cards, each way")
    parser.add_argument("--search-runs", type=int, default=100, help="searches each way")
    parser.add_argument("--database", default="xueji_bench_crypt", help="the import's and search's database")
    parser.add_argument("--rebuild", action="store_true", help="build the data set again")
    parser.add_argument("--stage", choices=["main", "cards"], default="main", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.stage == "cards":
        measure_cards(args)
        return 0
    environment = dict(os.environ)
    measure_import_and_search(args)
    command = [sys.executable, __file__, "--stage", "cards", "--runs", str(args.runs), "--database", args.database]
    result = subprocess.run(command, env=environment, capture_output=True, text=True, check=False)
    lines = [line for line in result.stdout.splitlines() if line.startswith(RESULT_MARK)]
    if result.returncode or not lines:
        print(result.stdout[-2000:], result.stderr[-4000:], file=sys.stderr)
        return 1
    cards_result = json.loads(lines[-1][len(RESULT_MARK):])
    print_figure(f"(c) a class's cards ({cards_result['pupils']} pupils)", cards_result["times"], 1.0, "s ")
    return 0


if __name__ == "__main__":
    _setup  # noqa: B018  (sets sys.path and the environment for the benchmarks)
    sys.exit(main())
