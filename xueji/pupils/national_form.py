"""The national 学生基本信息表 (全国中小学生学籍信息管理系统): its 48 numbered items and its family
block, in the national order, with the national wording, the ★ of the items the national system
requires and the groups the form prints them in.

This is the one list of where the national form's items live. The enrolment template's columns
(enrollment.intake.columns), the browser entry form, the pupil's page, the printed 学生基本信息表,
the national export and the readiness check take their order and wording from here; the test that
walks the 48 items (tests/xueji/pupils/test_national_form.py) checks that each of them finds every
item.

``key`` is the item's field on xueji.pupils.models.Pupil (``*_id`` for a division), or, for the
three items the record keeps elsewhere: ``photo`` (the photo file), ``grade`` and ``school_class``
(the pupil's class). The family block's keys are fields of xueji.pupils.models.Guardian.
"""

from dataclasses import dataclass

BASIC, AUXILIARY, STATUS, CONTACT, EXTENDED, TRANSPORT, FAMILY = (
    "基本信息", "辅助信息", "学籍信息", "联系信息", "扩展信息", "交通方式", "家庭成员",
)
GROUPS = (BASIC, AUXILIARY, STATUS, CONTACT, EXTENDED, TRANSPORT)


@dataclass(frozen=True)
class Item:
    number: int
    label: str
    key: str
    required: bool
    group: str

    @property
    def numbered_label(self) -> str:
        """"1.姓名★", as the national form prints it."""
        return f"{self.number}.{self.label}{'★' if self.required else ''}"


@dataclass(frozen=True)
class FamilyItem:
    label: str
    key: str
    required: bool


def _items(group: str, *rows: tuple[int, str, str, bool]) -> list[Item]:
    return [Item(number, label, key, required, group) for number, label, key, required in rows]


ITEMS: list[Item] = [
    *_items(
        BASIC,
        (1, "姓名", "name", True),
        (2, "性别", "gender", True),
        (3, "出生日期", "birth_date", True),
        (4, "出生地", "birthplace_id", True),
        (5, "籍贯", "native_place_id", True),
        (6, "民族", "ethnicity", True),
        (7, "国籍/地区", "nationality", True),
        (8, "身份证件类型", "id_type", True),
        (9, "身份证件号", "id_number", False),
        (10, "港澳台侨外", "overseas_status", True),
        (11, "政治面貌", "political_status", True),
        (12, "健康状况", "health", True),
        (13, "照片", "photo", False),
    ),
    *_items(
        AUXILIARY,
        (14, "姓名拼音", "pinyin", False),
        (15, "曾用名", "former_name", False),
        (16, "身份证件有效期", "id_validity", False),
        (17, "户口所在地", "hukou_division_id", True),
        (18, "户口性质", "hukou_type", True),
        (19, "特长", "specialty", False),
    ),
    *_items(
        STATUS,
        (20, "学籍辅号", "auxiliary_number", False),
        (21, "班内学号", "class_number", False),
        (22, "年级", "grade", True),
        (23, "班级", "school_class", True),
        (24, "入学年月", "entry_date", True),
        (25, "入学方式", "entry_mode", True),
        (26, "就读方式", "boarding", True),
        (27, "学生来源", "source", True),
    ),
    *_items(
        CONTACT,
        (28, "现住址", "address", True),
        (29, "通信地址", "mailing_address", True),
        (30, "家庭地址", "home_address", True),
        (31, "联系电话", "phone", True),
        (32, "邮政编码", "postcode", True),
        (33, "电子信箱", "email", False),
        (34, "主页地址", "homepage", False),
    ),
    *_items(
        EXTENDED,
        (35, "是否独生子女", "only_child", True),
        (36, "是否受过学前教育", "preschool", True),
        (37, "是否留守儿童", "left_behind", True),
        (38, "是否进城务工人员随迁子女", "migrant_child", True),
        (39, "是否孤儿", "orphan", True),
        (40, "是否烈士或优抚子女", "martyr_child", True),
        (41, "随班就读", "disability_placement", True),
        (42, "残疾人类型", "disability", False),
        (43, "是否由政府购买学位", "government_place", True),
        (44, "是否需要申请资助", "needs_aid", True),
        (45, "是否享受一补", "one_subsidy", True),
    ),
    *_items(
        TRANSPORT,
        (46, "上下学距离", "distance_km", False),
        (47, "上下学方式", "commute_mode", False),
        (48, "是否需要乘坐校车", "school_bus", False),
    ),
]
ITEMS_BY_KEY: dict[str, Item] = {item.key: item for item in ITEMS}
assert [item.number for item in ITEMS] == list(range(1, 49))

# The family block (成员1, 成员2), in the national order.
FAMILY_ITEMS: list[FamilyItem] = [
    FamilyItem("关系", "relation", True),
    FamilyItem("姓名", "name", True),
    FamilyItem("关系说明", "relation_note", False),
    FamilyItem("现住址", "address", True),
    FamilyItem("户口所在地", "hukou_division_id", True),
    FamilyItem("联系电话", "phone", True),
    FamilyItem("是否监护人", "is_guardian", True),
    FamilyItem("身份证件类型", "id_type", False),
    FamilyItem("身份证件号", "id_number", False),
    FamilyItem("民族", "ethnicity", False),
    FamilyItem("工作单位", "workplace", False),
    FamilyItem("职务", "job_title", False),
]
FAMILY_MEMBERS = 2
# Items that are not columns of the enrolment template, and why (the template's 填写说明 says so).
NOT_IN_TEMPLATE = {
    "photo": "照片在“照片导入”中另行上传。",
    "pinyin": "由系统根据姓名自动生成。",
    "grade": "上传文件时选择年级。",
    "school_class": "学籍建立后在“分班”中编入班级。",
}


def grouped_items() -> list[tuple[str, list[Item]]]:
    """The items in the national form's groups, in order."""
    return [(group, [item for item in ITEMS if item.group == group]) for group in GROUPS]


def member_header(position: int, item: FamilyItem) -> str:
    """"成员1关系": the header of a family member's item in the national template."""
    return f"成员{position}{item.label}"
