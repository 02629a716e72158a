"""The statistics count the national form's yes-no items 36 受过学前教育, 44 需要申请资助 and 48
需要乘坐校车: per school and in total, with the records that never answered as 未填写."""

import io

from openpyxl import load_workbook

from tests.document_jobs import print_through_job
from xueji.pupils.models import Pupil


def answer(world, key, **fields):
    Pupil.objects.filter(pk=world.pupils[key].pk).update(**fields)


def test_a_county_counts_preschool_aid_and_school_bus_per_school_and_in_total(api_as, world):
    answer(world, "a1", preschool=True, needs_aid=True, school_bus=False)
    answer(world, "a1_other", preschool=True, needs_aid=False, school_bus=True)
    answer(world, "a2", preschool=False, needs_aid=True, school_bus=True)
    # a3 never answered (None): 未填写. b1, another county, counts nowhere here.
    answer(world, "b1", preschool=True, needs_aid=True, school_bus=True)
    data = api_as("officer_a").get("/api/v1/statistics/").json()
    headers = {column["key"]: column["label"] for column in data["columns"]}
    assert (headers["preschool_1"], headers["needs_aid_1"], headers["school_bus_1"]) == (
        "受过学前教育", "需要申请资助", "需要乘坐校车")
    total = data["total"]
    assert (total["preschool_1"], total["needs_aid_1"], total["school_bus_1"]) == (2, 2, 2)
    lines = {line["label"]: line["values"] for line in data["breakdown"]}
    assert [lines["农安县实验小学"][key] for key in ("preschool_1", "needs_aid_1", "school_bus_1")] == [2, 1, 1]
    assert [lines["农安县第一中学"][key] for key in ("preschool_1", "needs_aid_1", "school_bus_1")] == [0, 1, 1]
    assert [lines["合隆镇陈家店小学"][key] for key in ("preschool_1", "needs_aid_1", "school_bus_1")] == [0, 0, 0]
    dims = {d["key"]: {i["label"]: i["count"] for i in d["items"]} for d in data["dimensions"]}
    assert dims["preschool"] == {"是": 2, "否": 1, "未填写": 1}
    assert dims["needs_aid"] == {"是": 2, "否": 1, "未填写": 1}
    assert dims["school_bus"] == {"是": 2, "否": 1, "未填写": 1}


def test_the_page_and_the_spreadsheet_carry_the_new_columns(world, login):
    answer(world, "a1", needs_aid=True)
    client = login(world.user("officer_a"))
    body = client.get("/statistics/").content.decode()
    assert "需要申请资助" in body and "受过学前教育" in body and "需要乘坐校车" in body
    response = print_through_job(client, "/statistics/export.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header = next(row for row in rows if row and "需要申请资助" in row)
    assert "受过学前教育" in header and "需要乘坐校车" in header
