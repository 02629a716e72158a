"""The national form's 48 items and its family block in the national export (their order, wording
and values) and in the readiness check (the ★ items a record lacks: 待补全, shown apart, never an
error)."""

import io
from decimal import Decimal

from django.urls import reverse
from openpyxl import load_workbook

from enrollment.national.readiness import ProblemKind, readiness_problems
from enrollment.national.services import export_national_xlsx
from tests.factories import make_pupil
from xueji.pupils.models import Guardian, Pupil
from xueji.pupils.national_form import FAMILY_ITEMS, ITEMS, member_header


def complete(pupil):
    """Every item of the national form filled in (a disabled pupil, so that 随班就读 applies too),
    and every item of both family members."""
    Pupil.objects.filter(pk=pupil.pk).update(
        pinyin="ZHANG XIAOMING", former_name="张明", political_status="03", id_validity="20200601-20300601",
        specialty="书法", auxiliary_number="JL2024001", class_number="07", source="9", entry_mode="2",
        boarding="2", address="农安镇黄龙路1号", mailing_address="农安镇邮政信箱12号",
        home_address="农安镇幸福村3组", phone="0431-12345678", postcode="130200", email="zxm@example.com",
        homepage="https://example.com/zxm", only_child=True, preschool=True, left_behind="1",
        migrant_child=True, orphan=False, martyr_child=False, disability_placement="1", disability="4",
        government_place=False, needs_aid=True, one_subsidy=False, distance_km=Decimal("2.5"),
        commute_mode="4", school_bus=True,
    )
    Guardian.objects.filter(pupil=pupil, position=1).update(
        relation_note="", address="农安镇黄龙路1号", ethnicity="01", job_title="护士长", is_guardian=True)
    Guardian.objects.filter(pupil=pupil, position=2).update(
        relation_note="继母", address="长春市朝阳区红旗街5号", ethnicity="02", job_title="会计", is_guardian=False)
    pupil.refresh_from_db()
    return pupil


def county_a(world):
    return Pupil.objects.filter(school__path__startswith=world.units["county_a"].path)


def exported(pupils) -> tuple[list[str], list[dict]]:
    sheet = load_workbook(io.BytesIO(export_national_xlsx(pupils))).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return rows[0], [dict(zip(rows[0], row)) for row in rows[1:]]


def starred(label: str, required: bool) -> str:
    return f"*{label}" if required else label


# Export -----------------------------------------------------------------------------------------

def test_export_headers_are_the_national_items_but_the_photo_then_the_family_block(world):
    headers, _rows = exported(Pupil.objects.filter(pk=world.pupils["a1"].pk))
    items = [starred(item.label, item.required) for item in ITEMS if item.key != "photo"]
    family = [starred(member_header(position, item), item.required) for position in (1, 2) for item in FAMILY_ITEMS]
    assert headers == ["学籍号", "学校标识码", *items, *family]
    assert len(items) == 47 and "照片" not in headers and "户籍地址" not in headers
    assert [header.lstrip("*") for header in headers[2:49]] == [item.label for item in ITEMS if item.number != 13]


def test_a_pupil_with_every_item_filled_exports_each_value(world):
    pupil = complete(world.pupils["a1"])
    first, second = pupil.guardians.get(position=1), pupil.guardians.get(position=2)
    _headers, rows = exported(Pupil.objects.filter(pk=pupil.pk))
    [row] = rows
    expected = {
        "学籍号": pupil.student_number, "学校标识码": pupil.school.code,
        "*姓名": "张小明", "*性别": "1", "*出生日期": pupil.birth_date.isoformat(), "*出生地": "220122000000",
        "*籍贯": "220122000000", "*民族": "01", "*国籍/地区": "CHN", "*身份证件类型": "1",
        "身份证件号": pupil.id_number, "*港澳台侨外": "00", "*政治面貌": "03", "*健康状况": pupil.health,
        "姓名拼音": "ZHANG XIAOMING", "曾用名": "张明", "身份证件有效期": "20200601-20300601",
        "*户口所在地": "220122000000", "*户口性质": "1", "特长": "书法",
        "学籍辅号": "JL2024001", "班内学号": "07", "*年级": "三年级", "*班级": "三年级（1）班",
        "*入学年月": f"{pupil.entry_date:%Y-%m}", "*入学方式": "2", "*就读方式": "2", "*学生来源": "9",
        "*现住址": "农安镇黄龙路1号", "*通信地址": "农安镇邮政信箱12号", "*家庭地址": "农安镇幸福村3组",
        "*联系电话": "0431-12345678", "*邮政编码": "130200", "电子信箱": "zxm@example.com",
        "主页地址": "https://example.com/zxm",
        "*是否独生子女": "1", "*是否受过学前教育": "1", "*是否留守儿童": "1", "*是否进城务工人员随迁子女": "1",
        "*是否孤儿": "0", "*是否烈士或优抚子女": "0", "*随班就读": "1", "残疾人类型": "4",
        "*是否由政府购买学位": "0", "*是否需要申请资助": "1", "*是否享受一补": "0",
        "上下学距离": "2.5", "上下学方式": "4", "是否需要乘坐校车": "1",
        "*成员1关系": first.relation, "*成员1姓名": first.name, "成员1关系说明": None,
        "*成员1现住址": "农安镇黄龙路1号", "*成员1户口所在地": "220122000000", "*成员1联系电话": first.phone,
        "*成员1是否监护人": "1", "成员1身份证件类型": "1", "成员1身份证件号": first.id_number, "成员1民族": "01",
        "成员1工作单位": first.workplace, "成员1职务": "护士长",
        "*成员2关系": second.relation, "*成员2姓名": second.name, "成员2关系说明": "继母",
        "*成员2现住址": "长春市朝阳区红旗街5号", "*成员2户口所在地": "220122000000",
        "*成员2联系电话": second.phone, "*成员2是否监护人": "0", "成员2身份证件类型": "1",
        "成员2身份证件号": second.id_number, "成员2民族": "02", "成员2工作单位": second.workplace,
        "成员2职务": "会计",
    }
    assert row == expected
    assert pupil.school_class.name == "三年级（1）班"


