"""The rules of the national form's items that earlier records did not have (xueji.pupils.rules):
contact items, the ID document's validity, the way to school, and family members who are not
guardians."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from tests.factories import guardian_data, make_pupil, pupil_data
from xueji.codes import GuardianRelation, IdType, PoliticalStatus
from xueji.pupils.rules import clean_guardians, clean_id_validity, clean_phone, clean_pupil_identity
from xueji.pupils.services import pupil_clean_changes

pytestmark = pytest.mark.django_db


def errors_of(**changes) -> dict:
    with pytest.raises(ValidationError) as error:
        clean_pupil_identity(pupil_data(**changes))
    return error.value.message_dict


def test_a_record_with_every_item_is_accepted_and_normalised():
    cleaned = clean_pupil_identity(pupil_data(
        political_status=PoliticalStatus.LEAGUE_MEMBER, postcode=" 130200 ", phone="+86 139 0000 0000",
        email=" wang@example.com ", homepage="www.example.com", id_validity="2020.06.01-2025.06.01",
        distance_km="3.46", commute_mode="5", source="1",
    ))
    assert cleaned["postcode"] == "130200"
    assert cleaned["phone"] == "13900000000"
    assert cleaned["email"] == "wang@example.com"
    assert cleaned["id_validity"] == "20200601-20250601"
    assert cleaned["distance_km"] == Decimal("3.5")


@pytest.mark.parametrize("field, value, words", [
    ("postcode", "13020", "6 位数字"),
    ("postcode", "13020a", "6 位数字"),
    ("phone", "12345", "格式不对"),
    ("email", "wang@", "电子信箱"),
    ("homepage", "not a url", "网址"),
    ("id_validity", "2025-06-01", "20200601-20300601"),
    ("distance_km", "远", "公里数"),
    ("distance_km", "-1", "0 到 999.9"),
    ("political_status", "99", "有效的代码"),
    ("commute_mode", "7", "有效的代码"),
    ("source", "3", "有效的代码"),
])
def test_bad_values_are_refused_in_chinese(field, value, words):
    errors = errors_of(**{field: value})
    assert list(errors) == [field]
    assert words in errors[field][0]


def test_id_validity_ends_after_it_starts_and_may_be_long_term():
    assert clean_id_validity("20200601-长期") == "20200601-长期"
    assert clean_id_validity("2020年6月1日至2030年6月1日") == "20200601-20300601"
    with pytest.raises(ValidationError, match="晚于起始日期"):
        clean_id_validity("20300601-20200601")


def test_landlines_and_extensions_are_phones():
    assert clean_phone("0431-12345678") == "0431-12345678"
    assert clean_phone("043112345678") == "043112345678"
    assert clean_phone("0431-1234567-801") == "0431-1234567-801"


@pytest.mark.parametrize("distance, expected", [("2.1", True), ("2", False), ("0.5", False)])
def test_school_bus_follows_the_distance_over_2_km(distance, expected):
    assert clean_pupil_identity(pupil_data(distance_km=distance))["school_bus"] is expected


def test_the_school_may_answer_the_school_bus_itself():
    # 8 km, but the family drives the child: the school says 否, and that stands.
    assert clean_pupil_identity(pupil_data(distance_km="8", school_bus=False))["school_bus"] is False


def test_without_a_distance_the_school_bus_stays_unknown():
    assert clean_pupil_identity(pupil_data()).get("school_bus") is None


def test_a_family_member_who_is_not_a_guardian_needs_only_relation_and_name():
    grandmother = {"relation": GuardianRelation.GRANDMOTHER, "name": "李桂兰", "is_guardian": False}
    cleaned = clean_guardians([guardian_data(), grandmother], pupil_id_type=IdType.RESIDENT_ID)
    assert [g["is_guardian"] for g in cleaned] == [True, False]
    with pytest.raises(ValidationError) as error:
        clean_guardians([guardian_data(), {"relation": "62", "is_guardian": False}], pupil_id_type=IdType.RESIDENT_ID)
    assert list(error.value.message_dict) == ["guardian2_name"]


def test_someone_among_the_family_members_must_be_a_guardian():
    with pytest.raises(ValidationError) as error:
        clean_guardians([guardian_data(is_guardian=False)], pupil_id_type=IdType.RESIDENT_ID)
    assert "至少要有一位监护人" in error.value.message_dict["guardians"][0]


def test_a_guardian_is_still_complete_and_phones_and_ethnicity_are_checked():
    with pytest.raises(ValidationError) as error:
        clean_guardians([guardian_data(workplace="", phone="abc", ethnicity="99")], pupil_id_type=IdType.RESIDENT_ID)
    assert set(error.value.message_dict) == {"guardian1_workplace", "guardian1_phone", "guardian1_ethnicity"}


def test_a_pupil_without_id_needs_a_guardian_not_a_member_with_a_resident_id():
    member = guardian_data(relation=GuardianRelation.GRANDFATHER, is_guardian=False)
    guardian = guardian_data(id_type=IdType.PASSPORT, id_number="E12345678")
    with pytest.raises(ValidationError) as error:
        clean_guardians([guardian, member], pupil_id_type=IdType.NONE)
    assert "guardians" in error.value.message_dict


def test_older_records_without_the_new_items_can_still_be_changed(world):
    """Items an older record never asked (None, blank) block nothing: another field's change passes."""
    pupil = make_pupil(world.units["a1"], world.classes["a1_3_1"])
    assert (pupil.preschool, pupil.postcode, pupil.school_bus) == (None, "", None)
    assert pupil_clean_changes(pupil=pupil, changes={"address": "农安镇新址 8 号"})["address"] == "农安镇新址 8 号"
