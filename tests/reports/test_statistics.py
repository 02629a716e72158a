"""The statistics pages (统计): counts in the user's scope, server-drawn charts with their tables,
the breakdown by the units below or by class, the spreadsheet (formula-safe) and the API."""

import io

import pytest
from openpyxl import load_workbook

from tests.document_jobs import api_print_through_job, print_through_job
from xueji.accounts.models import AuditEntry
from xueji.codes import Ethnicity, LeftBehind, PupilStatus
from xueji.pupils.models import ProblemRecord, Pupil


@pytest.fixture
def varied(world):
    """Some variety: a1 is a left-behind Korean pupil with a disability, a2 a migrant child
    suspended, a3 has an open problem record, a deleted record of A1 counts nowhere."""
    Pupil.objects.filter(pk=world.pupils["a1"].pk).update(
        left_behind=LeftBehind.BOTH_PARENTS, ethnicity=Ethnicity.KOREAN, disability="4")
    Pupil.objects.filter(pk=world.pupils["a2"].pk).update(migrant_child=True, status=PupilStatus.SUSPENDED, hukou_type="2")
    ProblemRecord.objects.create(pupil=world.pupils["a3"], kind=ProblemRecord.Kind.INVALID_ID)
    from tests.factories import make_pupil

    gone = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="删除甲")
    Pupil.objects.filter(pk=gone.pk).update(deleted_at="2026-10-01T10:00:00+08:00")
    return world


def stats_of(client, query=""):
    response = client.get(f"/api/v1/statistics/{query}")
    assert response.status_code == 200, response.content
    return response.json()


def test_county_officer_sees_the_county_by_school(api_as, varied):
    data = stats_of(api_as("officer_a"))
    assert data["unit"]["name"] == "农安县教育局" and data["breakdown_level"] == "school"
    assert data["total"]["total"] == 4
    lines = {line["label"]: line["values"]["total"] for line in data["breakdown"]}
    assert lines == {"农安县实验小学": 2, "农安县第一中学": 1, "合隆镇陈家店小学": 1}
    dims = {d["key"]: {i["label"]: i["count"] for i in d["items"]} for d in data["dimensions"]}
    assert dims["grade"] == {"三年级": 3, "八年级": 1}
    assert dims["status"]["在籍在校"] == 3 and dims["status"]["休学"] == 1
    assert dims["left_behind"]["双亲留守儿童"] == 1 and dims["left_behind"]["非留守儿童"] == 3
    assert dims["migrant_child"] == {"随迁子女": 1, "非随迁子女": 3}
    assert dims["hukou_type"] == {"农业户口": 3, "非农业户口": 1, "未填写": 0}
    assert dims["ethnicity"] == {"汉族": 3, "朝鲜族": 1}
    assert dims["disability"]["肢体残疾"] == 1 and dims["disability"]["无残疾"] == 3
    assert dims["problems"]["身份证件号无效"] == 1
    assert data["total"]["problems"] == 1 and data["total"]["left_behind"] == 1 and data["total"]["disabled"] == 1


def test_city_officer_sees_counties(api_as, varied):
    data = stats_of(api_as("city_officer"))
    assert data["breakdown_level"] == "child"
    assert {line["label"]: line["values"]["total"] for line in data["breakdown"]} == {"农安县教育局": 4, "榆树市教育局": 1}
    assert data["total"]["total"] == 5


def test_school_sees_grades_and_classes(api_as, varied):
    data = stats_of(api_as("registrar_a1"))
    assert data["unit"]["name"] == "农安县实验小学" and data["breakdown_level"] == "class"
    assert {line["label"]: line["values"]["total"] for line in data["breakdown"]} == {"三年级（1）班": 1, "三年级（2）班": 1}
    assert [(g["label"], g["values"]["total"]) for g in data["by_grade"]] == [("三年级", 2)]


@pytest.mark.parametrize("user, unit, status", [
    ("officer_b", "a1", 404), ("registrar_a1", "a2", 404), ("registrar_a1", "county_a", 404),
    ("central_a3", "a1", 404), ("officer_a", "b1", 404), ("officer_a", "a3", 200), ("city_officer", "b1", 200),
    ("teacher_a1", "a1", 403), ("sysadmin", "a1", 403),
])
def test_statistics_of_a_unit_outside_the_area(api_as, login, world, user, unit, status):
    pk = world.units[unit].pk
    assert api_as(user).get(f"/api/v1/statistics/?unit={pk}").status_code == status
    assert login(world.user(user)).get(f"/statistics/?unit={pk}").status_code == status


