"""The admission list (录取名单): the bureau's import, the school's arrival marking, the three-way
consistency (admitted, arrived, registered) and who may do and see what."""

from datetime import date, datetime
from io import BytesIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from enrollment.admission.consistency import behind_for_school, three_way
from enrollment.admission.models import AdmissionEntry
from enrollment.admission.services import (
    COLUMN_ORDER,
    AdmissionImportInvalid,
    admission_for_school,
    admission_import,
    admission_mark_arrived,
    admission_template_xlsx,
)
from enrollment.intake.models import EnrolmentEntry, EntryStatus
from tests.factories import id_number
from xueji.accounts.models import AuditEntry, BureauSettings, Unit
from xueji.codes import Gender, IdType

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
OCTOBER_10 = datetime(2026, 10, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# Grade 1 of 2026: born 2019-09-01 … 2020-08-31; grade 7 (junior school A2): by 2014-08-31.
FIRST_GRADER = date(2019, 10, 5)
JUNIOR_ENTRANT = date(2013, 11, 20)


def xlsx(rows: list[list], header: list[str] = COLUMN_ORDER) -> bytes:
    """An .xlsx as a bureau would fill it: the header, then one row per child. Strings become
    text cells, ints and floats number cells, dates date cells."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    output = BytesIO()
    workbook.save(output)
    return output.getvalue()


def child(school: Unit, name: str, birth: date = FIRST_GRADER, gender: str = Gender.MALE, number=None,
          cells: dict | None = None) -> list:
    """A row of the file: a valid child of ``school``; ``cells`` overrides what the columns hold."""
    row = {"school": school.code, "name": name, "gender": Gender(gender).label, "birth_date": birth,
           "id_type": IdType.RESIDENT_ID.label, "id_number": number or id_number("220122", birth, gender)}
    row.update(cells or {})
    return list(row.values())


def admit(school: Unit, name: str, by, *, arrived_on: date | None = None, year: int = 2026) -> AdmissionEntry:
    return AdmissionEntry.objects.create(
        school=school, intake_year=year, grade=1, name=name, gender=Gender.MALE, birth_date=FIRST_GRADER,
        id_type=IdType.RESIDENT_ID, id_number=id_number("220122", FIRST_GRADER), arrived_on=arrived_on, imported_by=by,
    )


def enter(admission: AdmissionEntry, status: str, by) -> EnrolmentEntry:
    """The school's enrolment entry of an admitted child, in the given status."""
    return EnrolmentEntry.objects.create(
        school=admission.school, intake_year=admission.intake_year, grade=admission.grade, data={}, guardians=[],
        name=admission.name, gender=admission.gender, birth_date=admission.birth_date, id_type=admission.id_type,
        id_number=admission.id_number, admission=admission, status=status, created_by=by,
    )


# Import ----------------------------------------------------------------------------------------

def test_import_writes_every_row_with_codes_or_labels(world):
    a1, a2, a3 = world.units["a1"], world.units["a2"], world.units["a3"]
    content = xlsx([
        child(a1, "王小雨"),
        # Codes instead of labels, and the birth date typed as text.
        child(a3, "李子涵", gender=Gender.FEMALE, cells={"gender": "2", "id_type": "1", "birth_date": "2019-10-05"}),
        # A junior-middle school takes its new pupils into grade 7.
        child(a2, "刘一诺", birth=JUNIOR_ENTRANT),
        # No ID number: the guardian's ID path; no check on a number that is not there.
        child(a1, "陈思远", cells={"id_type": "无身份证件", "id_number": ""}),
    ])

    written = admission_import(actor=world.user("officer_a"), bureau=world.units["county_a"], intake_year=2026, file_bytes=content)

    assert written == 4
    entries = {e.name: e for e in AdmissionEntry.objects.filter(intake_year=2026)}
    assert set(entries) == {"王小雨", "李子涵", "刘一诺", "陈思远"}
    assert entries["李子涵"].school == a3 and entries["李子涵"].gender == Gender.FEMALE
    assert entries["李子涵"].birth_date == FIRST_GRADER
    assert entries["刘一诺"].grade == 7 and entries["王小雨"].grade == 1
    assert entries["陈思远"].id_type == IdType.NONE and entries["陈思远"].id_number == ""
    assert all(e.imported_by == world.user("officer_a") and e.arrived_on is None for e in entries.values())
    assert AuditEntry.objects.filter(action="admission.import", unit=world.units["county_a"]).count() == 1


def test_file_with_errors_writes_nothing_and_lists_every_error(world):
    a1, b1 = world.units["a1"], world.units["b1"]
    officer, county_a = world.user("officer_a"), world.units["county_a"]
    taken = id_number("220122", FIRST_GRADER, Gender.FEMALE)
    admission_import(actor=officer, bureau=county_a, intake_year=2026,
                     file_bytes=xlsx([child(a1, "黄梓萱", gender=Gender.FEMALE, number=taken)]))
    good = id_number("220122", FIRST_GRADER, Gender.MALE)
    wrong_check_digit = (lambda n: n[:-1] + ("0" if n[-1] != "0" else "1"))(id_number("220122", FIRST_GRADER))
    # A number Excel can hold as a number: one whose check digit is not X (whatever the sequence).
    numeric = next(n for n in (id_number("220122", FIRST_GRADER, sequence=s) for s in range(1, 999, 2)) if n[-1] != "X")
    rows = [
        child(a1, "王小雨", number=good),  # row 2: valid
        child(a1, "李子涵", number=wrong_check_digit),  # 3
        child(a1, "刘一诺", cells={"school": "2199999999"}),  # 4: no such school
        child(b1, "陈思远"),  # 5: a school of county B
        child(a1, "王小雨", number=good),  # 6: the child of row 2 again
        child(a1, "黄梓萱", gender=Gender.FEMALE, number=taken),  # 7: admitted already this year
        child(a1, "赵宇航", number=int(numeric)),  # 8: a number cell
        child(a1, "周浩然", cells={"gender": "女"}),  # 9: a boy's ID number
    ]
    before = AdmissionEntry.objects.count()

    with pytest.raises(AdmissionImportInvalid) as refused:
        admission_import(actor=officer, bureau=county_a, intake_year=2026, file_bytes=xlsx(rows))

    assert AdmissionEntry.objects.count() == before
    found = {(e.row, e.column): e for e in refused.value.row_errors}
    assert set(found) == {(2, "身份证件号"), (3, "身份证件号"), (4, "学校代码"), (5, "学校代码"), (6, "身份证件号"),
                          (7, "身份证件号"), (8, "身份证件号"), (9, "性别")}
    assert "校验位" in found[3, "身份证件号"].message
    assert found[4, "学校代码"].value == "2199999999" and "没有学校代码" in found[4, "学校代码"].message
    assert "不在本局管辖范围" in found[5, "学校代码"].message
    # A child twice: both rows marked, each naming the other.
    assert "第 6 行" in found[2, "身份证件号"].message and "第 2 行" in found[6, "身份证件号"].message
    assert "已在2026年录取名单中" in found[7, "身份证件号"].message and a1.name in found[7, "身份证件号"].message
    assert "数字格式" in found[8, "身份证件号"].message
    assert "性别与身份证件号不一致" in found[9, "性别"].message
    assert "8 行、8 处错误" in refused.value.message


def test_birth_date_must_agree_with_the_id_number_and_the_entry_age(world):
    a1 = world.units["a1"]
    rows = [
        child(a1, "王小雨", cells={"birth_date": date(2019, 10, 6)}),  # the number says 2019-10-05
        # A guardian's number in the child's field: born 1988, no first-grader.
        child(a1, "李子涵", birth=date(1988, 5, 17)),
        child(a1, "刘一诺", cells={"birth_date": "2019年10月5日"}),
    ]
    with pytest.raises(AdmissionImportInvalid) as refused:
        admission_import(actor=world.user("officer_a"), bureau=world.units["county_a"], intake_year=2026, file_bytes=xlsx(rows))
    found = {(e.row, e.column): e.message for e in refused.value.row_errors}
    assert "不一致" in found[2, "出生日期"]
    assert "监护人" in found[3, "身份证件号"]
    assert "2020-05-01" in found[4, "出生日期"]
    assert not AdmissionEntry.objects.exists()


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"\xef\xbb\xbf\xe5\xad\xa6\xe6\xa0\xa1\xe4\xbb\xa3\xe7\xa0\x81,name\n1,2\n", ".xlsx"),
        (b"", "空的"),
        (xlsx([["x"]], header=["学校代码", "姓名", "性别"]), "出生日期"),
        (xlsx([]), "没有学生"),
    ],
    ids=["csv", "empty", "missing-headers", "no-rows"],
)
def test_unreadable_files_are_refused_with_the_reason(world, content, reason):
    with pytest.raises(ValidationError) as refused:
        admission_import(actor=world.user("officer_a"), bureau=world.units["county_a"], intake_year=2026, file_bytes=content)
    assert not isinstance(refused.value, AdmissionImportInvalid)
    assert reason in refused.value.messages[0]


