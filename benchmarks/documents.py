#!/usr/bin/env python
"""Benchmark: printing a class — its 学生基本信息表 (one page per pupil) and its 花名册.

Run from the project root:

    .venv/bin/python benchmarks/documents.py [--pupils 45] [--runs 5] [--no-photos]

The documents take plain objects, so this needs no database: it builds a class of unsaved pupils
in memory (valid ID numbers, two guardians each, and a generated 2-inch photo each unless
--no-photos, stored in a temporary private folder), then renders each document ``--runs`` times
(the templates and one WeasyPrint render, without the print's record, which needs the database:
the 学籍卡 and the whole printing machinery are measured by benchmarks/cards.py)
and prints the pages and, as medians, the wall time and the CPU time of this process, each per
page and per pupil. On a shared machine the CPU time is the cost of a render; the wall time adds
whatever else runs. Target (PRODUCT.md, STACK.md): about 0.25 s a page or better. The first
render of a process (fonts loaded, caches filled) is timed apart.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from io import BytesIO
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗欧阳"
GIVEN = "子轩浩然雨涵欣怡梓涵一诺思远佳怡宇轩若曦俊杰晓燕春生明"
TARGET_PER_PAGE = 0.25  # seconds (PRODUCT.md / STACK.md: an A4 card with a photo)


def setup_django(data_dir: str) -> None:
    # Development settings with DEBUG off, photos under a temporary folder; no database is used.
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.insert(0, str(PROJECT_ROOT))
    os.environ["XUEJI_ENV"] = "development"
    os.environ["DJANGO_DEBUG"] = "0"
    os.environ["XUEJI_DATA_DIR"] = data_dir
    os.environ["DJANGO_SETTINGS_MODULE"] = "xueji.settings"
    # WeasyPrint logs every step of every page at INFO.
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()


def build_class(size: int, with_photos: bool):
    from django.core.files.base import ContentFile
    from django.core.files.storage import default_storage
    from PIL import Image
    from stdnum.cn import ric

    from xueji.accounts.models import Division, School
    from xueji.codes import Gender, GuardianRelation
    from xueji.pupils.models import Guardian, Pupil, SchoolClass

    rng = random.Random(2026)
    county = Division(code="220122", name="农安县", full_name="吉林省长春市农安县", level=3)
    school = School(name="农安县实验小学", code="2122000001", school_type="primary")
    school_class = SchoolClass(school=school, grade=1, number=1)

    def id_number(birth: date, male: bool) -> str:
        sequence = rng.randrange(0, 499) * 2 + (1 if male else 0)
        body = f"220122{birth:%Y%m%d}{sequence:03d}"
        return body + ric.calc_check_digit(body + "0")

    def photo() -> str:
        # A file of its own per pupil (WeasyPrint caches images by URL), with a noisy face-sized
        # patch on the blue background so that the JPEG weighs what a real 2-inch photo does.
        image = Image.new("RGB", (358, 441), (67, 142, 219))
        face = Image.effect_noise((200, 260), rng.randrange(40, 80)).convert("RGB")
        image.paste(face, (79, 90))
        output = BytesIO()
        image.save(output, format="JPEG", quality=90)
        return default_storage.save("pupil/bench.jpg", ContentFile(output.getvalue()))

    pupils = []
    for index in range(size):
        male = index % 2 == 0
        birth = date(2019, 9, 1) + timedelta(days=rng.randrange(365))
        pupil = Pupil(
            name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
            gender=Gender.MALE if male else Gender.FEMALE, birth_date=birth, id_number=id_number(birth, male),
            birthplace=county, native_place=county, hukou_division=county, hukou_type="1",
            address=f"农安镇黄龙路{index + 1}号", grade=1, entry_date=date(2026, 9, 1),
            student_number=f"G{id_number(birth, male)}" if index % 3 else "", school=school,
            school_class=school_class, photo=photo() if with_photos else "",
        )
        pupil.guardians_list = [
            Guardian(relation=relation, name=rng.choice(SURNAMES) + "".join(rng.sample(GIVEN, 2)),
                     id_number=id_number(date(1988, 5, 17), relation == GuardianRelation.FATHER),
                     phone=f"139{rng.randrange(10**8):08d}", workplace="农安县人民医院", hukou_division=county)
            for relation in (GuardianRelation.FATHER, GuardianRelation.MOTHER)
        ]
        pupils.append(pupil)
    return school, school_class, pupils


def page_count(pdf: bytes) -> int:
    """Pages, as poppler's pdfinfo (poppler-utils) reads them."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        info = subprocess.run(["pdfinfo", file.name], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def timed(render, runs: int) -> tuple[float, float, float, bytes]:
    """(first render, median wall time and median CPU time of the next ``runs``, the PDF).
    The CPU time of this process is what a render costs; the wall time also counts whatever else
    the machine is doing (on a shared two-core machine, often a lot)."""
    start = time.perf_counter()
    output = render()
    first = time.perf_counter() - start
    walls, cpus = [], []
    for _ in range(runs):
        start, start_cpu = time.perf_counter(), time.process_time()
        output = render()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - start_cpu)
    return first, statistics.median(walls), statistics.median(cpus), output


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pupils", type=int, default=45, help="pupils in the class (45: a full primary class)")
    parser.add_argument("--runs", type=int, default=5, help="timed renders per document")
    parser.add_argument("--no-photos", action="store_true", help="print the empty photo boxes instead")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="xueji-bench-documents-") as data_dir:
        setup_django(data_dir)
        import weasyprint

        from xueji.documents.pdf import render_pdf
        from xueji.documents.rosters import class_roster_context, class_roster_workbook, student_info_sheets_context

        school, school_class, pupils = build_class(args.pupils, not args.no_photos)
        print(f"WeasyPrint {weasyprint.__version__}; {args.pupils} pupils, "
              f"{'with' if not args.no_photos else 'without'} photos; median of {args.runs} runs")
        documents = {
            "学生基本信息表": lambda: render_pdf("documents/student_info_sheet.html", student_info_sheets_context(
                pupils, school=school, school_class=school_class, title_year=2026)),
            "花名册 PDF": lambda: render_pdf("documents/class_roster.html", class_roster_context(
                pupils, school=school, school_class=school_class, school_year_label="2026—2027学年")),
        }
        for label, render in documents.items():
            first, wall, cpu, pdf = timed(render, args.runs)
            count = page_count(pdf)
            verdict = "within" if cpu / count <= TARGET_PER_PAGE else "ABOVE"
            print(f"{label}: {count} pages, median {wall:.2f} s wall = {wall / count:.3f} s a page; "
                  f"CPU {cpu:.2f} s = {cpu / count:.3f} s a page ({verdict} the {TARGET_PER_PAGE} s target), "
                  f"{cpu / len(pupils) * 1000:.0f} ms a pupil; first render {first:.2f} s; {len(pdf) / 1024:.0f} KiB")
        _, wall, _, xlsx = timed(lambda: class_roster_workbook(pupils, school=school, school_class=school_class,
                                                               school_year_label="2026—2027学年"), args.runs)
        print(f"花名册 xlsx: median {wall * 1000:.0f} ms, {len(xlsx) / 1024:.0f} KiB")
        print(f"load average now: {', '.join(f'{load:.2f}' for load in os.getloadavg())} "
              f"on {os.cpu_count()} CPUs (wall times above the CPU times mean the machine was busy)")

if __name__ == "__main__":
    main()
