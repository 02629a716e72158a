"""Fixtures of the enrolment tests: an intake at school A1 in September 2026, its admission list,
and rows of new pupils as the template's conversion gives them."""

import itertools
from datetime import date

import pytest
import time_machine

from enrollment.admission.models import AdmissionEntry
from enrollment.intake.validation import Intake, IntakeRow
from tests.factories import guardian_data, id_number
from xueji.codes import Gender, GuardianRelation, IdType

COLLECTING = "2026-09-10 10:00 +0800"
SUBMITTING = "2026-09-20 10:00 +0800"
_names = itertools.cycle(["王小雨", "李子涵", "刘一诺", "陈思远", "杨欣怡", "赵宇航", "黄梓萱", "周浩然"])
_days = itertools.count(0)


def new_pupil_row(row: int = 2, *, gender: str = Gender.MALE, birth: date | None = None, **overrides) -> IntakeRow:
    """A valid grade-1 row of 2026 (born 2019-09-01 … 2020-08-31)."""
    birth = birth or date.fromordinal(date(2019, 9, 1).toordinal() + next(_days) % 360)
    data = {
        "name": next(_names), "gender": gender, "birth_date": birth, "id_type": IdType.RESIDENT_ID,
        "id_number": id_number("220122", birth, gender), "ethnicity": "01", "nationality": "CHN",
        "overseas_status": "00", "health": "10", "hukou_division_id": "220122", "hukou_type": "1",
        "address": "农安镇黄龙路1号",
    }
    data.update(overrides)
    return IntakeRow(row=row, data=data, guardians=[guardian_data(), guardian_data(relation=GuardianRelation.MOTHER)])


def admit(school, rows, *, by, year: int = 2026) -> None:
    AdmissionEntry.objects.bulk_create(
        AdmissionEntry(school=school, intake_year=year, name=r.data["name"], gender=r.data["gender"],
                       birth_date=r.data["birth_date"], id_type=r.data["id_type"], id_number=r.data.get("id_number", ""),
                       imported_by=by)
        for r in rows
    )


@pytest.fixture
def collecting():
    with time_machine.travel(COLLECTING, tick=False):
        yield


@pytest.fixture
def intake(world):
    return Intake(school=world.units["a1"], intake_year=2026, grade=1)


def row_cells(row: IntakeRow) -> dict[str, str]:
    """An IntakeRow as a registrar types it into the template: every cell as text."""
    from enrollment.intake.columns import GUARDIAN_KEYS

    def text(value):
        if isinstance(value, bool):
            return "是" if value else "否"
        return value.isoformat() if isinstance(value, date) else str(value)

    cells = {key: text(value) for key, value in row.data.items()}
    for position, guardian in enumerate(row.guardians, start=1):
        cells.update({f"guardian{position}_{key}": text(guardian[key]) for key in GUARDIAN_KEYS if guardian.get(key) is not None})
    return cells


def filled_template(rows: list[IntakeRow], year: int = 2026) -> bytes:
    """The year's template, downloaded and filled in with openpyxl from row 2."""
    from io import BytesIO

    from openpyxl import load_workbook

    from enrollment.intake.columns import COLUMNS
    from enrollment.intake.xlsx_template import build_template

    workbook = load_workbook(BytesIO(build_template(year)))
    sheet = workbook["学生信息"]
    for offset, row in enumerate(rows):
        cells = row_cells(row)
        for index, column in enumerate(COLUMNS, start=1):
            if column.key in cells:
                sheet.cell(row=2 + offset, column=index, value=cells[column.key])
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
