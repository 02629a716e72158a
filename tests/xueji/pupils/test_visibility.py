"""The one masking policy (xueji/pupils/visibility.py): each role's view of a pupil's fields, the
union of a user's roles, and what serializers, templates and documents get from it. The pages, API
answers and documents themselves are checked for every user in tests/test_scoping_matrix.py."""

import pytest
from django.template import Context, Template

from tests.factories import MembershipFactory
from tests.scoping import FIELD_GROUPS, FIELD_RULES, SEES_LEAST, field_rule
from xueji.accounts.models import Role
from xueji.identity import mask_id_number, mask_student_number
from xueji.pupils.visibility import (
    GROUPS,
    HIDDEN,
    MASK,
    POLICY,
    Show,
    mask_phone,
    numbers_in_full,
    sees_full_record,
    visibility_for,
    visibility_of_role,
)

STATE = {Show.FULL: "full", Show.MASKED: "masked", Show.HIDDEN: "hidden"}


def states(visibility) -> dict[str, str]:
    return {group: STATE[visibility.show(group)] for group in GROUPS}


def test_the_groups_are_the_tests_groups():
    assert GROUPS == FIELD_GROUPS


@pytest.mark.parametrize("username", [*FIELD_RULES, "city_officer", "admin"])
def test_each_user_sees_each_schools_pupils_as_the_policy_says(world, username):
    user = world.user(username)
    for key in ("a1", "a2", "a3", "b1"):
        assert states(visibility_for(user, world.units[key])) == field_rule(username, key), key
    pupil = world.pupils["a1"]
    assert states(visibility_for(user, pupil)) == field_rule(username, "a1")
    assert sees_full_record(user, pupil) is all(v == "full" for v in field_rule(username, "a1").values())


def test_head_teachers_keep_the_phones_city_officers_do_not():
    head_teacher, city = visibility_of_role(Role.HEAD_TEACHER), visibility_of_role(Role.CITY_OFFICER)
    assert head_teacher.sees["guardian_phone"] and head_teacher.full["guardian_phone"]
    assert not city.sees["guardian_phone"] and not visibility_of_role(Role.PROVINCE_OFFICER).sees["guardian_phone"]
    for role in (Role.HEAD_TEACHER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER):
        visibility = visibility_of_role(role)
        assert visibility.show("id_number") == Show.MASKED
        for group in ("health", "disability", "hukou", "address", "circumstances", "guardian_id"):
            assert visibility.show(group) == Show.HIDDEN, (role, group)
    for role in (Role.REGISTRAR, Role.HEADMASTER, Role.CENTRAL_REGISTRAR, Role.COUNTY_OFFICER):
        assert visibility_of_role(role).full_record
    assert set(POLICY) == {Role.REGISTRAR, Role.HEADMASTER, Role.CENTRAL_REGISTRAR, Role.COUNTY_OFFICER,
                           Role.HEAD_TEACHER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER}


def test_a_user_with_two_roles_sees_the_most_either_gives(world):
    teacher = world.user("teacher_a1")
    assert not sees_full_record(teacher, world.pupils["a1"])
    MembershipFactory(user=teacher, unit=world.units["a1"], role=Role.HEADMASTER)
    teacher = type(teacher).objects.get(pk=teacher.pk)  # memberships are read once per user object
    assert sees_full_record(teacher, world.pupils["a1"])
    # A role elsewhere gives nothing here: the county's officer of B sees A1's pupils as an outsider.
    officer_b = world.user("officer_b")
    assert states(visibility_for(officer_b, world.pupils["a1"])) == SEES_LEAST
    assert numbers_in_full(officer_b, world.units["b1"]) and not numbers_in_full(officer_b, world.units["a1"])


def test_serialized_pupils_lose_what_is_hidden_and_mask_what_is_masked():
    data = {
        "id": 1, "name": "张小明", "id_number": "220122201803141234", "student_number": "G220122201803141234",
        "address": "黄龙路1号", "health": "30", "health_label": "有慢性病", "orphan": True, "hukou_type": "1",
        "guardians": [{"name": "王建国", "id_number": "220122198805171234", "phone": "13912345678",
                       "hukou_division": "220122", "workplace": "医院"}],
        "numbers": [{"number": "L220122201803140001", "kind": "L"}, {"number": "G220122201803141234", "kind": "G"}],
    }
    teacher = visibility_of_role(Role.HEAD_TEACHER).pupil_data(data)
    assert teacher["id_number"] == mask_id_number(data["id_number"])
    assert teacher["student_number"] == mask_student_number(data["student_number"])
    for key in ("address", "health", "health_label", "orphan", "hukou_type"):
        assert key not in teacher
    assert teacher["guardians"] == [{"name": "王建国", "phone": "13912345678", "workplace": "医院"}]
    assert [n["number"] for n in teacher["numbers"]] == ["L220122201803140001", mask_student_number("G220122201803141234")]
    city = visibility_of_role(Role.CITY_OFFICER).pupil_data(data)
    assert city["guardians"] == [{"name": "王建国", "workplace": "医院"}]
    assert visibility_of_role(Role.REGISTRAR).pupil_data(data) == data


def test_documents_print_a_box_not_shown_as_stars_and_history_values_too():
    teacher = visibility_of_role(Role.HEAD_TEACHER)
    assert teacher.printed("address", "黄龙路1号") == MASK
    assert teacher.pupil_value("address", "黄龙路1号") is HIDDEN and str(HIDDEN) == "" and not HIDDEN
    assert teacher.printed("phone", "13912345678", guardian=True) == "13912345678"
    assert visibility_of_role(Role.CITY_OFFICER).printed("phone", "13912345678", guardian=True) == MASK
    assert teacher.history_value("orphan", False) == MASK and teacher.history_value("address", "") == ""
    assert teacher.history_value("student_number", "G220122201803141234") == mask_student_number("G220122201803141234")
    assert teacher.history_value("name", "张小明") == "张小明"
    assert mask_phone("13912345678") == "139****5678"


def test_the_template_tags(world):
    template = Template('{% load xueji_tags %}[{% shown vis "id_number" n %}][{% shown vis "address" a "—" %}]'
                        '[{% printed vis "address" a %}][{% shown vis "guardian.phone" p %}][{% shown vis "address" "" "—" %}]')
    context = {"n": "220122201803141234", "a": "黄龙路1号", "p": "13912345678"}
    teacher = template.render(Context({**context, "vis": visibility_of_role(Role.HEAD_TEACHER)}))
    assert teacher == f"[{mask_id_number(context['n'])}][][***][13912345678][]"
    registrar = template.render(Context({**context, "vis": visibility_of_role(Role.REGISTRAR)}))
    assert registrar == "[220122201803141234][黄龙路1号][黄龙路1号][13912345678][—]"
