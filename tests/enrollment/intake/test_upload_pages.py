"""The registrar's pages: the template download, an upload refused whole with every error and
the annotated copy, the corrected upload, a re-upload of the same file, the browser form, and
that nobody of another school reaches any of it."""

import re
from io import BytesIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from enrollment.intake.columns import COLUMNS
from enrollment.intake.models import EnrolmentEntry, EnrolmentImport
from tests.enrollment.conftest import admit, filled_template, new_pupil_row
from xueji.pupils.national_form import AUXILIARY, GROUPS, ITEMS

pytestmark = pytest.mark.usefixtures("collecting")


def upload(client, content: bytes, name="新生.xlsx", grade=1):
    return client.post(f"/enrolment/upload/?grade={grade}", {"file": SimpleUploadedFile(name, content)})


def test_registrar_downloads_the_years_template(world, login):
    response = login(world.user("registrar_a1")).get("/enrolment/template/")
    assert response.status_code == 200
    workbook = load_workbook(BytesIO(response.content))
    assert "学生信息" in workbook.sheetnames and workbook["学生信息"]["A1"].value == "*姓名"


def test_upload_with_errors_writes_nothing_lists_all_and_annotates_the_file(world, login):
    rows = [new_pupil_row(2), new_pupil_row(3), new_pupil_row(4)]
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    rows[1].data["ethnicity"] = "99"           # not a code
    rows[2].guardians[0]["phone"] = ""         # guardian 1 incomplete
    client = login(world.user("registrar_a1"))

    response = upload(client, filled_template(rows))
    upload_row = EnrolmentImport.objects.get()
    page = client.get(response["Location"]).content.decode()

    assert upload_row.status == "failed" and not EnrolmentEntry.objects.exists()
    assert "第 3 行" in page and "第 4 行" in page and "全部未导入" in page
    annotated = client.get(f"/enrolment/imports/{upload_row.pk}/errors.xlsx")
    sheet = load_workbook(BytesIO(annotated.content))["学生信息"]
    commented = {cell.coordinate for row in sheet.iter_rows() for cell in row if cell.comment and cell.row > 1}
    assert any(c.endswith("3") for c in commented) and any(c.endswith("4") for c in commented)

    # Corrected, uploaded again: all three are in, once.
    rows[1].data["ethnicity"] = "01"
    rows[2].guardians[0]["phone"] = "13800000000"
    fixed = filled_template(rows)
    response = upload(client, fixed)
    assert EnrolmentImport.objects.latest("pk").status == "done"
    assert EnrolmentEntry.objects.count() == 3
    again = client.get("/enrolment/?grade=1")
    assert all(r.data["name"] in again.content.decode() for r in rows)

    # The same file once more is recognised, and not imported twice.
    response = upload(client, fixed)
    assert EnrolmentEntry.objects.count() == 3
    assert "导入过" in client.get(response["Location"]).content.decode()


def test_earlier_years_template_is_refused_with_that_reason(world, login):
    client = login(world.user("registrar_a1"))
    response = upload(client, filled_template([new_pupil_row()], year=2025))
    assert "2025" in client.get(response["Location"]).content.decode()
    assert not EnrolmentImport.objects.exists()


def test_browser_form_gives_the_same_errors_and_saves(world, login):
    row = new_pupil_row()
    admit(world.units["a1"], [row], by=world.user("officer_a"))
    from tests.enrollment.conftest import row_cells

    cells = row_cells(row)
    client = login(world.user("registrar_a1"))
    bad = dict(cells, guardian1_phone="")
    page = client.post("/enrolment/entries/new/?grade=1", bad).content.decode()
    assert "请填写第一监护人的联系电话" in page and not EnrolmentEntry.objects.exists()

    response = client.post("/enrolment/entries/new/?grade=1", cells)
    assert response.status_code == 302
    entry = EnrolmentEntry.objects.get()
    assert entry.name == row.data["name"] and entry.admission is not None
    edit = client.get(f"/enrolment/entries/{entry.pk}/").content.decode()
    assert row.data["id_number"] in edit


def test_browser_form_groups_the_fields_as_the_national_form(world, login):
    client = login(world.user("registrar_a1"))
    page = client.get("/enrolment/entries/new/?grade=1").content.decode()
    legends = [re.sub(r"<[^>]+>|（.*", "", legend).strip() for legend in re.findall(r"<legend>(.*?)</legend>", page)]
    assert legends == [*GROUPS, "成员1", "成员2"]
    # Each fieldset holds its group's columns, in the template's (national) order.
    fieldsets = re.findall(r"<fieldset class=\"form-group\">(.*?)</fieldset>", page, re.S)
    names = [re.findall(r'name="([a-z0-9_]+)"', fieldset) for fieldset in fieldsets]
    for group, keys in zip(GROUPS, names, strict=False):
        expected = [c.key for c in COLUMNS if not c.guardian_position and (ITEMS[c.item - 1].group if c.item else AUXILIARY) == group]
        assert keys == expected, group
    assert names[1].index("hukou_address") == names[1].index("hukou_type") + 1  # 户籍地址 after 户口性质
    assert names[-2][0] == "guardian1_relation" and names[-1][0] == "guardian2_relation"
    assert sum(len(keys) for keys in names) == len(COLUMNS)
    distance = re.search(r'<input[^>]*name="distance_km"[^>]*>', page).group(0)
    assert 'type="text"' in distance and 'inputmode="decimal"' in distance
    assert " style=" not in page  # the CSP allows no inline style


