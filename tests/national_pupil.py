"""A pupil with every one of the national form's 48 items and both family members' 12 items
filled, each with a value of its own that a test can look for (tests of the pupil's page and of
the printed 学生基本信息表 and 学籍卡)."""

from decimal import Decimal

from tests.factories import guardian_data, make_pupil
from xueji.codes import CommuteMode, GuardianRelation, PoliticalStatus, PupilSource

# The values a reader finds on the page or the paper, by item key.
VALUES = {
    "political_status": PoliticalStatus.MASSES,
    "id_validity": "20200601-20300601",
    "specialty": "书法围棋",
    "auxiliary_number": "FH0042",
    "class_number": "17",
    "source": PupilSource.NORMAL,
    "mailing_address": "农安镇通信路8号",
    "home_address": "农安镇家园路9号",
    "phone": "13612345678",
    "postcode": "130200",
    "email": "zxm@example.com",
    "homepage": "https://zxm.example.com",
    "preschool": True,
    "martyr_child": False,
    "government_place": None,  # not yet known: 未填
    "needs_aid": True,
    "one_subsidy": False,
    "distance_km": Decimal("2.5"),
    "commute_mode": CommuteMode.PUBLIC_TRANSPORT,
    "school_bus": True,
    "former_name": "张明明",
    "hukou_address": "农安镇户籍街3号",
    "disability": "1",
    "disability_placement": "1",
    "left_behind": "1",
    "migrant_child": True,
    "only_child": True,
    "orphan": False,
    "health": "20",
}
MEMBERS = [
    guardian_data(name="张建国", phone="13911112222", workplace="农安县供电局", relation_note="生父", is_guardian=True,
                  address="农安镇父亲路1号", ethnicity="01", job_title="科长"),
    guardian_data(relation=GuardianRelation.GRANDMOTHER, name="刘桂兰", phone="13933334444", workplace="退休",
                  relation_note="奶奶", is_guardian=False, address="农安镇奶奶路2号", ethnicity="02", job_title="无"),
]


def national_pupil(world, **overrides):
    """张小明's classmate 张全填 of A1-3(1), every item filled."""
    pupil = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="张全填",
                       guardians=[dict(m) for m in MEMBERS], **{**VALUES, **overrides})
    return pupil