def test_file_over_ten_thousand_rows_is_refused(world):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(COLUMN_ORDER)
    for row in range(2, 10_003):  # 10,001 children
        sheet.cell(row=row, column=2, value="王小雨")
    output = BytesIO()
    workbook.save(output)
    with pytest.raises(ValidationError) as refused:
        admission_import(actor=world.user("officer_a"), bureau=world.units["county_a"], intake_year=2026,
                         file_bytes=output.getvalue())
    assert "10000" in refused.value.messages[0]
    assert not AdmissionEntry.objects.exists()


def test_template_has_the_headers_and_keeps_id_numbers_as_text(world):
    workbook = load_workbook(BytesIO(admission_template_xlsx()))
    sheet = workbook.worksheets[0]
    assert [cell.value for cell in sheet[1]] == COLUMN_ORDER
    assert sheet["F2"].number_format == "@" and sheet["A2"].number_format == "@"
    # Filled in and uploaded, the template imports.
    sheet.append(child(world.units["a1"], "王小雨"))
    output = BytesIO()
    workbook.save(output)
    assert admission_import(actor=world.user("officer_a"), bureau=world.units["county_a"], intake_year=2026,
                            file_bytes=output.getvalue()) == 1


# Arrival ---------------------------------------------------------------------------------------

def test_registrar_marks_arrivals_of_own_school(world):
    officer = world.user("officer_a")
    first, second = admit(world.units["a1"], "王小雨", officer), admit(world.units["a1"], "李子涵", officer)
    with time_machine.travel(OCTOBER_10, tick=False):
        count = admission_mark_arrived(actor=world.user("registrar_a1"), school=world.units["a1"],
                                       entries_ids=[first.pk], day=date(2026, 9, 1))
        with pytest.raises(ValidationError, match="晚于今天"):
            admission_mark_arrived(actor=world.user("registrar_a1"), school=world.units["a1"],
                                   entries_ids=[second.pk], day=date(2026, 10, 11))
    assert count == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.arrived_on == date(2026, 9, 1) and second.arrived_on is None


