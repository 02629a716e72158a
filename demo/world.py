"""The demo data: one city with two counties, A and B, about 1,500 pupils.

County A (农安县): a bureau officer, a county-town primary school (A1) and junior-middle school
(A2), and a township central school with a rural primary school. County B (榆树市): a bureau
officer, a primary (B1) and a junior-middle school (B2). Registrars, headmasters and head
teachers for every school; classes for all grades. Pupils get valid synthetic ID numbers,
guardians and realistic code values, and go through the same services as real records.

Only the accounts in ``ACCOUNTS`` can log in (password ``DEMO_PASSWORD``); the other staff exist
so that every school and class has its people, with passwords nobody knows.

One class of every school has its pupils' photos (drawings, demo/photos.py), so that its
学籍卡 print as they do in a school: teacher_a1's 三年级（1）班 in A1.

``world_load`` is idempotent: running it again changes nothing (demo/load.py runs it first).
"""

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from stdnum.cn import ric

from demo.photos import load_class_photos
from xueji.accounts.models import BureauSettings, Membership, Role, Unit, UnitKind, User
from xueji.accounts.two_factor import device_with_secret
from xueji.codes import (
    Boarding,
    CommuteMode,
    Ethnicity,
    Gender,
    GuardianRelation,
    Health,
    HukouType,
    IdType,
    LeftBehind,
    NumberKind,
    PoliticalStatus,
    PupilSource,
    SchoolType,
)
from xueji.pupils.models import Pupil, SchoolClass, SchoolYear, Semester
from xueji.pupils.services import NewPupil, pupil_update, pupils_create_many

DEMO_PASSWORD = "Xueji#2026demo"

# (username, what the account is) — printed by `make run` and listed in the README.
ACCOUNTS = [
    ("officer_a", "A 县（农安县）教育局学籍管理员"),
    ("officer_b", "B 县（榆树市）教育局学籍管理员"),
    ("leader_a", "A 县（农安县）教育局分管领导（审批数据导出）"),
    ("leader_b", "B 县（榆树市）教育局分管领导（审批数据导出）"),
    ("registrar_a1", "农安县实验小学 学籍管理员"),
    ("headmaster_a1", "农安县实验小学 校长"),
    ("registrar_a2", "农安县第一中学 学籍管理员"),
    ("headmaster_a2", "农安县第一中学 校长"),
    ("registrar_b1", "榆树市实验小学 学籍管理员"),
    ("headmaster_b1", "榆树市实验小学 校长"),
    ("teacher_a1", "农安县实验小学 三年级（1）班 班主任"),
    ("sysadmin", "长春市教育局 系统管理员（单位、用户、日历、设置；不看学生、不看审计日志）"),
    ("secadmin", "长春市教育局 安全管理员（解锁、解封、重置动态验证码和密码、授予角色）"),
    ("auditor", "长春市教育局 审计管理员（只看、只导出审计日志）"),
]
# Every demo account that can log in has a TOTP device with this secret (base32), listed in the
# README beside the password: add it to an authenticator app, or run `manage.py demo_otp`.
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXP"

SCHOOL_YEAR = 2026
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN_BOY = "伟强磊军洋勇杰涛明超刚平辉鹏华飞鑫波斌宇浩凯健俊帆帅旭宁龙林欢阳建国立新志博文轩睿泽子豪梓航晨皓然一诺铭"
GIVEN_GIRL = "芳娜敏静丽艳娟霞秀燕玲桂丹萍红玉兰琳雪婷倩颖洁佳琪欣怡梦瑶诗涵雨萱思彤可馨紫悦若晗梓语嘉"


@dataclass(frozen=True)
class SchoolPlan:
    key: str
    name: str
    code: str
    school_type: str
    classes_per_grade: int
    pupils_per_class: int
    county_town: bool
    township: str


