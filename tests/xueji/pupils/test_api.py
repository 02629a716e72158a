"""The REST API: token login, pupils search and detail, validation in Chinese, the schema."""

import pytest
from rest_framework.test import APIClient

from tests.factories import PASSWORD
from tests.otp import totp_code


@pytest.fixture
def api(world):
    def _as(username: str) -> APIClient:
        client = APIClient()
        credentials = {"username": username, "password": PASSWORD, "otp": totp_code(world.user(username))}
        response = client.post("/api/v1/auth/token/", credentials, format="json")
        assert response.status_code == 200
        assert set(response.json()) == {"token", "expiry"}
        client.credentials(HTTP_AUTHORIZATION="Token " + response.json()["token"])
        return client

    return _as


def test_token_needs_right_password(world):
    response = APIClient().post("/api/v1/auth/token/", {"username": "registrar_a1", "password": "nope"}, format="json")
    assert response.status_code == 400
    assert response.json()["detail"] == "用户名或密码不正确。"


def test_token_request_with_missing_fields_is_explained(world):
    response = APIClient().post("/api/v1/auth/token/", {}, format="json")
    assert response.status_code == 400
    assert "该字段是必填项" in response.json()["username"][0]


def test_pupils_search_is_paginated_and_scoped(api, world):
    client = api("officer_a")
    body = client.get("/api/v1/pupils/", {"search": "zxm"}).json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["name"] == "张小明" and row["school_name"] == "农安县实验小学" and row["grade_label"] == "三年级"
    assert client.get("/api/v1/pupils/", {"search": world.pupils["b1"].id_number}).json()["count"] == 0


def test_pupils_filters(api, world):
    client = api("officer_a")
    body = client.get("/api/v1/pupils/", {"school": world.units["a2"].pk}).json()
    assert [row["name"] for row in body["results"]] == ["王大伟"]
    assert client.get("/api/v1/pupils/", {"grade": 3, "school_class": world.classes["a1_3_2"].pk}).json()["count"] == 1


@pytest.mark.parametrize("params", [{"grade": "x"}, {"grade": 10}, {"status": "nope"}, {"school": "99999999999999999999"}])
def test_bad_query_parameters_are_a_400_in_chinese(api, params):
    response = api("officer_a").get("/api/v1/pupils/", params)
    assert response.status_code == 400
    message = " ".join(str(v) for v in response.json().values())
    assert any("\u4e00" <= ch <= "\u9fff" for ch in message)


def test_pupil_detail_has_record_guardians_and_numbers(api, world):
    pupil = world.pupils["a1"]
    body = api("registrar_a1").get(f"/api/v1/pupils/{pupil.pk}/").json()
    assert body["id_number"] == pupil.id_number
    assert len(body["guardians"]) == 2 and body["guardians"][0]["relation_label"] == "父亲"
    assert body["numbers"][0]["number"] == pupil.student_number


def test_pupil_detail_masked_for_head_teacher(api, world):
    pupil = world.pupils["a1"]
    body = api("teacher_a1").get(f"/api/v1/pupils/{pupil.pk}/").json()
    assert body["id_number"] == pupil.id_number[:4] + "*" * 10 + pupil.id_number[-4:]
    assert body["student_number"].startswith("G" + pupil.id_number[:4] + "*")
    # Not shown at all (xueji.pupils.visibility): the household, health and circumstances, the
    # guardians' ID numbers and household registration; the guardians' phones are (he calls them).
    for field in ("health", "address", "hukou_division", "hukou_type", "hukou_address", "disability",
                  "disability_placement", "left_behind", "migrant_child", "only_child", "orphan"):
        assert field not in body
    guardian = body["guardians"][0]
    assert "id_number" not in guardian and "hukou_division" not in guardian
    assert guardian["phone"] == pupil.guardians.get(position=guardian["position"]).phone


def test_other_county_pupil_is_404(api, world):
    response = api("registrar_a1").get(f"/api/v1/pupils/{world.pupils['b1'].pk}/")
    assert response.status_code == 404


def test_api_is_read_only(api, world):
    client = api("registrar_a1")
    assert client.post("/api/v1/pupils/", {"name": "新生"}, format="json").status_code == 405
    assert client.delete(f"/api/v1/pupils/{world.pupils['a1'].pk}/").status_code == 405


def test_schema_and_docs_are_served_locally(api):
    client = api("officer_a")
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/v1/pupils/" in schema.content
    docs = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/" in docs
    assert "cdn" not in docs.lower() and "unpkg" not in docs.lower()