def test_registrar_of_another_school_cannot_mark_arrivals_at_a1(world, login, client):
    entry = admit(world.units["a1"], "王小雨", world.user("officer_a"))
    with pytest.raises(PermissionDenied):
        admission_mark_arrived(actor=world.user("registrar_b1"), school=world.units["a1"], entries_ids=[entry.pk], day=date(2026, 9, 1))
    # Nor through B1's own page, with A1's child smuggled into the form.
    with pytest.raises(ValidationError, match="不在本校录取名单"):
        admission_mark_arrived(actor=world.user("registrar_b1"), school=world.units["b1"], entries_ids=[entry.pk], day=date(2026, 9, 1))
    login(world.user("registrar_b1"))
    response = client.post("/admissions/school/?year=2026", {"entry": [entry.pk], "arrived_on": "2026-09-01"}, follow=True)
    assert "不在本校录取名单" in response.content.decode()
    entry.refresh_from_db()
    assert entry.arrived_on is None


def test_school_page_lists_own_admissions_and_marks_arrival(world, login, client):
    entry = admit(world.units["a1"], "王小雨", world.user("officer_a"))
    admit(world.units["a2"], "李子涵", world.user("officer_a"))
    login(world.user("registrar_a1"))
    with time_machine.travel(OCTOBER_10, tick=False):
        page = client.get("/admissions/school/?year=2026").content.decode()
        assert "王小雨" in page and "李子涵" not in page
        assert 'value="2026-10-10"' in page  # the date defaults to today
        response = client.post("/admissions/school/?year=2026", {"entry": [entry.pk], "arrived_on": "2026-10-10"}, follow=True)
    assert "已登记 1 名学生于 2026-10-10 报到" in response.content.decode()
    entry.refresh_from_db()
    assert entry.arrived_on == date(2026, 10, 10)


