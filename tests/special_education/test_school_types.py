"""The 2025 types of school: special-education schools (grades 1–9, their own class cap) and 专门学校
(grades 7–9, the junior cap), accepted with their grades wherever the school type decides."""

import pytest
from django.core.exceptions import ValidationError

from schoolyear.dates import promotable_grades
from tests.factories import SchoolClassFactory, SchoolFactory
from xueji.accounts.models import BureauSettings
from xueji.codes import ENTRY_GRADES, GRADES_BY_SCHOOL_TYPE, GRADUATING_GRADE, SchoolType
from xueji.pupils.models import SchoolClass
from xueji.pupils.selectors import class_cap


def test_every_school_type_has_its_grades_its_graduating_grade_and_its_entry_grades():
    for school_type in SchoolType:
        grades = GRADES_BY_SCHOOL_TYPE[school_type]
        assert GRADUATING_GRADE[school_type] == grades[-1], school_type
        assert ENTRY_GRADES[school_type] <= set(grades), school_type
    assert GRADES_BY_SCHOOL_TYPE[SchoolType.SPECIAL] == list(range(1, 10))
    assert GRADES_BY_SCHOOL_TYPE[SchoolType.SPECIALIZED] == [7, 8, 9]
    assert SchoolType.SPECIALIZED.label == "专门学校" and SchoolType.SPECIAL.label == "特殊教育学校"


@pytest.mark.django_db
def test_a_specialized_school_takes_junior_classes_only(world):
    school = SchoolFactory(name="农安县专门学校", parent=world.units["county_a"], division_id="220122",
                           school_type=SchoolType.SPECIALIZED)
    school.full_clean()
    SchoolClass(school=school, school_year=world.classes["a1_3_1"].school_year, grade=7, number=1).full_clean()
    with pytest.raises(ValidationError) as refused:
        SchoolClass(school=school, school_year=world.classes["a1_3_1"].school_year, grade=3, number=1).full_clean()
    assert refused.value.message_dict["grade"] == ["专门学校没有三年级。"]
    assert school.graduating_grade == 9 and promotable_grades(school) == [7, 8]
    assert class_cap(SchoolClassFactory(school=school, grade=8, number=1)) == 50


@pytest.mark.django_db
def test_a_special_education_school_teaches_nine_grades_in_small_classes(world):
    school = SchoolFactory(name="农安县特殊教育学校", parent=world.units["county_a"], division_id="220122",
                           school_type=SchoolType.SPECIAL)
    assert promotable_grades(school) == list(range(1, 9))
    first, eighth = (SchoolClassFactory(school=school, grade=grade, number=1) for grade in (1, 8))
    assert class_cap(first) == class_cap(eighth) == 12
    BureauSettings.objects.create(bureau=world.units["county_a"], class_cap_special=10)
    first.school.refresh_from_db()
    assert class_cap(SchoolClass.objects.select_related("school").get(pk=first.pk)) == 10
    assert class_cap(world.classes["a1_3_1"]) == 45  # ordinary schools keep theirs