def test_browser_form_takes_the_new_items_and_a_member_who_is_not_a_guardian(world, login):
    row = new_pupil_row()
    admit(world.units["a1"], [row], by=world.user("officer_a"))
    from tests.enrollment.conftest import row_cells

    cells = {key: value for key, value in row_cells(row).items() if not key.startswith("guardian2_")}
    cells |= {"distance_km": "3.5", "political_status": "13", "postcode": "130200", "preschool": "是",
              "guardian2_relation": "62", "guardian2_name": "王桂芝", "guardian2_is_guardian": "否"}
    client = login(world.user("registrar_a1"))
    assert client.post("/enrolment/entries/new/?grade=1", cells).status_code == 302
    entry = EnrolmentEntry.objects.get()
    assert entry.data["school_bus"] is True and entry.data["preschool"] is True  # 48 from 46
    assert [g.get("is_guardian") for g in entry.guardians] == [True, False]
    edit = client.get(f"/enrolment/entries/{entry.pk}/").content.decode()
    selected = re.search(r'name="guardian2_is_guardian".*?</select>', edit, re.S).group(0)
    assert '<option value="否" selected>' in selected


def test_other_schools_see_nothing(world, login):
    rows = [new_pupil_row()]
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    upload(login(world.user("registrar_a1")), filled_template(rows))
    upload_row = EnrolmentImport.objects.get()
    entry = EnrolmentEntry.objects.get()
    other = login(world.user("registrar_b1"))

    assert other.get(f"/enrolment/imports/{upload_row.pk}/").status_code == 404
    assert other.get(f"/enrolment/imports/{upload_row.pk}/status/").status_code == 404
    assert other.get(f"/enrolment/entries/{entry.pk}/").status_code == 404
    assert other.post(f"/enrolment/entries/{entry.pk}/delete/").status_code == 404
    assert entry.name not in other.get("/enrolment/").content.decode()
    assert login(world.user("officer_a")).get("/enrolment/").status_code == 403


def test_an_unexpected_fault_fails_the_upload_instead_of_leaving_it_running(world):
    from enrollment.intake import services

    upload = EnrolmentImport.objects.create(
        school=world.units["a1"], intake_year=2026, file_name="x.xlsx", file_sha256="1" * 64,
        content=filled_template([new_pupil_row()]), uploaded_by=world.user("registrar_a1"),
    )
    # A grade no form offers: the age rule computes a year before year 1 (ValueError), a fault
    # the import does not expect.
    EnrolmentImport.objects.filter(pk=upload.pk).update(grade=3000)
    assert services.import_run(upload.pk) is True
    upload.refresh_from_db()
    assert upload.status == "failed" and "系统错误" in upload.errors[0]["message"]


def test_browser_form_with_a_too_long_field_shows_every_other_error_too(world, login):
    """A text longer than its box used to stop the form before the rules ran: the registrar saw
    the long field only, and the missing phone after fixing it. Now both at once, nothing saved."""
    row = new_pupil_row()
    admit(world.units["a1"], [row], by=world.user("officer_a"))
    from tests.enrollment.conftest import row_cells

    cells = row_cells(row)
    client = login(world.user("registrar_a1"))
    bad = dict(cells, address="长" * 201, guardian1_phone="")
    response = client.post("/enrolment/entries/new/?grade=1", bad)
    page = response.content.decode()

    assert response.status_code == 200 and not EnrolmentEntry.objects.exists()
    assert "201" in page  # the long field's own error (at most 200 characters)
    assert "请填写第一监护人的联系电话" in page  # and the rules' error of another field
    assert "长" * 201 in page  # what was typed is kept


def test_a_child_twice_in_the_file_marks_both_rows_of_the_annotated_copy(world, login):
    """Rows 2 and 4 are the same child: both ID number cells red, each comment naming the other
    row (only the second one was marked before, so the registrar could not see the pair)."""
    first, other = new_pupil_row(2), new_pupil_row(3)
    twice = new_pupil_row(4, **{k: first.data[k] for k in ("name", "gender", "birth_date", "id_number")})
    admit(world.units["a1"], [first, other], by=world.user("officer_a"))
    client = login(world.user("registrar_a1"))

    response = upload(client, filled_template([first, other, twice]))
    upload_row = EnrolmentImport.objects.get()
    assert upload_row.status == "failed" and not EnrolmentEntry.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert "与第 4 行是同一名学生" in page and "与第 2 行是同一名学生" in page

    annotated = client.get(f"/enrolment/imports/{upload_row.pk}/errors.xlsx")
    sheet = load_workbook(BytesIO(annotated.content))["学生信息"]
    id_column = next(i for i, column in enumerate(COLUMNS, start=1) if column.key == "id_number")
    marked = {cell.row: cell.comment.text for row in sheet.iter_rows(min_row=2) for cell in row
              if cell.comment and cell.column == id_column}
    assert set(marked) == {2, 4}
    assert "与第 4 行" in marked[2] and "与第 2 行" in marked[4]
    assert sheet.cell(row=2, column=id_column).fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet.cell(row=4, column=id_column).fill.fgColor.rgb.endswith("FFC7CE")
    assert sheet.cell(row=3, column=id_column).comment is None


def test_the_progress_poll_says_when_to_ask_again_less_often_as_the_import_waits(world, login):
    # The progress bar's script waits what the status says (poll_after): 1 s at first, then 3,
    # then 5 — pages asking every second were most of the web's requests at peak.
    from datetime import timedelta

    from django.utils import timezone

    rows = [new_pupil_row()]
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    client = login(world.user("registrar_a1"))
    upload(client, filled_template(rows))
    upload_row = EnrolmentImport.objects.get()
    for waited, seconds in [(timedelta(seconds=1), 1), (timedelta(seconds=20), 3), (timedelta(minutes=3), 5)]:
        EnrolmentImport.objects.filter(pk=upload_row.pk).update(uploaded_at=timezone.now() - waited)
        assert client.get(f"/enrolment/imports/{upload_row.pk}/status/").json()["poll_after"] == seconds