COUNTY_A = ("220122", "农安县教育局", [
    SchoolPlan("a1", "农安县实验小学", "2122012201", SchoolType.PRIMARY, 3, 27, True, "农安镇"),
    SchoolPlan("a2", "农安县第一中学", "2122012202", SchoolType.JUNIOR, 3, 35, True, "农安镇"),
])
CENTRAL_A = ("合隆镇中心校", "合隆镇", [
    SchoolPlan("a3", "合隆镇陈家店小学", "2122012203", SchoolType.PRIMARY, 1, 22, False, "合隆镇"),
])
COUNTY_B = ("220182", "榆树市教育局", [
    SchoolPlan("b1", "榆树市实验小学", "2122018201", SchoolType.PRIMARY, 2, 27, True, "华昌街道"),
    SchoolPlan("b2", "榆树市第二中学", "2122018202", SchoolType.JUNIOR, 3, 35, True, "华昌街道"),
])
# (grade, class number) whose pupils have photos, per school: the class of teacher_a1 (the head
# teacher who can log in) in A1, and one class of every other school.
PHOTO_CLASSES = {"a1": (3, 1), "a2": (7, 1), "a3": (3, 1), "b1": (3, 1), "b2": (7, 1)}


def world_load(say, rng: random.Random) -> dict:
    """The units, the people and the pupils, if they are not there yet; the schools by key, for
    the photos (photos_load) once the apps' data is in."""
    year = _school_year()
    with transaction.atomic():
        province = _unit(UnitKind.PROVINCE_BUREAU, "吉林省教育厅", None, "220000")
        city = _unit(UnitKind.CITY_BUREAU, "长春市教育局", province, "220100")
        county_a = _unit(UnitKind.COUNTY_BUREAU, COUNTY_A[1], city, COUNTY_A[0])
        county_b = _unit(UnitKind.COUNTY_BUREAU, COUNTY_B[1], city, COUNTY_B[0])
        for bureau in (county_a, county_b):
            BureauSettings.objects.get_or_create(bureau=bureau)
        central_a = _unit(UnitKind.CENTRAL_SCHOOL, CENTRAL_A[0], county_a, COUNTY_A[0], township=CENTRAL_A[1])
        schools = {}
        for parent, plans in ((county_a, COUNTY_A[2]), (central_a, CENTRAL_A[2]), (county_b, COUNTY_B[2])):
            for plan in plans:
                schools[plan.key] = (_school(plan, parent), plan)

        _account("sysadmin", "周明远", city, Role.SYSTEM_ADMIN)
        _account("secadmin", "钱海燕", city, Role.SECURITY_ADMIN)
        _account("auditor", "邵文博", city, Role.AUDIT_ADMIN)
        _account("officer_a", "刘建华", county_a, Role.COUNTY_OFFICER)
        _account("officer_b", "孙丽娟", county_b, Role.COUNTY_OFFICER)
        _account("leader_a", "马振东", county_a, Role.LEADER)
        _account("leader_b", "韩秀梅", county_b, Role.LEADER)
        _account("city_officer", "何志强", city, Role.CITY_OFFICER, can_login=False)
        _account("central_a3", "高秀兰", central_a, Role.CENTRAL_REGISTRAR, can_login=False)
        staff_names = iter(["王淑芬", "张国庆", "李春梅", "赵德胜", "陈晓燕", "周海涛", "吴桂英", "郑永刚", "冯雪梅", "褚卫东"])
        for key, (school, _plan) in schools.items():
            can_login = key in {"a1", "a2", "b1"}
            _account(f"registrar_{key}", next(staff_names), school, Role.REGISTRAR, can_login=can_login)
    for key, (school, plan) in schools.items():
        with transaction.atomic():
            _account(f"headmaster_{key}", _person_name(rng, Gender.MALE), school, Role.HEADMASTER, can_login=key in {"a1", "a2", "b1"})
            classes = _classes(school, plan, year, rng)
            if Pupil.objects.filter(school=school).exists():
                continue
            count = _pupils(school, plan, classes, rng)
            if key == "a1":
                _corrections(school)
            say(f"  {school.name}：{len(classes)} 个班，{count} 名学生\n")
    return schools


