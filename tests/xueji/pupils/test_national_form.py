"""The national 学生基本信息表 in full: each of the 48 items and the family block is in the template,
the entry form, the record, the pupil's page, the printed 学生基本信息表 and the national export, with
the national wording (xueji/pupils/national_form.py); and a template filled with every item comes
back out of the national export unchanged."""

import io
from datetime import date

import pytest
from openpyxl import load_workbook

from enrollment.intake.columns import COLUMNS
from enrollment.intake.forms import EntryForm
from enrollment.intake.xlsx_read import read_enrolment_file
from enrollment.intake.xlsx_template import DATA_SHEET, build_template
from enrollment.national.services import export_national_xlsx
from tests.conftest import login_with_code
from tests.factories import id_number
from tests.pdfs import pdf_stream_words
from xueji.codes import Gender
from xueji.pupils.models import Guardian, Pupil
from xueji.pupils.national_form import FAMILY_ITEMS, FAMILY_MEMBERS, ITEMS, NOT_IN_TEMPLATE, member_header
from xueji.pupils.services import pupil_create

pytestmark = pytest.mark.django_db
YEAR = 2026
FAMILY_HEADERS = [member_header(position, item) for position in range(1, FAMILY_MEMBERS + 1) for item in FAMILY_ITEMS]

# A row of the template with every column filled, each cell written as the national export writes
# it (codes as codes, yes/no as 1/0, divisions as 12-digit area codes), so that what goes in is
# what must come out.
BIRTH = date(2018, 3, 15)
EVERY_ITEM = {
    "name": "王小明", "gender": "1", "birth_date": BIRTH.isoformat(), "birthplace_id": "220122000000",
    "native_place_id": "220122000000", "ethnicity": "01", "nationality": "CHN", "id_type": "1",
    "id_number": id_number("220122", BIRTH, Gender.MALE), "overseas_status": "00", "political_status": "13",
    "health": "10", "former_name": "王晓明", "id_validity": "20210601-20260601",
    "hukou_division_id": "220122000000", "hukou_type": "1", "hukou_address": "农安县农安镇黄龙路 1 号",
    "specialty": "书法", "auxiliary_number": "JL2026000123", "class_number": "07", "entry_date": "2024-09",
    "entry_mode": "1", "boarding": "1", "source": "1", "address": "农安县农安镇新阳街 8 号",
    "mailing_address": "农安县邮政局 12 号信箱", "home_address": "农安县农安镇黄龙路 1 号", "phone": "13904310001",
    "postcode": "130200", "email": "wangdawei@example.com", "homepage": "http://www.example.com",
    "only_child": "0", "preschool": "1", "left_behind": "0", "migrant_child": "0", "orphan": "0",
    "martyr_child": "0", "disability_placement": "", "disability": "0", "government_place": "0",
    "needs_aid": "1", "one_subsidy": "0", "distance_km": "3.5", "commute_mode": "4",
    "school_bus": "0",  # 3.5 km, yet the parents drive: the school's answer stands over the rule
    "guardian1_relation": "51", "guardian1_name": "王大伟", "guardian1_relation_note": "",
    "guardian1_address": "农安县农安镇新阳街 8 号", "guardian1_hukou_division_id": "220122000000",
    "guardian1_phone": "13904310001", "guardian1_is_guardian": "1", "guardian1_id_type": "1",
    "guardian1_id_number": id_number("220122", date(1985, 6, 1), Gender.MALE), "guardian1_ethnicity": "01",
    "guardian1_workplace": "农安县第一中学", "guardian1_job_title": "教师",
    "guardian2_relation": "97", "guardian2_name": "李桂兰", "guardian2_relation_note": "姑奶奶",
    "guardian2_address": "农安县合隆镇陈家店村 3 组", "guardian2_hukou_division_id": "220122000000",
    "guardian2_phone": "0431-12345678", "guardian2_is_guardian": "0", "guardian2_id_type": "",
    "guardian2_id_number": "", "guardian2_ethnicity": "01", "guardian2_workplace": "", "guardian2_job_title": "",
}


def filled_template(values: dict[str, str]) -> bytes:
    workbook = load_workbook(io.BytesIO(build_template(YEAR)))
    sheet = workbook[DATA_SHEET]
    for index, column in enumerate(COLUMNS, start=1):
        sheet.cell(row=2, column=index, value=values.get(column.key) or None)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def imported_pupil(world) -> Pupil:
    """The row read back from the filled template, made a record of class a1_3_1 (grade 3)."""
    from enrollment.intake.columns import row_to_new_pupil_data

    [row] = read_enrolment_file(filled_template(EVERY_ITEM), intake_year=YEAR)
    data, guardians, errors = row_to_new_pupil_data(row.values)
    assert errors == {}
    entry_date = data.pop("entry_date")
    return pupil_create(actor=world.user("registrar_a1"), school=world.units["a1"], data=data, guardians=guardians,
                        grade=3, entry_date=entry_date, school_class=world.classes["a1_3_1"])


