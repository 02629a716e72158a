"""Demo data of enrolment: each county's admission lists for this year's intake, new pupils at
every stage (at A1 some entered and waiting for classes; at B1 a batch the headmaster signed,
waiting for the bureau), and enrolment windows open all year in both demo counties so that the
whole path can be clicked through on any day. Idempotent: nothing is added once any admission
list exists."""

import random
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction

from enrollment.admission.models import AdmissionEntry
from enrollment.intake import services
from enrollment.intake.validation import Intake, IntakeRow
from xueji.accounts.models import BureauSettings, Unit, User
from xueji.approvals.services import request_decide
from xueji.codes import CommuteMode, Gender, GuardianRelation, IdType

# 邮政编码 of the demo's counties (农安县, 榆树市).
POSTCODES = {"220122": "130200", "220182": "130400"}
SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
GIVEN = "子涵梓萱一诺浩然宇航欣怡思远雨桐俊熙若曦嘉懿沐宸语汐"


def _id_number(area: str, birth: date, gender: str, sequence: int) -> str:
    from stdnum.cn import ric

    if (sequence % 2 == 1) != (gender == Gender.MALE):
        sequence += 1
    body = f"{area}{birth:%Y%m%d}{sequence % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _children(rng: random.Random, area: str, year: int, count: int) -> list[IntakeRow]:
    rows = []
    for index in range(count):
        gender = (Gender.MALE, Gender.FEMALE)[index % 2]
        birth = date(year - 7, 9, 1) + timedelta(days=rng.randrange(0, 365))
        surname = rng.choice(SURNAMES)
        data = {
            "name": surname + rng.choice(GIVEN) + rng.choice(GIVEN), "gender": gender, "birth_date": birth,
            "id_type": IdType.RESIDENT_ID, "id_number": _id_number(area, birth, gender, 600 + index * 2),
            "ethnicity": "01", "nationality": "CHN", "overseas_status": "00", "health": "10",
            "hukou_division_id": area, "hukou_type": "1", "address": "演示地址 1 号",
        }
        father = {"relation": GuardianRelation.FATHER, "name": surname + "建军", "id_type": IdType.RESIDENT_ID,
                  "id_number": _id_number(area, date(1990, 3, 3), Gender.MALE, 100 + index * 2), "phone": "13900000000",
                  "workplace": "演示单位", "hukou_division_id": area,
                  "is_guardian": True, "ethnicity": "01", "address": data["address"]}
        if index % 5 == 0:
            father["job_title"] = "职员"
        # The national form's other items, as a registrar enters them (the "不填按…" rules would
        # give the same addresses, phone and 否s; here they are written out).
        # Not drawn from rng: the children's names and numbers stay as they were.
        distance = Decimal(f"{0.3 + index * 37 % 38 / 10:.1f}")
        data |= {
            "political_status": "13", "source": "1",
            "mailing_address": data["address"], "home_address": data["address"], "phone": father["phone"],
            "postcode": POSTCODES[area], "preschool": index % 10 != 3, "martyr_child": False,
            "government_place": False, "needs_aid": index % 13 == 7, "one_subsidy": False,
            "distance_km": distance,
            "commute_mode": CommuteMode.WALKING if distance < 1 else CommuteMode.PARENTS,
        }
        if index % 7 == 2:
            data["specialty"] = ("绘画", "舞蹈", "跳绳")[index % 3]
        rows.append(IntakeRow(row=index + 2, data=data, guardians=[father]))
    return rows


def _open_windows(bureau: Unit) -> None:
    settings, _ = BureauSettings.objects.get_or_create(bureau=bureau)
    settings.enrolment_collect_start = settings.enrolment_submit_start = "01-01"
    settings.enrolment_collect_end = settings.enrolment_submit_end = "12-31"
    settings.save()


def _admit(school: Unit, rows: list[IntakeRow], year: int, officer: User) -> None:
    AdmissionEntry.objects.bulk_create(
        AdmissionEntry(school=school, intake_year=year, name=r.data["name"], gender=r.data["gender"],
                       birth_date=r.data["birth_date"], id_type=r.data["id_type"], id_number=r.data["id_number"],
                       imported_by=officer)
        for r in rows
    )


def load(say) -> None:
    if AdmissionEntry.objects.exists():
        return
    year = services.current_intake_year()
    rng = random.Random(year)
    a1, b1 = Unit.objects.get(code="2122012201"), Unit.objects.get(code="2122018201")
    with transaction.atomic():
        for school in (a1, b1):
            _open_windows(school.supervising_bureau)
        # A1: 40 admitted; 8 already entered in the browser, not yet in classes.
        a1_rows = _children(rng, "220122", year, 40)
        _admit(a1, a1_rows, year, User.objects.get(username="officer_a"))
        registrar = User.objects.get(username="registrar_a1")
        for row in a1_rows[:8]:
            services.entry_save(actor=registrar, school=a1, intake=Intake(a1, year, 1), row=row)
        # B1: 6 admitted, entered, in a new class, submitted and signed: waiting for officer_b.
        b1_rows = _children(rng, "220182", year, 6)
        _admit(b1, b1_rows, year, User.objects.get(username="officer_b"))
        registrar = User.objects.get(username="registrar_b1")
        entries = [services.entry_save(actor=registrar, school=b1, intake=Intake(b1, year, 1), row=row) for row in b1_rows]
        [school_class] = services.classes_create(actor=registrar, school=b1, intake_year=year, grade=1, count=1)
        services.entries_assign(actor=registrar, school=b1, entry_ids=[e.pk for e in entries], school_class=school_class)
        batch = services.batch_submit(actor=registrar, school=b1, intake_year=year, grade=1)
        request_decide(actor=User.objects.get(username="headmaster_b1"), request_id=batch.pk, approve=True, comment="已核对")
    say("  新生建籍：农安县实验小学录取 40 人（已录入 8 人），榆树市实验小学 6 人待教育局审批\n")
