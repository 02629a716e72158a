"""The pages and the API of 降级 (the pupil-page action, the start form with the reason for others,
the list, the printed form; the API's start, list, detail, decision) and the 送教上门 pupils: listed
as such, filtered in the pupil list (page and API) for those who see disability, counted in the
statistics."""

import pytest
import time_machine

from tests.special_education.conftest import FILED, grade_down, make_special, proof, second_grade
from xueji.accounts.models import AuditEntry
from xueji.codes import DisabilityPlacement
from xueji.documents.models import PrintedDocument


@pytest.fixture
def filing_day():
    with time_machine.travel(FILED, tick=False):
        yield


def start_url(pupil) -> str:
    return f"/pupils/{pupil.pk}/grade-down/new/"


def form_data(target, **overrides):
    return {"target_class": target.pk, "reason": "听力障碍，跟不上三年级的课程",
            "guardian_files": [proof("监护人申请.pdf")], "proof_files": [proof("残疾证.pdf")], **overrides}


def test_pupil_page_offers_grade_down_only_for_a_special_education_pupil(world, login, filing_day):
    pupil = world.pupils["a1"]
    second_grade(world)
    client = login(world.user("registrar_a1"))
    assert start_url(pupil) not in client.get(f"/pupils/{pupil.pk}/").content.decode()
    # Asked all the same, the page says why, and offers no form.
    page = client.get(start_url(pupil)).content.decode()
    assert "只有特殊教育学生可以申请降级" in page and 'name="reason"' not in page
    make_special(pupil)
    assert start_url(pupil) in client.get(f"/pupils/{pupil.pk}/").content.decode()
    assert start_url(pupil) not in login(world.user("headmaster_a1")).get(f"/pupils/{pupil.pk}/").content.decode()


def test_start_form_offers_the_classes_of_the_grade_below_and_files_the_request(world, login, filing_day):
    pupil = make_special(world.pupils["a1"])
    target = second_grade(world)
    client = login(world.user("registrar_a1"))
    form = client.get(start_url(pupil)).content.decode()
    assert f'value="{target.pk}"' in form and f'value="{world.classes["a1_3_2"].pk}"' not in form
    response = client.post(start_url(pupil), form_data(target))
    assert response.status_code == 302, response.content.decode()[:2000]
    page = client.get(response["Location"]).content.decode()
    assert "降级" in page and "二年级（1）班" in page and "打印申请表" in page
    assert f"/requests/{response['Location'].rstrip('/').split('/')[-1]}/" in client.get("/grade-downs/").content.decode()


def test_form_refused_for_another_pupil_by_post_too(world, login, filing_day):
    target = second_grade(world)
    response = login(world.user("registrar_a1")).post(start_url(world.pupils["a1"]), form_data(target))
    assert response.status_code == 200 and "只有特殊教育学生可以申请降级" in response.content.decode()
    assert not world.pupils["a1"].requests.exists()


def test_printed_form_carries_the_grades_and_a_verification_code(world, login):
    make_special(world.pupils["a1"])
    request = grade_down(world)
    response = login(world.user("headmaster_a1")).get(f"/grade-downs/requests/{request.pk}/form.pdf")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    printed = PrintedDocument.objects.get()
    assert printed.title.startswith("特殊教育学生降级申请表") and len(printed.code) == 8
    assert AuditEntry.objects.filter(action="document.print").exists()


def test_api_start_list_detail_decide_and_refusal(world, api_as, filing_day):
    target = second_grade(world)
    client = api_as("registrar_a1")
    refused = client.post("/api/v1/grade-downs/", {"pupil": world.pupils["a1"].pk, **form_data(target)}, format="multipart")
    assert refused.status_code == 400 and "只有特殊教育学生可以申请降级" in refused.content.decode()
    make_special(world.pupils["a1"])
    other_school = client.post("/api/v1/grade-downs/", {"pupil": world.pupils["b1"].pk, **form_data(target)}, format="multipart")
    assert other_school.status_code == 404
    response = client.post("/api/v1/grade-downs/", {"pupil": world.pupils["a1"].pk, **form_data(target)}, format="multipart")
    assert response.status_code == 201, response.content.decode()
    pk = response.json()["id"]
    assert pk in {row["id"] for row in client.get("/api/v1/grade-downs/").json()["results"]}
    assert api_as("officer_b").get(f"/api/v1/grade-downs/{pk}/").status_code == 404
    for user in ("headmaster_a1", "officer_a"):
        answer = api_as(user).post(f"/api/v1/requests/{pk}/decide/", {"decision": "approve"}, format="json")
        assert answer.status_code == 200, answer.content.decode()
    pupil = world.pupils["a1"]
    pupil.refresh_from_db()
    assert (pupil.grade, pupil.school_class_id) == (2, target.pk)