def photos_load(schools: dict, say, rng: random.Random) -> None:
    """Photos for one class of each school (PHOTO_CLASSES)."""
    year = _school_year()
    for key, (school, _plan) in schools.items():
        _class_photos(key, school, year, rng, say)


def _school_year() -> SchoolYear:
    year, _ = SchoolYear.objects.get_or_create(
        start_year=SCHOOL_YEAR, defaults={"start_date": date(2026, 9, 1), "end_date": date(2027, 8, 31)}
    )
    Semester.objects.get_or_create(
        school_year=year, term=Semester.Term.FIRST, defaults={"start_date": date(2026, 9, 1), "end_date": date(2027, 1, 22)}
    )
    Semester.objects.get_or_create(
        school_year=year, term=Semester.Term.SECOND, defaults={"start_date": date(2027, 3, 1), "end_date": date(2027, 7, 10)}
    )
    return year


def _unit(kind: str, name: str, parent: Unit | None, division: str, township: str = "") -> Unit:
    unit, created = Unit.objects.get_or_create(
        kind=kind, name=name, defaults={"parent": parent, "division_id": division, "township": township}
    )
    return unit


def _school(plan: SchoolPlan, parent: Unit) -> Unit:
    school, _ = Unit.objects.get_or_create(
        code=plan.code,
        defaults={
            "kind": UnitKind.SCHOOL, "name": plan.name, "parent": parent, "division_id": parent.division_id,
            "school_type": plan.school_type, "township": plan.township, "is_county_town": plan.county_town,
        },
    )
    return school


def _account(username: str, full_name: str, unit: Unit, role: str, *, can_login: bool = True) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(username=username, full_name=full_name)
        if can_login:
            user.set_password(DEMO_PASSWORD)
        else:
            user.set_unusable_password()
        user.save()
        if can_login:
            device_with_secret(user, DEMO_TOTP_SECRET)
    Membership.objects.get_or_create(user=user, unit=unit, role=role)
    return user


def _classes(school: Unit, plan: SchoolPlan, year: SchoolYear, rng: random.Random) -> list[SchoolClass]:
    classes = []
    for grade in school.grades:
        for number in range(1, plan.classes_per_grade + 1):
            school_class, created = SchoolClass.objects.get_or_create(
                school=school, school_year=year, grade=grade, number=number
            )
            if school_class.head_teacher_id is None:
                username = "teacher_a1" if (plan.key, grade, number) == ("a1", 3, 1) else f"teacher_{plan.key}_{grade}_{number}"
                gender = rng.choice([Gender.MALE, Gender.FEMALE])
                teacher = _account(username, _person_name(rng, gender), school, Role.HEAD_TEACHER, can_login=username == "teacher_a1")
                school_class.head_teacher = teacher
                school_class.save(update_fields=["head_teacher"])
            classes.append(school_class)
    return classes


def _class_photos(key: str, school: Unit, year: SchoolYear, rng: random.Random, say) -> None:
    grade, number = PHOTO_CLASSES[key]
    school_class = SchoolClass.objects.get(school=school, school_year=year, grade=grade, number=number)
    registrar = User.objects.get(username=f"registrar_{key}")
    count = load_class_photos(school_class, registrar, rng)
    if count:
        say(f"  {school.name}{school_class.name}：{count} 名学生的照片\n")


def _person_name(rng: random.Random, gender: str) -> str:
    given = GIVEN_BOY if gender == Gender.MALE else GIVEN_GIRL
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice([1, 2, 2])))


def _id_number(rng: random.Random, area: str, birth: date, gender: str) -> str:
    sequence = rng.randrange(0, 999)
    if (sequence % 2 == 1) != (gender == Gender.MALE):
        sequence = (sequence + 1) % 1000 if sequence < 999 else 998
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def _birth_date_for_grade(rng: random.Random, grade: int) -> date:
    """A birth date that fits the grade in the 2026 school year: grade 1 born 2019-09-01 to
    2020-08-31 (six by 31 August 2026), one year earlier per grade above."""
    start = date(2019 - (grade - 1), 9, 1)
    return start + timedelta(days=rng.randrange(0, 365))


