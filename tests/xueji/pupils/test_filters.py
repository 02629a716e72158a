"""The pupil list's one filter (xueji/pupils/filters.py), shared by the page and the API: the same
parameters narrow the same pupils, and say the same things in Chinese when they are wrong."""

import pytest

from tests.factories import make_pupil
from xueji.codes import NumberKind, PupilStatus
from xueji.pupils.services import pupil_set_status


def api_names(client, params) -> set[str]:
    response = client.get("/api/v1/pupils/", params)
    assert response.status_code == 200, response.content.decode()
    return {row["name"] for row in response.json()["results"]}


def test_api_filters_by_kind_of_number(api_as, world):
    make_pupil(world.units["a1"], world.classes["a1_3_1"], name="孙悦", number_kind=NumberKind.TEMPORARY)
    client = api_as("registrar_a1")
    assert api_names(client, {"number_kind": "L"}) == {"孙悦"}
    assert "孙悦" not in api_names(client, {"number_kind": "G"})
    response = client.get("/api/v1/pupils/", {"number_kind": "X"})
    assert response.status_code == 400 and "不是可选的值" in response.json()["number_kind"][0]


@pytest.mark.parametrize(
    "params",
    [{}, {"q": "张"}, {"grade": "3"}, {"status": "suspended"}, {"number_kind": "L"}, {"school": "a1"},
     {"school_class": "a1_3_2"}, {"q": "zxm", "grade": "3"}],
)
def test_page_and_api_list_the_same_pupils(login, api_as, world, params):
    pupil_set_status(actor=None, pupil=world.pupils["a2"], status=PupilStatus.SUSPENDED,
                     effective_date=world.pupils["a2"].entry_date, reason="病休")
    temporary = make_pupil(world.units["a1"], world.classes["a1_3_2"], name="孙悦", number_kind=NumberKind.TEMPORARY)
    ids = {"school": world.units, "school_class": world.classes}
    params = {key: ids[key][value].pk if key in ids else value for key, value in params.items()}
    body = login(world.user("officer_a")).get("/pupils/", params).content.decode()
    api_params = {("search" if key == "q" else key): value for key, value in params.items()}
    listed = api_names(api_as("officer_a"), api_params)
    for pupil in [*world.pupils.values(), temporary]:
        assert (pupil.name in body) == (pupil.name in listed), (params, pupil.name)


def test_api_refuses_a_class_out_of_scope_like_the_page(api_as, world):
    response = api_as("registrar_a1").get("/api/v1/pupils/", {"school_class": world.classes["b1_3_1"].pk})
    assert response.status_code == 400
    assert response.json()["school_class"] == ["没有这个班级，或您无权查看。"]


def test_the_api_takes_the_pages_search_name_too(api_as, world):
    assert api_names(api_as("officer_a"), {"q": "zxm"}) == {"张小明"}


def test_a_bad_value_leaves_the_page_list_whole_with_its_message(login, world):
    body = login(world.user("registrar_a1")).get("/pupils/?q=zxm&grade=12").content.decode()
    assert "年级：“12”不是可选的值" in body
    assert "张小明" in body and "李晓燕" in body  # nothing narrowed, as before


def test_schema_documents_every_filter(api_as):
    schema = api_as("officer_a").get("/api/schema/", {"format": "json"}).json()
    parameters = {p["name"]: p for p in schema["paths"]["/api/v1/pupils/"]["get"]["parameters"]}
    assert {"search", "school", "grade", "school_class", "status", "number_kind", "page"} <= set(parameters)
    assert "q" not in parameters  # the page's name for search is not the API's documented one
    assert set(parameters["number_kind"]["schema"]["enum"]) == {"L", "G", "J"}
    assert parameters["school_class"]["schema"]["type"] == "integer"
    assert parameters["search"]["description"] == "姓名、拼音、学籍号或完整的身份证件号（不支持按开头几位查找）"
