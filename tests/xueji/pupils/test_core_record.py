"""Divisions, units, classes and settings of the core record."""

import pytest
from django.core.exceptions import ValidationError

from tests.factories import SchoolClassFactory
from xueji.accounts.divisions import iter_division_rows
from xueji.accounts.models import BureauSettings, Division, Membership, Role, UnitKind
from xueji.accounts.selectors import bureau_settings_for
from xueji.codes import SchoolType
from xueji.pupils.selectors import class_cap


def test_divisions_ship_real_gb2260_codes(db):
    nongan = Division.objects.get(code="220122")
    assert (nongan.name, nongan.full_name, nongan.level) == ("农安县", "吉林省长春市农安县", Division.Level.COUNTY)
    assert nongan.parent.code == "220100" and nongan.parent.parent.code == "220000"
    assert Division.objects.filter(level=Division.Level.PROVINCE).count() == 34
    assert Division.objects.filter(level=Division.Level.COUNTY, in_use=True).count() > 2800


def test_abolished_codes_are_kept_but_not_in_use(db):
    chongwen = Division.objects.get(code="110103")  # 崇文区, merged into 东城区 in 2010
    assert chongwen.name == "崇文区" and not chongwen.in_use


def test_division_rows_come_from_python_stdnum():
    codes = {row.code for row in iter_division_rows()}
    assert {"110000", "220122", "650100"} <= codes


def test_unit_paths_follow_the_tree(world):
    a3, central, county = world.units["a3"], world.units["central_a"], world.units["county_a"]
    assert a3.path == f"{central.path}{a3.pk}/"
    assert a3.county_bureau == county
    assert a3.supervising_bureau == county
    assert world.units["b1"].county_bureau == world.units["county_b"]


def test_moving_a_central_school_moves_its_schools(world):
    central = world.units["central_a"]
    central.parent = world.units["county_b"]
    central.save()
    world.units["a3"].refresh_from_db()
    assert world.units["a3"].county_bureau == world.units["county_b"]


def test_school_cannot_sit_under_a_school(world):
    from tests.factories import SchoolFactory

    school = SchoolFactory.build(parent=world.units["a1"])
    with pytest.raises(ValidationError):
        school.full_clean()


def test_class_caps_default_to_the_regulation(world):
    primary = world.classes["a1_3_1"]
    junior = world.classes["a2_8_1"]
    assert (class_cap(primary), class_cap(junior)) == (45, 50)


def test_class_caps_follow_the_bureau_setting(world):
    BureauSettings.objects.create(bureau=world.units["county_a"], class_cap_primary=40, class_cap_junior=48)
    assert class_cap(world.classes["a3_3_1"]) == 40  # a rural school under the central school
    assert class_cap(world.classes["a2_8_1"]) == 48
    assert class_cap(world.classes["b1_3_1"]) == 45  # county B keeps the default
    assert bureau_settings_for(world.units["a3"]).bureau == world.units["county_a"]


def test_class_grade_must_fit_the_school(world):
    school_class = SchoolClassFactory.build(school=world.units["a2"], grade=3, school_year=world.classes["a1_3_1"].school_year)
    with pytest.raises(ValidationError) as error:
        school_class.full_clean()
    assert "初级中学没有三年级" in str(error.value)
    assert world.units["a2"].school_type == SchoolType.JUNIOR


def test_role_must_match_the_kind_of_unit(world):
    wrong = Membership(user=world.user("officer_a"), unit=world.units["a1"], role=Role.COUNTY_OFFICER)
    with pytest.raises(ValidationError) as error:
        wrong.full_clean()
    assert UnitKind.COUNTY_BUREAU.label in str(error.value)


def test_models_and_migrations_agree(db):
    import io

    from django.core.management import call_command

    output = io.StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=output)  # SystemExit(1) when they differ
    assert "No changes detected" in output.getvalue()