def _pupils(school: Unit, plan: SchoolPlan, classes: list[SchoolClass], rng: random.Random) -> int:
    area = school.division_id
    count = 0
    other_areas = ["220122", "220182", "220183", "220381", "230103", "210102", "130102", "410102"]
    for school_class in classes:
        batch = []
        # The national form's other items draw from a generator of their own, seeded by the class:
        # the names, ID numbers and guardians the demo has always had stay the same.
        national_rng = random.Random(f"{plan.code}-{school_class.grade}-{school_class.number}")
        for position in range(1, plan.pupils_per_class - rng.randrange(0, 3) + 1):
            gender = rng.choice([Gender.MALE, Gender.FEMALE])
            birth = _birth_date_for_grade(rng, school_class.grade)
            migrant = rng.random() < 0.08
            hukou_area = rng.choice(other_areas) if migrant else area
            no_id = rng.random() < 0.01
            ethnicity = rng.choices(
                [Ethnicity.HAN, Ethnicity.KOREAN, Ethnicity.MANCHU, Ethnicity.HUI, Ethnicity.MONGOL], [90, 4, 3, 2, 1]
            )[0]
            father_name = _person_name(rng, Gender.MALE)
            surname = father_name[0]
            given = GIVEN_BOY if gender == Gender.MALE else GIVEN_GIRL
            name = surname + "".join(rng.choice(given) for _ in range(rng.choice([1, 2, 2])))
            left_behind = rng.choices([LeftBehind.NO, LeftBehind.ONE_PARENT, LeftBehind.BOTH_PARENTS], [85, 10, 5])[0]
            guardians = _guardians(rng, hukou_area, father_name, surname, left_behind)
            data = {
                "name": name,
                "gender": gender,
                "birth_date": birth,
                "id_type": IdType.NONE if no_id else IdType.RESIDENT_ID,
                "id_number": "" if no_id else _id_number(rng, hukou_area, birth, gender),
                "ethnicity": ethnicity,
                "birthplace_id": hukou_area,
                "native_place_id": hukou_area,
                "hukou_division_id": hukou_area,
                "hukou_type": HukouType.AGRICULTURAL if not plan.county_town or rng.random() < 0.3 else HukouType.NON_AGRICULTURAL,
                "address": f"{plan.township}{rng.randrange(1, 40)}号",
                "health": rng.choices([Health.GOOD, Health.FAIR, Health.CHRONIC], [95, 4, 1])[0],
                "boarding": Boarding.BOARDING if school_class.grade >= 7 and rng.random() < 0.2 else Boarding.DAY,
                "left_behind": left_behind,
                "migrant_child": migrant,
                "only_child": rng.random() < 0.4,
            }
            _national_items(national_rng, data, guardians, plan, area, school_class.grade, position)
            number_kind = NumberKind.WITHOUT_ID if no_id else (
                NumberKind.TEMPORARY if school_class.grade in (1, 7) else NumberKind.FROM_ID
            )
            batch.append(NewPupil(
                data=data, guardians=guardians, grade=school_class.grade,
                entry_date=date(2026 - (school_class.grade - (1 if school_class.grade < 7 else 7)), 9, 1),
                school_class=school_class, number_kind=number_kind,
            ))
        count += len(pupils_create_many(actor=None, school=school, rows=batch))
    return count


# 邮政编码 of the demo's counties (农安县, 榆树市).
POSTCODES = {"220122": "130200", "220182": "130400"}
# Where a migrant child's household is registered (the other_areas of _pupils), for its 家庭地址.
HOMETOWNS = {"220122": "吉林省农安县", "220182": "吉林省榆树市", "220183": "吉林省德惠市", "220381": "吉林省公主岭市",
             "230103": "黑龙江省哈尔滨市南岗区", "210102": "辽宁省沈阳市和平区", "130102": "河北省石家庄市长安区",
             "410102": "河南省郑州市中原区"}