def national_export(pupil: Pupil) -> dict[str, str]:
    sheet = load_workbook(io.BytesIO(export_national_xlsx(Pupil.objects.filter(pk=pupil.pk)))).active
    headers, values = ([cell.value for cell in row] for row in sheet.iter_rows(max_row=2))
    return {str(header).lstrip("*"): ("" if value is None else value) for header, value in zip(headers, values)}


def test_the_list_is_the_national_one():
    assert [item.number for item in ITEMS] == list(range(1, 49))
    assert [item.label for item in ITEMS if item.required] == [
        "姓名", "性别", "出生日期", "出生地", "籍贯", "民族", "国籍/地区", "身份证件类型", "港澳台侨外", "政治面貌",
        "健康状况", "户口所在地", "户口性质", "年级", "班级", "入学年月", "入学方式", "就读方式", "学生来源", "现住址",
        "通信地址", "家庭地址", "联系电话", "邮政编码", "是否独生子女", "是否受过学前教育", "是否留守儿童",
        "是否进城务工人员随迁子女", "是否孤儿", "是否烈士或优抚子女", "随班就读", "是否由政府购买学位",
        "是否需要申请资助", "是否享受一补",
    ]
    assert [item.label for item in FAMILY_ITEMS] == [
        "关系", "姓名", "关系说明", "现住址", "户口所在地", "联系电话", "是否监护人", "身份证件类型", "身份证件号", "民族",
        "工作单位", "职务",
    ]


def test_every_item_is_a_field_of_the_record():
    for item in ITEMS:
        assert Pupil._meta.get_field(item.key.removesuffix("_id")), item.label
    for item in FAMILY_ITEMS:
        assert Guardian._meta.get_field(item.key.removesuffix("_id")), item.label


def test_every_item_is_in_the_template_in_the_national_order_and_wording():
    sheet = load_workbook(io.BytesIO(build_template(YEAR)))[DATA_SHEET]
    headers = [str(cell.value).lstrip("*") for cell in sheet[1]]
    expected = [item.label for item in ITEMS if item.key not in NOT_IN_TEMPLATE]
    assert [header for header in headers if header in expected] == expected
    assert headers[-len(FAMILY_HEADERS):] == FAMILY_HEADERS
    # 户籍地址 is ours (the house-number part of 户口所在地), right after 户口性质.
    assert headers.index("户籍地址") == headers.index("户口性质") + 1
    # The items that are not columns say why on the 填写说明 sheet.
    rules = load_workbook(io.BytesIO(build_template(YEAR)))["填写说明"]
    text = "\n".join(str(cell.value) for row in rules.iter_rows() for cell in row if cell.value)
    for key, reason in NOT_IN_TEMPLATE.items():
        assert reason in text, key


def test_every_item_is_in_the_entry_form():
    labels = [str(field.label) for field in EntryForm().fields.values()]
    for item in ITEMS:
        if item.key not in NOT_IN_TEMPLATE:
            assert item.label in labels, item.label
    for header in FAMILY_HEADERS:
        assert header in labels, header


def test_every_item_is_on_the_pupil_page_and_the_printed_form(world, client):
    pupil = imported_pupil(world)
    login_with_code(client, world.user("registrar_a1"))
    page = client.get(f"/pupils/{pupil.pk}/").content.decode()
    for item in ITEMS:
        assert item.label in page, item.label
    for item in FAMILY_ITEMS:
        assert item.label in page, item.label
    for value in ("书法", "130200", "wangdawei@example.com", "姑奶奶", "教师", "3.5"):
        assert value in page, value
    printed = client.get(f"/pupils/{pupil.pk}/info-sheet.pdf")
    assert printed["Content-Type"] == "application/pdf"
    text = pdf_stream_words(printed.content)
    for item in ITEMS:
        assert item.numbered_label in text, item.numbered_label
    for item in FAMILY_ITEMS:
        assert item.label in text, item.label


def test_every_item_is_in_the_national_export_in_the_national_order():
    """The export's headers, after 学籍号 and 学校标识码: the 48 items but the photo, in order, then the
    family block (checked on an empty export: the headers do not depend on the records)."""
    sheet = load_workbook(io.BytesIO(export_national_xlsx(Pupil.objects.none()))).active
    headers = [str(cell.value).lstrip("*") for cell in sheet[1]]
    expected = [item.label for item in ITEMS if item.key != "photo"]
    assert [header for header in headers if header in expected] == expected
    assert headers[-len(FAMILY_HEADERS):] == FAMILY_HEADERS


def test_a_template_with_every_item_comes_back_out_of_the_national_export_unchanged(world):
    pupil = imported_pupil(world)
    exported = national_export(pupil)
    for column in COLUMNS:
        if column.guardian_position:
            header = member_header(column.guardian_position,
                                   next(item for item in FAMILY_ITEMS if item.key == column.field_name))
        elif column.item:
            header = ITEMS[column.item - 1].label
        else:
            # 户籍地址 is ours, not an item of the national form: the national file has no column for it.
            assert column.key == "hukou_address" and column.header not in exported
            continue
        assert exported[header] == EVERY_ITEM[column.key], header
    # And what the record adds: the class, the grade, the name's pinyin.
    assert exported["班级"] == world.classes["a1_3_1"].name
    assert exported["姓名拼音"] == pupil.pinyin