# Three-way consistency -------------------------------------------------------------------------

@pytest.fixture
def intake_2026(world):
    """A1: five admitted children in every state; A2: one admitted, not arrived; B1: one behind."""
    officer, registrar = world.user("officer_a"), world.user("registrar_a1")
    a1 = world.units["a1"]
    september_1 = date(2026, 9, 1)
    children = {
        "registered": admit(a1, "王小雨", officer, arrived_on=september_1),
        "submitted": admit(a1, "李子涵", officer, arrived_on=september_1),
        "not_entered": admit(a1, "刘一诺", officer, arrived_on=september_1),
        "recent": admit(a1, "陈思远", officer, arrived_on=date(2026, 9, 20)),
        "not_arrived": admit(a1, "杨欣怡", officer),
        "a2": admit(world.units["a2"], "赵宇航", officer),
        "b1": admit(world.units["b1"], "周浩然", world.user("officer_b"), arrived_on=september_1),
    }
    enter(children["registered"], EntryStatus.ESTABLISHED, registrar)
    enter(children["submitted"], EntryStatus.SUBMITTED, registrar)
    return children


def county_a_units(world):
    return Unit.objects.filter(path__startswith=world.units["county_a"].path)


def test_three_way_counts_per_school(world, intake_2026, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):
        lines = three_way(county_a_units(world), 2026, date(2026, 10, 10))
    by_school = {line.school.pk: line for line in lines}
    assert set(by_school) == {world.units[k].pk for k in ("a1", "a2", "a3")}
    a1 = by_school[world.units["a1"].pk]
    assert (a1.admitted, a1.arrived, a1.registered, a1.in_progress, a1.behind) == (5, 4, 1, 1, 2)
    a2 = by_school[world.units["a2"].pk]
    assert (a2.admitted, a2.arrived, a2.registered, a2.in_progress, a2.behind) == (1, 0, 0, 0, 0)
    a3 = by_school[world.units["a3"].pk]
    assert (a3.admitted, a3.behind) == (0, 0)


def test_behind_starts_the_day_after_the_deadline(world, intake_2026):
    a1 = Unit.objects.filter(pk=world.units["a1"].pk)
    # Arrived 1 September: 30 days later (1 October) still in time, the next day behind.
    assert three_way(a1, 2026, date(2026, 10, 1))[0].behind == 0
    assert three_way(a1, 2026, date(2026, 10, 2))[0].behind == 2
    behind = behind_for_school(world.units["a1"], 2026, date(2026, 10, 10))
    assert [e.name for e in behind] == ["李子涵", "刘一诺"]
    assert behind[0].entry_status == EntryStatus.SUBMITTED and behind[1].entry_status is None
    assert behind[0].days_overdue == 9


