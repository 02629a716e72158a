"""ID numbers, names and pinyin (xueji.identity, xueji.pupils.rules)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from tests.factories import guardian_data, id_number, pupil_data
from xueji.codes import Gender, IdType
from xueji.identity import check_gb11643, check_pupil_name, mask_id_number, name_pinyin
from xueji.pupils.rules import clean_guardians, clean_pupil_identity

VALID = id_number("220122", date(2018, 3, 14), Gender.FEMALE)


def codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


def test_valid_id_number_gives_birth_date_and_gender():
    info = check_gb11643(VALID)
    assert info.birth_date == date(2018, 3, 14)
    assert info.gender == Gender.FEMALE
    assert info.area_code == "220122"


def test_id_number_with_wrong_check_digit_is_refused():
    wrong = VALID[:-1] + ("0" if VALID[-1] != "0" else "1")
    with pytest.raises(ValidationError) as error:
        check_gb11643(wrong)
    assert codes(error.value) == {"id_checksum"}
    assert "校验位" in error.value.messages[0]


def test_id_number_with_impossible_birth_date_is_refused():
    body = "22012220180231123"  # 31 February
    from stdnum.cn import ric

    with pytest.raises(ValidationError) as error:
        check_gb11643(body + ric.calc_check_digit(body + "0"))
    assert codes(error.value) == {"id_birth_date"}


def test_id_number_with_unknown_area_code_is_refused():
    body = "22999920180214123"
    from stdnum.cn import ric

    with pytest.raises(ValidationError) as error:
        check_gb11643(body + ric.calc_check_digit(body + "0"))
    assert codes(error.value) == {"id_area"}


def test_id_number_of_wrong_length_is_refused():
    with pytest.raises(ValidationError) as error:
        check_gb11643("22012220180314")
    assert codes(error.value) == {"id_length"}


def test_lower_case_x_and_spaces_are_normalised():
    body = next(
        id_number("220122", date(2018, 1, d), Gender.MALE, sequence=s)
        for d in range(1, 28)
        for s in range(1, 999, 2)
        if id_number("220122", date(2018, 1, d), Gender.MALE, sequence=s).endswith("X")
    )
    assert check_gb11643(" " + body[:6] + " " + body[6:-1] + "x").number == body


@pytest.mark.django_db
def test_gender_and_birth_date_are_taken_from_resident_id():
    data = pupil_data(id_number=VALID)
    data.pop("gender")
    data["birth_date"] = None
    cleaned = clean_pupil_identity(data)
    assert cleaned["gender"] == Gender.FEMALE
    assert cleaned["birth_date"] == date(2018, 3, 14)


@pytest.mark.django_db
def test_gender_that_disagrees_with_id_number_is_refused():
    with pytest.raises(ValidationError) as error:
        clean_pupil_identity(pupil_data(id_number=VALID, gender=Gender.MALE, birth_date=date(2018, 3, 14)))
    assert "gender" in error.value.message_dict
    assert "不一致" in error.value.message_dict["gender"][0]


@pytest.mark.django_db
def test_birth_date_that_disagrees_with_id_number_is_refused():
    with pytest.raises(ValidationError) as error:
        clean_pupil_identity(pupil_data(id_number=VALID, gender=Gender.FEMALE, birth_date=date(2018, 3, 15)))
    assert "birth_date" in error.value.message_dict


@pytest.mark.parametrize("name", ["张三", "欧阳娜娜", "阿依古丽·买买提", "𠮷野家", "王〇"])
def test_chinese_names_and_middle_dot_are_accepted(name):
    assert check_pupil_name(name, foreign=False) == name


@pytest.mark.parametrize("name", ["Tom", "张San", "张 三", "张3", "·张三", "张三·"])
def test_latin_letters_digits_and_stray_dots_are_refused_for_chinese_pupils(name):
    with pytest.raises(ValidationError):
        check_pupil_name(name, foreign=False)


def test_latin_names_are_accepted_for_foreign_pupils():
    assert check_pupil_name("Anna Smith", foreign=True) == "Anna Smith"


def test_middle_dot_variants_are_normalised():
    assert check_pupil_name("阿依古丽•买买提", foreign=False) == "阿依古丽·买买提"


@pytest.mark.django_db
def test_foreign_pupil_with_passport_may_have_a_latin_name():
    data = pupil_data(
        name="Anna Smith", nationality="USA", overseas_status="51", id_type=IdType.PASSPORT,
        id_number="P1234567", birth_date=date(2018, 5, 1), gender=Gender.FEMALE,
    )
    cleaned = clean_pupil_identity(data)
    assert cleaned["name"] == "Anna Smith"
    assert cleaned["id_number"] == "P1234567"


@pytest.mark.django_db
def test_unknown_code_values_are_refused_with_the_field():
    with pytest.raises(ValidationError) as error:
        clean_pupil_identity(pupil_data(ethnicity="77", health="99"))
    assert set(error.value.message_dict) >= {"ethnicity", "health"}


@pytest.mark.django_db
def test_unknown_division_code_is_refused():
    with pytest.raises(ValidationError) as error:
        clean_pupil_identity(pupil_data(hukou_division_id="999999"))
    assert "hukou_division_id" in error.value.message_dict


def test_pinyin_search_keys():
    assert name_pinyin("张小明") == ("zhang xiao ming", "zhangxiaoming", "zxm")
    assert name_pinyin("单田芳")[1] == "shantianfang"  # the surname reading


def test_mask_keeps_only_ends():
    assert mask_id_number("220122201803141234") == "2201**********1234"


@pytest.mark.django_db
def test_at_least_one_guardian_is_required():
    with pytest.raises(ValidationError) as error:
        clean_guardians([], pupil_id_type=IdType.RESIDENT_ID)
    assert "guardians" in error.value.message_dict


@pytest.mark.django_db
def test_second_guardian_must_be_complete():
    incomplete = guardian_data(relation="52", phone="", workplace="")
    with pytest.raises(ValidationError) as error:
        clean_guardians([guardian_data(), incomplete], pupil_id_type=IdType.RESIDENT_ID)
    assert set(error.value.message_dict) == {"guardian2_phone", "guardian2_workplace"}
    assert "第二监护人" in error.value.message_dict["guardian2_phone"][0]


@pytest.mark.django_db
def test_guardian_born_before_their_area_code_existed_is_accepted():
    # 农安县's code dates from 1983; adults born earlier carry it on numbers issued later.
    old = guardian_data(relation="62", id_number=id_number("220122", date(1960, 4, 2), Gender.FEMALE))
    assert clean_guardians([old], pupil_id_type=IdType.RESIDENT_ID)[0]["id_number"] == old["id_number"]


@pytest.mark.django_db
def test_pupil_without_id_needs_a_guardian_with_resident_id():
    guardian = guardian_data(id_type=IdType.PASSPORT, id_number="E12345678")
    with pytest.raises(ValidationError) as error:
        clean_guardians([guardian], pupil_id_type=IdType.NONE)
    assert "guardians" in error.value.message_dict


def test_pupil_area_code_must_have_existed_in_the_birth_year():
    # 220113 九台区 exists from 2014: a child born in 2012 cannot carry it.
    with pytest.raises(ValidationError) as error:
        check_gb11643(id_number("220113", date(2012, 6, 1)))
    assert codes(error.value) == {"id_area"}
    assert check_gb11643(id_number("220113", date(2016, 6, 1))).area_code == "220113"


@pytest.mark.parametrize("typed", ["２２０１２２２０１８０１０１１２３４", "٢٢٠١٢٢٢٠١٨٠١٠١١٢٣٤", "2201222018010112①", "22012220180101123\u0663"])
def test_odd_digits_get_a_message_never_a_crash(typed):
    from django.core.exceptions import ValidationError

    from xueji.identity import check_gb11643

    with pytest.raises(ValidationError):
        check_gb11643(typed)


def test_full_width_digits_are_read_as_ascii():
    from tests.factories import id_number
    from xueji.identity import check_gb11643

    number = id_number("220122", date(2018, 1, 1))
    full_width = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in number)
    assert check_gb11643(full_width).number == number