# 送教上门 ----------------------------------------------------------------------------------------

def test_home_taught_pupils_are_filtered_and_listed_as_such(world, login, api_as):
    home = make_special(world.pupils["a1"], placement=DisabilityPlacement.HOME_TEACHING)
    make_special(world.pupils["a1_other"], placement=DisabilityPlacement.REGULAR_CLASS)
    client = login(world.user("registrar_a1"))
    page = client.get("/pupils/?disability_placement=2").content.decode()
    assert "共 1 名学生" in page and home.name in page and "（送教上门）" in page
    assert world.pupils["a1_other"].name not in page
    assert 'name="disability_placement"' in client.get("/pupils/").content.decode()
    rows = api_as("officer_a").get("/api/v1/pupils/?disability_placement=2").json()["results"]
    assert [row["id"] for row in rows] == [home.pk]


@pytest.mark.parametrize("user", ["teacher_a1", "city_officer"])
def test_who_does_not_see_disability_cannot_filter_by_it(world, login, api_as, user):
    make_special(world.pupils["a1"], placement=DisabilityPlacement.HOME_TEACHING)
    page = login(world.user(user)).get("/pupils/?disability_placement=2").content.decode()
    assert "不能按残疾学生就读方式筛选" in page and "（送教上门）" not in page
    assert 'name="disability_placement"' not in login(world.user(user)).get("/pupils/").content.decode()
    answer = api_as(user).get("/api/v1/pupils/?disability_placement=2")
    assert answer.status_code == 400 and "不能按残疾学生就读方式筛选" in answer.content.decode()


def test_a_bureau_seeing_disability_filters_only_where_it_sees_it(world, api_as):
    """A user with a full role at one school and none at another: the filter keeps to the first."""
    from tests.factories import MembershipFactory
    from xueji.accounts.models import Role

    make_special(world.pupils["a1"], placement=DisabilityPlacement.HOME_TEACHING)
    make_special(world.pupils["b1"], placement=DisabilityPlacement.HOME_TEACHING)
    MembershipFactory(user=world.user("city_officer"), unit=world.units["b1"], role=Role.REGISTRAR)
    rows = api_as("city_officer").get("/api/v1/pupils/?disability_placement=2").json()["results"]
    assert [row["id"] for row in rows] == [world.pupils["b1"].pk]


def test_statistics_count_home_taught_pupils(world, api_as):
    make_special(world.pupils["a1"], placement=DisabilityPlacement.HOME_TEACHING)
    make_special(world.pupils["a3"], placement=DisabilityPlacement.HOME_TEACHING)
    make_special(world.pupils["a1_other"], placement=DisabilityPlacement.REGULAR_CLASS)
    data = api_as("officer_a").get("/api/v1/statistics/").json()
    dims = {d["key"]: {i["label"]: i["count"] for i in d["items"]} for d in data["dimensions"]}
    assert dims["disability_placement"] == {"随班就读": 1, "送教上门": 2, "特殊教育学校就读": 0}
    assert data["total"]["placement_2"] == 2
    lines = {line["label"]: line["values"]["placement_2"] for line in data["breakdown"]}
    assert lines == {"农安县实验小学": 1, "农安县第一中学": 0, "合隆镇陈家店小学": 1}
    assert "送教上门" in {column["label"] for column in data["columns"]}


def test_the_request_hides_the_pupils_condition_from_who_does_not_see_disability(world, login):
    make_special(world.pupils["a1"])
    request = grade_down(world, reason="听力障碍，跟不上三年级的课程")
    assert "听力障碍" in login(world.user("officer_a")).get(f"/requests/{request.pk}/").content.decode()
    page = login(world.user("city_officer")).get(f"/requests/{request.pk}/").content.decode()
    assert "降级" in page and "听力障碍" not in page and "登记了残疾类型" not in page