SPECIALTIES = ["书法", "绘画", "钢琴", "长跑", "篮球", "围棋", "舞蹈", "朗诵", "乒乓球", "二胡"]
JOB_TITLES = {"县人民医院": ["护士长", "主治医师", "科室主任"], "县第二建筑公司": ["项目经理", "施工员"],
              "镇农机站": ["站长", "技术员"], "长春市某汽车配件厂": ["车间主任", "班组长"]}
OTHER_RELATIVES = ["姑父", "舅妈", "婶婶", "表姐"]


def _national_items(rng: random.Random, data: dict, guardians: list[dict], plan: SchoolPlan, area: str,
                    grade: int, position: int) -> None:
    """The national 学生基本信息表's items beyond the old field set, as a school fills them in:
    most pupils 群众 (a few 共青团员 in grades 8–9), the class number by position, the contact
    items from the address and the first guardian, the yes-no items mostly 否, a distance with a
    way to school that fits it (is_guardian and 是否需要乘坐校车 left to the rules)."""
    first = guardians[0]
    league = grade >= 8 and rng.random() < (0.25 if grade == 8 else 0.45)
    data["political_status"] = PoliticalStatus.LEAGUE_MEMBER if league else PoliticalStatus.MASSES
    data["class_number"] = f"{position:02d}"
    data["source"] = PupilSource.NORMAL
    if rng.random() < 0.15:
        data["specialty"] = rng.choice(SPECIALTIES)
    if data["id_number"] and rng.random() < 0.3:
        # A child's 居民身份证 is valid five years.
        issued = date(2022, 1, 1) + timedelta(days=rng.randrange(0, 1400))
        data["id_validity"] = f"{issued:%Y%m%d}-{issued.replace(year=issued.year + 5, day=min(issued.day, 28)):%Y%m%d}"
    data["mailing_address"] = data["address"]
    # A migrant child's family home is where the household is registered.
    data["home_address"] = f"{HOMETOWNS[data['hukou_division_id']]}{rng.choice(['新村', '东屯', '前街'])}{rng.randrange(1, 60)}号" \
        if data["migrant_child"] else data["address"]
    data["phone"] = first["phone"]
    data["postcode"] = POSTCODES[area]  # the pupil lives near the school, in its county
    if rng.random() < 0.06:
        data["email"] = f"{rng.randrange(10**8, 10**10)}@{rng.choice(['qq.com', '163.com', '126.com'])}"
    data["preschool"] = rng.random() < 0.96
    data["martyr_child"] = False
    data["government_place"] = False
    data["needs_aid"] = data["left_behind"] == LeftBehind.BOTH_PARENTS or rng.random() < 0.04
    data["one_subsidy"] = data["boarding"] == Boarding.BOARDING and (data["needs_aid"] or rng.random() < 0.3)
    # County-town pupils live near; a rural school's pupils come from the villages around it.
    near = plan.county_town and grade < 7
    distance = Decimal(str(round(rng.uniform(0.3, 3.0) if near else rng.uniform(0.5, 8.0), 1)))
    data["distance_km"] = distance
    if data["boarding"] == Boarding.BOARDING:
        data["commute_mode"] = CommuteMode.PARENTS
    elif distance < 1:
        data["commute_mode"] = CommuteMode.WALKING
    elif distance <= 2:
        data["commute_mode"] = rng.choice([CommuteMode.WALKING, CommuteMode.BICYCLE, CommuteMode.PARENTS])
    else:
        data["commute_mode"] = rng.choice([CommuteMode.PARENTS, CommuteMode.PUBLIC_TRANSPORT, CommuteMode.SCHOOL_BUS]
                                          if not plan.county_town else [CommuteMode.PARENTS, CommuteMode.PUBLIC_TRANSPORT])
    for guardian in guardians:
        guardian["ethnicity"] = data["ethnicity"]
        guardian["address"] = data["address"]
        if guardian["workplace"] in JOB_TITLES and rng.random() < 0.5:
            guardian["job_title"] = rng.choice(JOB_TITLES[guardian["workplace"]])
        if guardian["workplace"] == "外出务工":
            guardian["address"] = f"长春市朝阳区{rng.choice(['红旗街', '西安大路', '湖西路'])}{rng.randrange(1, 200)}号"
    if guardians[0]["relation"] == GuardianRelation.GRANDMOTHER and rng.random() < 0.25:
        # Some children of parents both away live with another relative: 其他亲属, said who.
        guardians[0]["relation"] = GuardianRelation.OTHER_RELATIVE
        guardians[0]["relation_note"] = rng.choice(OTHER_RELATIVES)
    if len(guardians) == 1 and guardians[0]["relation"] == GuardianRelation.MOTHER and rng.random() < 0.3:
        # A grandfather living with the family: a family member, not the guardian.
        guardians.append({
            "relation": GuardianRelation.GRANDFATHER, "name": data["name"][0] + rng.choice(GIVEN_BOY) + rng.choice(GIVEN_BOY),
            "is_guardian": False, "address": data["address"], "ethnicity": data["ethnicity"],
            "workplace": "退休", "hukou_division_id": data["hukou_division_id"],
        })


