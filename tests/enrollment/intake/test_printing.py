"""Printing: the new pupils' 学生基本信息表 before approval (待建籍), and a class's roster as PDF and
xlsx with numbers as the user may see them; nobody prints another school's class."""

import subprocess

import pytest
import time_machine

from enrollment.intake import services
from tests.enrollment.conftest import COLLECTING, admit, new_pupil_row
from tests.document_jobs import print_through_job


def pdf_text(content: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(content)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def test_info_sheets_of_a_class_before_approval(world, intake, login, tmp_path):
    rows = [new_pupil_row(2), new_pupil_row(3)]
    admit(intake.school, rows, by=world.user("officer_a"))
    with time_machine.travel(COLLECTING, tick=False):
        entries = [services.entry_save(actor=world.user("registrar_a1"), school=intake.school, intake=intake, row=r) for r in rows]
        [school_class] = services.classes_create(actor=world.user("registrar_a1"), school=intake.school, intake_year=2026, grade=1, count=1)
        services.entries_assign(actor=world.user("registrar_a1"), school=intake.school, entry_ids=[e.pk for e in entries], school_class=school_class)
        response = print_through_job(login(world.user("registrar_a1")),
                                     f"/enrolment/print/info-sheets.pdf?grade=1&class={school_class.pk}")
        other = login(world.user("registrar_b1")).post(f"/enrolment/print/info-sheets.pdf?grade=1&class={school_class.pk}")
    assert response["Content-Type"] == "application/pdf"
    text = pdf_text(response.content, tmp_path)
    assert "学生基本信息表" in text and text.count("待建籍") == 2
    assert rows[0].data["name"] in text and rows[1].guardians[0]["workplace"] in text
    assert other.status_code == 404


@pytest.mark.parametrize("user, full", [("registrar_a1", True), ("teacher_a1", False)])
def test_class_roster_pdf_and_xlsx(world, login, tmp_path, user, full):
    school_class = world.classes["a1_3_1"]
    pupil = world.pupils["a1"]
    client = login(world.user(user))
    text = pdf_text(print_through_job(client, f"/classes/{school_class.pk}/roster.pdf").content, tmp_path)
    from xueji.identity import mask_student_number

    assert "花名册" in text and pupil.name in text
    assert (pupil.student_number if full else mask_student_number(pupil.student_number)) in text
    assert (pupil.id_number in text) is full
    # The spreadsheet leaves through an export request (tests/xueji/exports/test_roster_export.py).
    response = client.get(f"/classes/{school_class.pk}/roster.xlsx")
    assert response.status_code == 302
    assert response["Location"] == f"/exports/new/?kind=roster&scope={school_class.pk}"


def test_roster_of_another_schools_class_is_not_found(world, login):
    client = login(world.user("registrar_b1"))
    assert client.get(f"/classes/{world.classes['a1_3_1'].pk}/roster.pdf").status_code == 404
    assert client.post(f"/classes/{world.classes['a1_3_1'].pk}/roster.pdf").status_code == 404
    assert login(world.user("registrar_a1")).get(f"/classes/{world.classes['a1_3_1'].pk}/roster.doc").status_code == 404


def test_info_sheets_of_entries_print_the_national_items_as_the_record_would(world, intake, login, tmp_path):
    from decimal import Decimal

    from tests.pdfs import pdf_stream_words
    from xueji.pupils.national_form import ITEMS

    row = new_pupil_row(2, distance_km=Decimal("2.5"), commute_mode="1", preschool=True, needs_aid=None,
                        political_status="13", source="1", phone="13612345678", postcode="130200",
                        home_address="农安镇家园路9号")
    row.guardians[1].update(is_guardian=False, relation_note="生母", job_title="教师")
    admit(intake.school, [row], by=world.user("officer_a"))
    with time_machine.travel(COLLECTING, tick=False):
        entry = services.entry_save(actor=world.user("registrar_a1"), school=intake.school, intake=intake, row=row)
        response = print_through_job(login(world.user("registrar_a1")), "/enrolment/print/info-sheets.pdf?grade=1")
    # The entry keeps the distance as text (JSON), the yes/no items as true/false/null.
    assert entry.data["distance_km"] == "2.5" and entry.data["needs_aid"] is None
    words = pdf_stream_words(response.content)
    for item in ITEMS:
        assert "".join(item.numbered_label.split()) in words
    # 2.5 km is over the 2 km of the national instructions: 是否需要乘坐校车 follows (xueji.pupils.rules).
    for text in ("2.5公里", "步行", "群众", "正常入学", "13612345678", "130200", "农安镇家园路9号", "生母", "教师"):
        assert text in words, text
    assert "44.是否需要申请资助★未填" in words and "36.是否受过学前教育★是" in words
    assert "48.是否需要乘坐校车是" in words
