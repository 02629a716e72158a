"""The pupil's page shows the national 学生基本信息表's 48 items in the national groups and wording,
then the family block (成员1, 成员2), each value as a person reads it; what a role may not see
(xueji.pupils.visibility) is left out."""

import re

from tests.national_pupil import MEMBERS, VALUES, national_pupil
from xueji.pupils.national_form import FAMILY_ITEMS, GROUPS, ITEMS


def _page(world, login, pupil, user: str) -> str:
    return login(world.user(user)).get(f"/pupils/{pupil.pk}/").content.decode()


def _value(body: str, label: str) -> list[str]:
    """The values shown after a label (<dt>label</dt><dd>value</dd>), every place it stands."""
    return re.findall(rf"<dt>{re.escape(label)}</dt><dd[^>]*>([^<]*)</dd>", body)


def test_a_registrar_sees_every_item_with_its_national_label_and_a_value(world, login):
    pupil = national_pupil(world)
    body = _page(world, login, pupil, "registrar_a1")

    for group in GROUPS:
        assert f"<h2>{group}</h2>" in body
    for item in ITEMS:
        values = _value(body, item.label)
        assert values and values[0] not in ("", "—"), item.label
    assert "<h2>家庭成员</h2>" in body and "成员1" in body and "成员2" in body
    for item in FAMILY_ITEMS:
        assert len(_value(body, item.label)) >= 2, item.label  # for both members (姓名 etc. twice)
    # Values as a person reads them: codes' labels, 未填 (not 否) for a yes/no not yet known, km.
    assert _value(body, "政治面貌") == ["群众"]
    assert _value(body, "学生来源") == ["正常入学"]
    assert _value(body, "是否由政府购买学位") == ["未填"]
    assert _value(body, "是否烈士或优抚子女") == ["否"]
    assert _value(body, "是否受过学前教育") == ["是"]
    assert _value(body, "上下学距离") == ["2.5 公里"]
    assert _value(body, "上下学方式") == ["公共交通（含城市公交、农村客运、地铁）"]
    assert _value(body, "是否需要乘坐校车") == ["是"]
    assert _value(body, "入学年月") == ["2024-09"]
    assert _value(body, "照片") == ["未上传"]
    assert _value(body, "是否监护人") == ["是", "否"]
    assert _value(body, "关系说明") == ["生父", "奶奶"]
    assert VALUES["home_address"] in body and MEMBERS[1]["address"] in body


def test_a_head_teacher_sees_the_phone_but_not_the_home_address_nor_the_aid_items(world, login):
    pupil = national_pupil(world)
    body = _page(world, login, pupil, "teacher_a1")

    assert _value(body, "联系电话")[0] == VALUES["phone"] and VALUES["email"] in body
    assert MEMBERS[0]["phone"] in body
    for label in ("家庭地址", "通信地址", "邮政编码", "是否需要申请资助", "是否享受一补", "是否孤儿", "户口所在地"):
        assert not _value(body, label), label
    for key in ("home_address", "mailing_address", "postcode", "hukou_address"):
        assert VALUES[key] not in body, key
    assert MEMBERS[0]["address"] not in body and MEMBERS[0]["id_number"] not in body
    assert "仅学籍管理员、校长和县教育局可见" in body
    # What a head teacher may see is there.
    assert _value(body, "政治面貌") == ["群众"] and _value(body, "上下学距离") == ["2.5 公里"]


def test_a_city_officer_sees_neither_the_phone_nor_the_household(world, login):
    pupil = national_pupil(world)
    body = _page(world, login, pupil, "city_officer")

    assert not _value(body, "联系电话") and VALUES["phone"] not in body and VALUES["email"] not in body
    assert MEMBERS[0]["phone"] not in body and MEMBERS[1]["phone"] not in body
    assert VALUES["home_address"] not in body and not _value(body, "是否需要申请资助")
    assert pupil.id_number not in body


def test_the_record_as_it_stood_on_a_day_shows_the_items_too(world, login):
    pupil = national_pupil(world)
    body = login(world.user("registrar_a1")).get(f"/pupils/{pupil.pk}/?as_of=2099-01-01").content.decode()
    assert _value(body, "上下学距离") == ["2.5 公里"] and _value(body, "班内学号") == ["17"]