def test_unknown_yes_no_items_are_empty_and_a_whole_distance_has_no_decimals(world):
    pupil = world.pupils["a1"]
    Pupil.objects.filter(pk=pupil.pk).update(preschool=None, needs_aid=False, distance_km=Decimal("3.0"),
                                             school_bus=None, school_class=None)
    _headers, [row] = exported(Pupil.objects.filter(pk=pupil.pk))
    assert row["*是否受过学前教育"] is None and row["是否需要乘坐校车"] is None
    assert row["*是否需要申请资助"] == "0" and row["上下学距离"] == "3" and row["*班级"] is None


def test_export_reads_pupils_and_family_in_two_queries_whatever_their_number(world, django_assert_num_queries):
    for n in range(6):
        make_pupil(world.units["a1"], world.classes["a1_3_2"], name=f"测试{'一二三四五六'[n]}")
    pupils = Pupil.objects.filter(school=world.units["a1"])
    with django_assert_num_queries(2):
        _headers, rows = exported(pupils)
    assert len(rows) == 8 and all(row["*班级"] for row in rows)


# Readiness: 待补全 -----------------------------------------------------------------------------

def incomplete_of(world, pupil):
    return [p for p in readiness_problems(county_a(world)) if p.pupil_id == pupil.pk and p.kind == ProblemKind.INCOMPLETE]


def test_a_complete_record_has_nothing_to_fill_in(world):
    pupil = complete(world.pupils["a1"])
    assert [p for p in readiness_problems(county_a(world)) if p.pupil_id == pupil.pk] == []


def test_a_record_missing_its_postcode_is_incomplete_not_an_error(world):
    pupil = complete(world.pupils["a1"])
    Pupil.objects.filter(pk=pupil.pk).update(postcode="")
    [problem] = [p for p in readiness_problems(county_a(world)) if p.pupil_id == pupil.pk]
    assert problem.kind == ProblemKind.INCOMPLETE and not problem.blocking
    assert problem.message.startswith("待补全：邮政编码。")
    assert problem.kind_label == "信息不完整（待补全）"


def test_incomplete_lists_the_missing_items_national_names_in_the_national_order(world):
    pupil = complete(world.pupils["a1"])
    Pupil.objects.filter(pk=pupil.pk).update(preschool=None, postcode="", mailing_address="", school_class=None)
    Guardian.objects.filter(pupil=pupil, position=2).update(address="")
    [problem] = incomplete_of(world, pupil)
    assert problem.message.startswith("待补全：班级、通信地址、邮政编码、是否受过学前教育、成员2现住址。")


def test_older_records_are_incomplete_apart_from_their_errors(world):
    """The world's records were made before the national form's new items: each is 待补全, and
    an error of theirs is still its own kind."""
    Pupil.objects.filter(pk=world.pupils["a1"].pk).update(ethnicity="")
    problems = [p for p in readiness_problems(county_a(world)) if p.pupil_id == world.pupils["a1"].pk]
    assert [p.kind for p in problems] == [ProblemKind.MISSING_FIELD, ProblemKind.INCOMPLETE]
    assert [p.blocking for p in problems] == [True, False]
    assert "邮政编码" in problems[1].message and "邮政编码" not in problems[0].message


def test_a_family_member_who_is_no_guardian_needs_only_relation_and_name(world):
    pupil = complete(world.pupils["a1"])
    Guardian.objects.filter(pupil=pupil, position=2).update(id_number="", phone="", workplace="", hukou_division=None)
    assert [p for p in readiness_problems(county_a(world)) if p.pupil_id == pupil.pk] == []
    Guardian.objects.filter(pupil=pupil, position=2).update(is_guardian=True)
    [problem] = [p for p in readiness_problems(county_a(world)) if p.pupil_id == pupil.pk]
    assert problem.kind == ProblemKind.MISSING_FIELD and "第二监护人的身份证件号" in problem.message


def test_the_page_shows_incomplete_records_apart_and_still_ready(world, login):
    pupil = complete(world.pupils["a1"])
    complete(world.pupils["a1_other"])
    Pupil.objects.filter(pk=pupil.pk).update(postcode="")
    body = login(world.user("registrar_a1")).get(reverse("enrollment:national_readiness")).content.decode()
    assert "没有发现问题，可以上报" in body and "另有 1 名学生的信息待补全" in body
    assert "信息不完整（待补全）" in body and "待补全：邮政编码" in body


def test_the_api_counts_incomplete_records_apart(world, api_as):
    pupil = complete(world.pupils["a1"])
    complete(world.pupils["a1_other"])
    Pupil.objects.filter(pk=pupil.pk).update(postcode="")
    data = api_as("registrar_a1").get("/api/v1/enrollment/readiness/").json()
    assert (data["count"], data["incomplete"]) == (0, 1)
    [problem] = data["problems"]
    assert problem["kind"] == "incomplete" and problem["blocking"] is False and "邮政编码" in problem["message"]
