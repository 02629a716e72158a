"""How fast an uploaded enrolment file is read: openpyxl's read-only mode against python-calamine,
on a 5,000-row template with every column filled, the safe reader of every upload on top of calamine
(xueji.files.spreadsheets), and the enrolment template's reader on top of that.

    DJANGO_SETTINGS_MODULE=xueji.settings XUEJI_ENV=test .venv/bin/python benchmarks/xlsx_read.py

Options: --rows 5000, --runs 5. Needs no database: the reader and the columns are plain code.
Prints the file's size and, per way of reading, the median wall-clock and CPU time of the runs.
"""

import argparse
import io
import os
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "xueji.settings")
os.environ.setdefault("XUEJI_ENV", "test")

import django  # noqa: E402

django.setup()

import python_calamine  # noqa: E402
from openpyxl import load_workbook  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from enrollment.intake.columns import BOOL, CODE, COLUMNS, DATE, DECIMAL, DIVISION, MONTH, row_to_new_pupil_data  # noqa: E402
from enrollment.intake.xlsx_read import ENROLMENT_SHEET, read_enrolment_file  # noqa: E402
from enrollment.intake.xlsx_template import DATA_SHEET, build_template  # noqa: E402
from xueji.files.spreadsheets import read_spreadsheet  # noqa: E402

YEAR = 2026
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ["浩然", "子涵", "欣怡", "梓轩", "雨桐", "宇航", "思远", "佳怡", "一诺", "俊杰"]


def id_number(area: str, birth: date, serial: int) -> str:
    body = f"{area}{birth:%Y%m%d}{serial:03d}"
    return body + ric.calc_check_digit(body + "0")  # stdnum weighs the first 17 of 18 characters


def cell_value(column, index: int, birth: date, guardian_birth: date):
    """A plausible value for every column: codes as the drop-down writes them ("01 汉族")."""
    if column.kind == CODE:
        options = column.options()
        if column.key == "political_status":
            return "13 群众"  # the first option, 中共党员, is no pupil's
        return options[0] if column.key != "disability_placement" else None
    if column.kind == BOOL:
        return "是" if index % 7 == 0 else "否"
    if column.kind == DATE:
        return birth.isoformat()
    if column.kind == MONTH:
        return f"{YEAR}-09"
    if column.kind == DIVISION:
        return "220122"
    if column.key == "name":
        return SURNAMES[index % len(SURNAMES)] + GIVEN[index % len(GIVEN)]
    if column.key == "id_number":
        return id_number("220122", birth, index % 1000)
    if column.key.endswith("id_number"):
        return id_number("220122", guardian_birth, (index * 7) % 1000)
    if column.key.endswith("_name"):
        return SURNAMES[index % len(SURNAMES)] + "建国"
    if column.key.endswith("phone"):
        return f"138{index:08d}"
    if column.key.endswith("workplace"):
        return "合隆镇农机站"
    if column.key == "former_name":
        return None
    if column.kind == DECIMAL:
        return f"{0.3 + index % 78 / 10:.1f}"  # 上下学距离, 0.3–8.0 km
    # The national form's other text items, each as a school writes it.
    national = {
        "id_validity": "20230601-20280601", "specialty": "书法", "auxiliary_number": f"JL{index:010d}",
        "class_number": f"{index % 45 + 1:02d}", "postcode": "130200", "email": f"p{index}@example.com",
        "homepage": f"https://www.example.com/{index}", "guardian1_relation_note": "亲生父亲",
        "guardian2_relation_note": "亲生母亲", "guardian1_job_title": "职员", "guardian2_job_title": "会计",
    }
    if column.key in national:
        return national[column.key]
    return f"吉林省长春市农安县合隆镇陈家店村 {index % 9 + 1} 组"


def generate(rows: int) -> bytes:
    workbook = load_workbook(io.BytesIO(build_template(YEAR)))
    sheet = workbook[DATA_SHEET]
    for index in range(rows):
        birth = date(2019, 9, 1) + timedelta(days=index % 365)
        guardian_birth = date(1985, 1, 1) + timedelta(days=index % 3650)
        for position, column in enumerate(COLUMNS, start=1):
            value = cell_value(column, index, birth, guardian_birth)
            if value is not None:
                sheet.cell(row=index + 2, column=position, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def read_openpyxl(data: bytes) -> int:
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    count = sum(1 for _ in workbook[DATA_SHEET].iter_rows(values_only=True))
    workbook.close()
    return count


def read_calamine(data: bytes) -> int:
    workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    return len(workbook.get_sheet_by_name(DATA_SHEET).to_python(skip_empty_area=False))


def read_checked(data: bytes) -> int:
    return len(read_spreadsheet(data, ENROLMENT_SHEET).rows())


def read_safely(data: bytes) -> int:
    return len(read_enrolment_file(data, intake_year=YEAR))


def read_and_convert(data: bytes) -> int:
    rows = read_enrolment_file(data, intake_year=YEAR)
    errors = sum(bool(row_to_new_pupil_data(row.values)[2]) for row in rows)
    assert errors == 0, f"{errors} rows did not convert"
    return len(rows)


def medians_ms(function, data: bytes, runs: int) -> tuple[float, float, int]:
    """Median wall-clock and CPU time of ``runs`` calls. CPU time (of this process) is the steadier
    figure on a shared machine, where wall time includes waiting for a core."""
    walls, cpus, result = [], [], 0
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = function(data)
        walls.append((time.perf_counter() - wall) * 1000)
        cpus.append((time.process_time() - cpu) * 1000)
    return statistics.median(walls), statistics.median(cpus), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    options = parser.parse_args()

    started = time.perf_counter()
    data = generate(options.rows)
    print(f"{options.rows} rows × {len(COLUMNS)} columns: {len(data) / 1024:.0f} KB "
          f"(generated in {time.perf_counter() - started:.1f} s); median of {options.runs} runs")
    baseline = None
    print(f"  {'':46} {'wall':>9} {'CPU':>9}")
    for label, function in [
        ("openpyxl read-only, values only", read_openpyxl),
        ("python-calamine, to_python", read_calamine),
        ("read_spreadsheet (checks + calamine)", read_checked),
        ("read_enrolment_file (+ template, rows)", read_safely),
        ("read_enrolment_file + row_to_new_pupil_data", read_and_convert),
    ]:
        wall, cpu, rows = medians_ms(function, data, options.runs)
        baseline = baseline or cpu
        print(f"  {label:46} {wall:6.0f} ms {cpu:6.0f} ms  ({rows} rows; CPU {baseline / cpu:4.1f}× faster than openpyxl)")

if __name__ == "__main__":
    main()