def test_behind_follows_the_bureau_deadline_setting(world, intake_2026):
    BureauSettings.objects.create(bureau=world.units["county_a"], enrolment_deadline_days=10)
    [line] = three_way(Unit.objects.filter(pk=world.units["a1"].pk), 2026, date(2026, 10, 10))
    assert line.behind == 3 and line.deadline_days == 10  # the child who arrived on 20 September too
    # County B keeps the default 30 days.
    [b1] = three_way(Unit.objects.filter(pk=world.units["b1"].pk), 2026, date(2026, 10, 10))
    assert b1.deadline_days == 30 and b1.behind == 1


def test_consistency_page_highlights_schools_behind(world, intake_2026, login, client):
    login(world.user("officer_a"))
    with time_machine.travel(OCTOBER_10, tick=False):
        page = client.get("/admissions/consistency/?year=2026").content.decode()
        detail = client.get(f"/admissions/consistency/{world.units['a1'].pk}/?year=2026").content.decode()
    assert f'<tr class="overdue" data-school="{world.units["a1"].pk}">' in page
    assert f'<tr class="" data-school="{world.units["a2"].pk}">' in page
    assert world.units["b1"].name not in page
    assert "刘一诺" in detail and "李子涵" in detail and "陈思远" not in detail and "王小雨" not in detail


def test_city_officer_sees_id_numbers_masked_on_the_behind_list(world, intake_2026, login, client):
    number = intake_2026["not_entered"].id_number
    login(world.user("city_officer"))
    with time_machine.travel(OCTOBER_10, tick=False):
        page = client.get(f"/admissions/consistency/{world.units['a1'].pk}/?year=2026").content.decode()
    assert "刘一诺" in page and number not in page and number[:4] + "**" in page


def test_school_page_shows_own_line_and_behind_pupils(world, intake_2026, login, client):
    login(world.user("registrar_a1"))
    with time_machine.travel(OCTOBER_10, tick=False):
        page = client.get("/admissions/school/?year=2026").content.decode()
    assert page.count('<tr class="overdue">') == 3  # the school's line and its two children behind
    assert "逾期未建籍" in page and "周浩然" not in page


# Who may do and see what -----------------------------------------------------------------------

def test_officer_of_county_b_cannot_import_for_county_a(world, login, client):
    rows = xlsx([child(world.units["a1"], "王小雨")])
    with pytest.raises(AdmissionImportInvalid) as refused:
        admission_import(actor=world.user("officer_b"), bureau=world.units["county_b"], intake_year=2026, file_bytes=rows)
    assert [e.column for e in refused.value.row_errors] == ["学校代码"]
    with pytest.raises(PermissionDenied):
        admission_import(actor=world.user("officer_b"), bureau=world.units["county_a"], intake_year=2026, file_bytes=rows)

    login(world.user("officer_b"))
    response = client.post("/admissions/import/", {"intake_year": 2026, "file": SimpleUploadedFile("名单.xlsx", rows, XLSX)})
    assert response.status_code == 200 and "不在本局管辖范围" in response.content.decode()
    assert not AdmissionEntry.objects.exists()


def test_officer_of_county_b_does_not_see_county_a_consistency(world, intake_2026, login, client):
    login(world.user("officer_b"))
    with time_machine.travel(OCTOBER_10, tick=False):
        page = client.get("/admissions/consistency/?year=2026").content.decode()
        assert client.get(f"/admissions/consistency/{world.units['a1'].pk}/?year=2026").status_code == 404
        api = client.get("/api/v1/enrollment/consistency/?year=2026").json()
    assert world.units["b1"].name in page and world.units["a1"].name not in page
    assert {line["school"] for line in api} == {world.units["b1"].pk, world.units["b2"].pk}


def test_upload_page_imports_and_reports_every_error(world, login, client):
    login(world.user("officer_a"))
    assert client.get("/admissions/import/").status_code == 200
    bad = xlsx([child(world.units["a1"], "王小雨", cells={"school": "2199999999"}),
               child(world.units["a1"], "李子涵", cells={"gender": "未知"})])
    response = client.post("/admissions/import/", {"intake_year": 2026, "file": SimpleUploadedFile("a.xlsx", bad, XLSX)})
    page = response.content.decode()
    assert "第 2 行" in page and "2199999999" in page and "第 3 行" in page and "性别应填" in page
    good = xlsx([child(world.units["a1"], "王小雨")])
    response = client.post("/admissions/import/", {"intake_year": 2026, "file": SimpleUploadedFile("a.xlsx", good, XLSX)}, follow=True)
    assert "已导入 1 名学生" in response.content.decode()
    template = client.get("/admissions/template/")
    assert template.status_code == 200 and template["Content-Type"] == XLSX