def test_the_page_draws_charts_and_tables(login, varied):
    body = login(varied.user("officer_a")).get("/statistics/").content.decode()
    assert body.count("<svg") >= 9 and 'role="img"' in body
    assert "按学校" in body and "农安县实验小学" in body and "榆树市实验小学" not in body
    assert "<table" in body and "双亲留守儿童" in body and "朝鲜族" in body
    assert "cdn" not in body.lower() and "<script" not in body.split("</head>")[1]


def test_a_name_in_a_chart_is_escaped(login, world):
    from xueji.accounts.models import Unit

    Unit.objects.filter(pk=world.units["a1"].pk).update(name="<script>alert(1)</script>小学")
    body = login(world.user("officer_a")).get("/statistics/").content.decode()
    assert "<script>alert(1)" not in body and "&lt;script&gt;" in body


def test_spreadsheet_of_every_table_never_holds_a_formula(login, world):
    from xueji.accounts.models import Unit

    Unit.objects.filter(pk=world.units["a1"].pk).update(name="=1+1")
    Unit.objects.filter(pk=world.units["a2"].pk).update(name="@SUM(A1)")
    Unit.objects.filter(pk=world.units["a3"].pk).update(name="-2+3")
    response = print_through_job(login(world.user("officer_a")), f"/statistics/export.xlsx?unit={world.units['county_a'].pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    workbook = load_workbook(io.BytesIO(response.content))
    assert {"按学校", "按年级", "性别", "民族", "留守儿童", "残疾类型", "待处理的问题学籍"} <= set(workbook.sheetnames)
    cells = {cell.value: cell for row in workbook["按学校"].iter_rows() for cell in row if cell.value is not None}
    for name in ("'=1+1", "'@SUM(A1)", "'-2+3"):
        assert cells[name].data_type == "s"
    for sheet in workbook:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    assert not cell.value.startswith(("=", "+", "-", "@", "\t", "\r")), cell.value
    assert AuditEntry.objects.filter(action="report.statistics.xlsx", username="officer_a").exists()


def test_api_spreadsheet_is_audited_and_scoped(api_as, world):
    response = api_print_through_job(api_as("registrar_a1"), "/api/v1/statistics/export.xlsx")
    assert response.status_code == 200 and response.content[:2] == b"PK"
    assert AuditEntry.objects.filter(action="report.statistics.xlsx", username="registrar_a1").count() == 1
    assert api_as("registrar_b1").get(f"/api/v1/statistics/export.xlsx?unit={world.units['a1'].pk}").status_code == 404


def test_every_endpoint_is_in_the_schema_without_warnings(api_as, world):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    schema = api_as("officer_a").get("/api/schema/").content.decode()
    for path in ("/api/v1/statistics/:", "/api/v1/statistics/export.xlsx:", "/api/v1/monthly-reports/:",
                 "/api/v1/monthly-reports/{id}/:", "/api/v1/monthly-reports/{id}/report.pdf:",
                 "/api/v1/monthly-reports/{id}/report.xlsx:", "/api/v1/monthly-reports/regenerate/:"):
        assert path in schema, path
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    messages = [str(m) for m in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache)]
    assert [m for m in messages if "reports/" in m] == []


def test_bar_chart_is_plain_svg_scaled_to_the_largest_value():
    import re

    from reports.charts import LABEL_WIDTH, WIDTH, bar_chart

    svg = bar_chart("性别", [("男", 30), ("女", 15), ("合隆镇陈家店小学附属幼儿园分部", 0)], chart_id="c")
    assert svg.startswith("<svg") and 'role="img"' in svg and "<title id=\"c-title\">性别</title>" in svg
    widths = [int(w) for w in re.findall(r'<rect x="\d+" y="[\d.]+" width="(\d+)"', svg)]
    assert widths[0] == 2 * widths[1] and widths[2] == 0 and widths[0] <= WIDTH - LABEL_WIDTH
    assert "合隆镇陈家店小学附属…" in svg and "合隆镇陈家店小学附属幼儿园分部：0 人" in svg
    assert "男 30 人；女 15 人" in svg
    assert "无数据" in bar_chart("空", [])
