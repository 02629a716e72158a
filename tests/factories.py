"""Factories for every model of the core. Pupils are created through the service (pupil_create),
so that they get numbers, history and audit like real records."""

import itertools
import random
from datetime import date, timedelta

import factory
from stdnum.cn import ric

from xueji.accounts.models import Membership, Role, Unit, UnitKind, User
from xueji.accounts.two_factor import device_with_secret
from xueji.codes import Gender, GuardianRelation, IdType, NumberKind, SchoolType
from xueji.pupils.models import SchoolClass, SchoolYear
from xueji.pupils.services import pupil_create

PASSWORD = "Xueji#2026demo"
# The demo's shared TOTP secret (base32): tests compute codes from it as an authenticator app would.
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
_rng = random.Random(7)
_sequence = itertools.count(1)


def id_number(area: str, birth: date, gender: str = Gender.MALE, sequence: int | None = None) -> str:
    """A valid 18-digit ID number (check digit, area, birth date, gender parity)."""
    sequence = next(_sequence) % 500 * 2 if sequence is None else sequence
    if (sequence % 2 == 1) != (gender == Gender.MALE):
        sequence += 1
    body = f"{area}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def birth_date_for_grade(grade: int, school_year: int = 2026) -> date:
    """A birth date that fits the grade: grade 1 in 2026 is born 2019-09-01 … 2020-08-31."""
    return date(school_year - 7 - (grade - 1), 9, 1) + timedelta(days=_rng.randrange(0, 365))


class UnitFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Unit

    kind = UnitKind.COUNTY_BUREAU
    name = factory.Sequence(lambda n: f"第{n}单位")
    division_id = "220122"


class SchoolFactory(UnitFactory):
    kind = UnitKind.SCHOOL
    name = factory.Sequence(lambda n: f"第{n}小学")
    code = factory.Sequence(lambda n: f"21{n:08d}")
    school_type = SchoolType.PRIMARY
    township = "农安镇"


class SchoolYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolYear
        django_get_or_create = ["start_year"]

    start_year = 2026
    start_date = date(2026, 9, 1)
    end_date = date(2027, 8, 31)


class SchoolClassFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchoolClass

    school = factory.SubFactory(SchoolFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    grade = 3
    number = factory.Sequence(lambda n: n + 1)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"用户{n}")

    @factory.post_generation
    def password(user, create, extracted, **kwargs):
        user.set_password(extracted or PASSWORD)
        if create:
            user.save(update_fields=["password"])

    @factory.post_generation
    def totp(user, create, extracted, **kwargs):
        """Every test user has an authenticator with the shared test secret (``totp=False`` for
        one without, who is led through enrolment)."""
        if create and extracted is not False:
            device_with_secret(user, TOTP_SECRET)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(SchoolFactory)
    role = Role.REGISTRAR


def guardian_data(area: str = "220122", relation: str = GuardianRelation.FATHER, **overrides) -> dict:
    gender = Gender.FEMALE if relation in (GuardianRelation.MOTHER, GuardianRelation.GRANDMOTHER) else Gender.MALE
    data = {
        "relation": relation,
        "name": "王建国" if gender == Gender.MALE else "李秀英",
        "id_type": IdType.RESIDENT_ID,
        "id_number": id_number(area, date(1988, 5, 17), gender),
        "phone": "13900000000",
        "workplace": "县人民医院",
        "hukou_division_id": area,
    }
    data.update(overrides)
    return data


def pupil_data(grade: int = 3, gender: str = Gender.MALE, area: str = "220122", **overrides) -> dict:
    birth = overrides.pop("birth_date", None) or birth_date_for_grade(grade)
    data = {
        "name": "张小明",
        "gender": gender,
        "birth_date": birth,
        "id_type": IdType.RESIDENT_ID,
        "id_number": id_number(area, birth, gender),
        "birthplace_id": area,
        "native_place_id": area,
        "hukou_division_id": area,
        "hukou_type": "1",
        "address": "农安镇黄龙路1号",
    }
    data.update(overrides)
    return data


def make_pupil(
    school: Unit,
    school_class: SchoolClass | None = None,
    *,
    grade: int | None = None,
    guardians: list[dict] | None = None,
    number_kind: str = NumberKind.FROM_ID,
    actor: User | None = None,
    **data_overrides,
):
    """A pupil created through pupil_create with valid data; overrides go into the data."""
    grade = grade or (school_class.grade if school_class else 3)
    data = pupil_data(grade=grade, **data_overrides)
    if data.get("id_type") == IdType.NONE and number_kind == NumberKind.FROM_ID:
        number_kind = NumberKind.WITHOUT_ID
    return pupil_create(
        actor=actor,
        school=school,
        data=data,
        guardians=guardians or [guardian_data(), guardian_data(relation=GuardianRelation.MOTHER)],
        grade=grade,
        entry_date=date(2026 - grade + 1, 9, 1),
        school_class=school_class,
        number_kind=number_kind,
    )