@pytest.mark.parametrize(
    ("username", "url"),
    [
        ("registrar_a1", "/admissions/import/"),
        ("registrar_a1", "/admissions/template/"),
        ("headmaster_a1", "/admissions/consistency/"),
        ("teacher_a1", "/admissions/school/"),
        ("headmaster_a1", "/admissions/school/"),
        ("officer_a", "/admissions/school/"),
        ("admin", "/admissions/consistency/"),
    ],
)
def test_pages_refuse_other_roles(world, login, client, username, url):
    login(world.user(username))
    assert client.get(url).status_code == 403


def test_api_import_is_for_bureau_officers(world, login, client):
    rows = xlsx([child(world.units["a1"], "王小雨")])
    login(world.user("registrar_a1"))
    refused = client.post("/api/v1/enrollment/admissions/import/", {"intake_year": 2026, "file": SimpleUploadedFile("a.xlsx", rows, XLSX)})
    assert refused.status_code == 403
    login(world.user("officer_a"))
    bad = xlsx([child(world.units["b1"], "李子涵")])
    response = client.post("/api/v1/enrollment/admissions/import/", {"intake_year": 2026, "file": SimpleUploadedFile("b.xlsx", bad, XLSX)})
    assert response.status_code == 400
    assert [(e["row"], e["column"]) for e in response.json()["errors"]] == [(2, "学校代码")]
    created = client.post("/api/v1/enrollment/admissions/import/", {"intake_year": 2026, "file": SimpleUploadedFile("a.xlsx", rows, XLSX)})
    assert created.status_code == 201 and created.json() == {"created": 1, "intake_year": 2026}


def test_api_list_is_scoped_and_masks_for_city_officers(world, login, client):
    a1_entry = admit(world.units["a1"], "王小雨", world.user("officer_a"))
    admit(world.units["b1"], "李子涵", world.user("officer_b"))
    login(world.user("registrar_a1"))
    mine = client.get("/api/v1/enrollment/admissions/?year=2026").json()["results"]
    assert [e["name"] for e in mine] == ["王小雨"] and mine[0]["id_number"] == a1_entry.id_number
    assert client.get(f"/api/v1/enrollment/admissions/?school={world.units['b1'].pk}").json()["results"] == []
    login(world.user("city_officer"))
    city = client.get("/api/v1/enrollment/admissions/").json()["results"]
    assert {e["name"] for e in city} == {"王小雨", "李子涵"}
    assert all("*" in e["id_number"] for e in city)
    login(world.user("teacher_a1"))
    assert client.get("/api/v1/enrollment/admissions/").json()["results"] == []


def test_admission_for_school_shows_entry_status(world):
    entry = admit(world.units["a1"], "王小雨", world.user("officer_a"))
    admit(world.units["a1"], "李子涵", world.user("officer_a"))
    enter(entry, EntryStatus.DRAFT, world.user("registrar_a1"))
    statuses = {e.name: e.entry_status for e in admission_for_school(world.units["a1"], 2026)}
    assert statuses == {"王小雨": EntryStatus.DRAFT, "李子涵": None}


def test_schema_describes_the_endpoints(world, login, client):
    login(world.user("officer_a"))
    schema = client.get("/api/schema/?format=json").json()
    for path in ("/api/v1/enrollment/admissions/", "/api/v1/enrollment/admissions/import/", "/api/v1/enrollment/consistency/"):
        assert path in schema["paths"]
    upload = schema["paths"]["/api/v1/enrollment/admissions/import/"]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"201", "400", "403"} <= set(upload["responses"])