def _corrections(school: Unit) -> None:
    """A few corrections by the registrar, so that pupils' pages show a field history."""
    registrar = User.objects.get(username="registrar_a1")
    corrections = [
        ({"address": "农安镇黄龙路18号"}, "家长告知新住址"),
        ({"former_name": "小宝"}, "补录曾用名"),
        ({"health": "20"}, "体检结果更新"),
    ]
    for pupil, (changes, reason) in zip(Pupil.objects.filter(school=school).order_by("grade", "id")[:3], corrections):
        pupil_update(actor=registrar, pupil=pupil, changes=changes, reason=reason)


def _guardians(rng: random.Random, area: str, father_name: str, surname: str, left_behind: str) -> list[dict]:
    father_birth = date(rng.randrange(1982, 1993), rng.randrange(1, 13), rng.randrange(1, 29))
    mother_birth = date(rng.randrange(1984, 1995), rng.randrange(1, 13), rng.randrange(1, 29))
    phone = lambda: "13" + "".join(str(rng.randrange(10)) for _ in range(9))  # noqa: E731
    workplaces = ["务农", "个体经营", "长春市某汽车配件厂", "县人民医院", "县第二建筑公司", "镇农机站", "外出务工"]
    father = {
        "relation": GuardianRelation.FATHER, "name": father_name, "id_type": IdType.RESIDENT_ID,
        "id_number": _id_number(rng, area, father_birth, Gender.MALE), "phone": phone(),
        "workplace": rng.choice(workplaces), "hukou_division_id": area,
    }
    mother = {
        "relation": GuardianRelation.MOTHER, "name": _person_name(rng, Gender.FEMALE), "id_type": IdType.RESIDENT_ID,
        "id_number": _id_number(rng, area, mother_birth, Gender.FEMALE), "phone": phone(),
        "workplace": rng.choice(workplaces), "hukou_division_id": area,
    }
    if left_behind == LeftBehind.BOTH_PARENTS:
        grandma_birth = date(rng.randrange(1955, 1965), rng.randrange(1, 13), rng.randrange(1, 29))
        return [{
            "relation": GuardianRelation.GRANDMOTHER, "name": surname + rng.choice(GIVEN_GIRL) + rng.choice(GIVEN_GIRL),
            "id_type": IdType.RESIDENT_ID, "id_number": _id_number(rng, area, grandma_birth, Gender.FEMALE),
            "phone": phone(), "workplace": "务农", "hukou_division_id": area,
        }]
    return [father, mother] if rng.random() < 0.85 else [mother]


def demo_transfer_sample() -> Pupil | None:
    """A county A pupil with no open request, for trying a transfer into county B."""
    return (
        Pupil.objects.filter(school__code="2122012201", grade=3, status="enrolled")
        .exclude(requests__status="pending").order_by("id").first()
    )
