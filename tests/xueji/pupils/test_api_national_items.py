"""The pupil API with the national form's new items and the family block's, masked by the one
policy (xueji.pupils.visibility) as every other field."""

from tests.enrollment.national.test_national_items import complete

NEW_FIELDS = [
    "political_status", "political_status_label", "id_validity", "specialty", "auxiliary_number", "class_number",
    "source", "source_label", "mailing_address", "home_address", "phone", "postcode", "email", "homepage",
    "preschool", "martyr_child", "government_place", "needs_aid", "one_subsidy", "distance_km", "commute_mode",
    "commute_mode_label", "school_bus",
]
MEMBER_FIELDS = ["relation_note", "address", "is_guardian", "ethnicity", "ethnicity_label", "job_title"]


def detail(api_as, username, pupil):
    response = api_as(username).get(f"/api/v1/pupils/{pupil.pk}/")
    assert response.status_code == 200, response.content
    return response.json()


def test_the_registrar_sees_every_new_item_with_its_label(api_as, world):
    pupil = complete(world.pupils["a1"])
    body = detail(api_as, "registrar_a1", pupil)
    assert set(NEW_FIELDS) <= set(body)
    assert (body["political_status"], body["political_status_label"]) == ("03", "共青团员")
    assert (body["source"], body["source_label"]) == ("9", "其他")
    assert (body["commute_mode"], body["commute_mode_label"]) == ("4", "家长自行接送")
    assert (body["phone"], body["email"], body["postcode"]) == ("0431-12345678", "zxm@example.com", "130200")
    assert (body["mailing_address"], body["home_address"]) == ("农安镇邮政信箱12号", "农安镇幸福村3组")
    assert (body["preschool"], body["needs_aid"], body["school_bus"], body["distance_km"]) == (True, True, True, "2.5")
    assert body["id_validity"] == "20200601-20300601"
    first, second = body["guardians"]
    assert set(MEMBER_FIELDS) <= set(first)
    assert (second["relation_note"], second["address"], second["is_guardian"]) == ("继母", "长春市朝阳区红旗街5号", False)
    assert (second["ethnicity"], second["ethnicity_label"], second["job_title"]) == ("02", "蒙古族", "会计")


def test_a_head_teacher_sees_the_phones_but_not_the_addresses_or_circumstances(api_as, world):
    pupil = complete(world.pupils["a1"])
    body = detail(api_as, "teacher_a1", pupil)
    assert (body["phone"], body["email"]) == ("0431-12345678", "zxm@example.com")  # he calls the family
    for field in ("mailing_address", "home_address", "postcode", "needs_aid", "martyr_child",
                  "government_place", "one_subsidy"):
        assert field not in body, field
    assert body["id_validity"] == "***"  # with the ID number: masked
    assert body["preschool"] is True and body["school_bus"] is True and body["specialty"] == "书法"
    assert all("address" not in member for member in body["guardians"])
    assert body["guardians"][1]["job_title"] == "会计"


def test_a_city_officer_sees_no_phones_e_mail_or_addresses(api_as, world):
    pupil = complete(world.pupils["a1"])
    body = detail(api_as, "city_officer", pupil)
    for field in ("phone", "email", "mailing_address", "home_address", "postcode", "needs_aid", "one_subsidy"):
        assert field not in body, field
    assert body["id_validity"] == "***"
    for member in body["guardians"]:
        assert "address" not in member and "phone" not in member
