"""The columns of the enrolment template (新生信息采集模板): the national field set, one Column per
field, and the conversion of one row's raw cells into the plain values the rules take.

The template (xlsx_template.py), the reader (xlsx_read.py) and the annotated copy of a refused file
(xlsx_errors.py) all work from COLUMNS, so a header, a drop-down and a filling rule are declared
once. Column keys are the field names of the pupil's data (xueji.pupils.services.PUPIL_DATA_FIELDS)
and, for guardians, ``guardian1_name`` etc.: the keys under which xueji.pupils.rules reports its
errors, so a rule's error lands on the right cell without a mapping table.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any

from xueji.codes import (
    Boarding,
    CommuteMode,
    Disability,
    DisabilityPlacement,
    EntryMode,
    Ethnicity,
    Gender,
    GuardianRelation,
    Health,
    HukouType,
    IdType,
    LeftBehind,
    OverseasStatus,
    PoliticalStatus,
    PupilSource,
    nationality_choices,
)
from xueji.pupils.national_form import FAMILY_ITEMS, FAMILY_MEMBERS, ITEMS, ITEMS_BY_KEY

TEXT, DATE, MONTH, CODE, BOOL, DIVISION, DECIMAL = "text", "date", "month", "code", "bool", "division", "decimal"
GUARDIAN_COUNT = FAMILY_MEMBERS
# The column an annotated copy of a refused file carries at the end (xlsx_errors.py); the reader
# ignores it, so the corrected copy can be uploaded again as it is.
ERROR_COLUMN_HEADER = "错误说明"
# A family member's fields, in the national form's order (the keys of xueji.pupils.rules.GUARDIAN_FIELDS
# and the other items of the family block).
GUARDIAN_KEYS = tuple(item.key for item in FAMILY_ITEMS)


@dataclass(frozen=True)
class Column:
    """One column of the template.

    ``codes`` is the code table of a coded column (a TextChoices class or a function returning
    (code, label) pairs); ``id_number`` marks the columns whose digits Excel must never turn into
    a number (a float keeps 15 significant digits, an 18-digit ID number needs all 18);
    ``aliases`` are other headers accepted on upload (earlier templates' wording); ``item`` is the
    number of the national form's item (xueji.pupils.national_form), None for the family block and
    for 户籍地址, which is ours."""

    key: str
    header: str
    kind: str = TEXT
    required: bool = False
    codes: Any = None
    width: int = 14
    note: str = ""
    id_number: bool = False
    aliases: tuple[str, ...] = ()
    item: int | None = None

    @cached_property
    def guardian_position(self) -> int | None:
        match = re.fullmatch(r"guardian(\d)_.+", self.key)
        return int(match.group(1)) if match else None

    @cached_property
    def field_name(self) -> str:
        """The key inside the pupil's data or the guardian's dict."""
        return self.key.split("_", 1)[1] if self.guardian_position else self.key

    @property
    def national_required(self) -> bool:
        """★ in the national system (the import may still fill it in by a rule when left blank)."""
        if self.guardian_position:
            return any(item.key == self.field_name and item.required for item in FAMILY_ITEMS)
        return self.item is not None and ITEMS[self.item - 1].required

    def choices(self) -> list[tuple[str, str]]:
        if self.kind == BOOL:
            return [("1", "是"), ("0", "否")]
        if self.codes is None:
            return []
        # A TextChoices class, or a function for tables too long to spell out (nationalities).
        return list(self.codes.choices) if isinstance(self.codes, type) else list(self.codes())

    def options(self) -> list[str]:
        """What the drop-down offers: "01 汉族" (code and label, so a reader of the sheet sees both),
        a label alone where the code is empty (不适用), 是/否 for yes-no columns."""
        if self.kind == BOOL:
            return ["是", "否"]
        return [f"{code} {label}" if code else label for code, label in self.choices()]

    @property
    def display_header(self) -> str:
        """The header as the template shows it: required columns start with "*"."""
        return f"*{self.header}" if self.required else self.header


def _item(key: str) -> int:
    return ITEMS_BY_KEY[key].number


def _label(key: str) -> str:
    return ITEMS_BY_KEY[key].label


def _guardian_columns(position: int) -> list[Column]:
    first = position == 1
    prefix = f"成员{position}"
    earlier = f"监护人{position}"  # the wording of the templates before 2027
    when = ("第一位家庭成员一般是监护人，必填" if first else
            "有第二位家庭成员时填写；是监护人的，本组的必填项都要填写；没有则整组留空")
    guardian_when = f"是监护人的必填（{when}）"

    def column(key, kind=TEXT, required=False, codes=None, width=14, note="", id_number=False):
        label = next(item.label for item in FAMILY_ITEMS if item.key == key)
        return Column(f"guardian{position}_{key}", f"{prefix}{label}", kind, required, codes, width, note,
                      id_number, aliases=(f"{earlier}{label}",))

    return [
        column("relation", CODE, first, GuardianRelation, 12, f"与学生的关系（GB/T 4761），从下拉列表选择。{when}。"),
        column("name", TEXT, first, width=12, note=f"家庭成员的姓名。{when}。"),
        column("relation_note", width=14, note="关系是“其他亲属”“非亲属”时，写明具体关系，如“姑父”。"),
        column("address", width=30, note="家庭成员现在居住的地址；不填按学生的现住址。"),
        column("hukou_division_id", DIVISION, first, width=14,
               note=f"户口所在地的行政区划代码，6 位或 12 位数字，如 220122。{guardian_when}。"),
        column("phone", TEXT, first, width=15,
               note=f"手机号或带区号的固定电话，如 13800138000、0431-12345678。{guardian_when}。"),
        column("is_guardian", BOOL, width=10, note="是否为学生的监护人；不填按“是”。至少要有一位家庭成员是监护人。"),
        column("id_type", CODE, first, IdType, 18, f"有效身份证件类型，监护人不能选“无身份证件”。{guardian_when}。"),
        column("id_number", TEXT, first, width=22, id_number=True,
               note=f"证件号码，按文本填写（本列已设为文本格式）。{guardian_when}。"),
        column("ethnicity", CODE, codes=Ethnicity, width=12, note="从下拉列表选择（GB 3304）。"),
        column("workplace", TEXT, first, width=24, note=f"工作单位名称；务农、无业等如实填写。{guardian_when}。"),
        column("job_title", width=12, note="在工作单位的职务；没有则不填。"),
    ]


COLUMNS: list[Column] = [
    # 基本信息
    Column("name", "姓名", TEXT, True, width=12, item=1,
           note="与户口簿一致的中文姓名，可含“·”；除外籍学生外不得使用外文字母。"),
    Column("gender", "性别", CODE, True, Gender, 8, "从下拉列表选择；也可填 1（男）、2（女）。", item=2),
    Column("birth_date", "出生日期", DATE, True, width=13, item=3,
           note="如 2020-05-01（也可写 2020/5/1 或 20200501）；持居民身份证的须与证件号中的出生日期一致。"),
    Column("birthplace_id", "出生地", DIVISION, width=12, item=4,
           note="出生地的行政区划代码，6 位或 12 位数字，如 220122。", aliases=("出生地行政区划代码",)),
    Column("native_place_id", "籍贯", DIVISION, width=12, note="籍贯的行政区划代码，6 位或 12 位数字。", item=5),
    Column("ethnicity", "民族", CODE, True, Ethnicity, 12, "从下拉列表选择（GB 3304），如“01 汉族”。", item=6),
    Column("nationality", "国籍/地区", CODE, True, nationality_choices, 16,
           "从下拉列表选择（GB/T 2659），如“CHN 中国”。", item=7),
    Column("id_type", "身份证件类型", CODE, True, IdType, 18, item=8,
           note="从下拉列表选择；没有户籍、没有任何身份证件的学生选“无身份证件”，并填写监护人的居民身份证号。"),
    Column("id_number", "身份证件号", TEXT, width=22, id_number=True, item=9,
           note="学生本人的证件号码，不得填写监护人的号码；按文本填写（本列已设为文本格式），"
                "末位 X 用大写。证件类型为“无身份证件”时不填。"),
    Column("overseas_status", "港澳台侨外", CODE, True, OverseasStatus, 14, "从下拉列表选择；一般学生选“00 否”。", item=10),
    Column("political_status", "政治面貌", CODE, codes=PoliticalStatus, width=12, item=11,
           note="从下拉列表选择（GB/T 4762）；小学生和一般初中生选“13 群众”，不填按“群众”。"),
    Column("health", "健康状况", CODE, True, Health, 14, "从下拉列表选择。", item=12),
    # 辅助信息
    Column("former_name", "曾用名", TEXT, width=12, note="没有则不填。", item=15),
    Column("id_validity", "身份证件有效期", TEXT, width=20, item=16,
           note="证件上的有效期限，如 20200601-20250601；长期有效的写 20200601-长期。没有证件的不填。"),
    Column("hukou_division_id", "户口所在地", DIVISION, width=12, item=17,
           note="户口所在地的行政区划代码，6 位或 12 位数字；无户籍的学生不填。",
           aliases=("户口所在地行政区划",)),
    Column("hukou_type", "户口性质", CODE, codes=HukouType, width=12, note="从下拉列表选择；无户籍的学生不填。", item=18),
    Column("hukou_address", "户籍地址", TEXT, width=30, note="户口簿上的地址（全国表“户口所在地”填写到门牌号的部分）。"),
    Column("specialty", "特长", TEXT, width=16, note="学生的特长，如“书法”“长跑”；没有则不填。", item=19),
    # 学籍信息
    Column("auxiliary_number", "学籍辅号", TEXT, width=16, item=20,
           note="本省地方系统的学生编号，省里要求时填写；没有则不填。"),
    Column("class_number", "班内学号", TEXT, width=10, item=21, note="学生在班级内的编号，如 01；分班后再填也可以。"),
    Column("entry_date", "入学年月", MONTH, width=11, note="如 2026-09（也可写 202609）；不填按当年 9 月 1 日。", item=24),
    Column("entry_mode", "入学方式", CODE, codes=EntryMode, width=14, note="从下拉列表选择；不填按“就近入学”。", item=25),
    Column("boarding", "就读方式", CODE, codes=Boarding, width=10, note="走读或住校；不填按“走读”。", item=26),
    Column("source", "学生来源", CODE, codes=PupilSource, width=12, item=27,
           note="义务教育阶段：1 正常入学、9 其他；不填按“正常入学”。"),
    # 联系信息
    Column("address", "现住址", TEXT, width=30, note="现在居住的地址，具体到村（社区）和门牌号。", item=28),
    Column("mailing_address", "通信地址", TEXT, width=30, item=29, note="可以联系到学生的地址；不填按现住址。"),
    Column("home_address", "家庭地址", TEXT, width=30, item=30, note="学生家庭的地址；不填按现住址。"),
    Column("phone", "联系电话", TEXT, width=15, item=31,
           note="家庭的手机号或带区号的固定电话；不填按第一位家庭成员的联系电话。"),
    Column("postcode", "邮政编码", TEXT, width=10, item=32, note="学生现住地的邮政编码，6 位数字，如 130200。"),
    Column("email", "电子信箱", TEXT, width=20, item=33, note="如 name@example.com；没有则不填。"),
    Column("homepage", "主页地址", TEXT, width=20, item=34, note="没有则不填。"),
    # 扩展信息
    Column("only_child", "是否独生子女", BOOL, width=10, note="填“是”或“否”；不填按“否”。", item=35),
    Column("preschool", "是否受过学前教育", BOOL, width=10, item=36,
           note="小学新生入学前是否上过幼儿园或学前班，填“是”或“否”；不填按“否”。"),
    Column("left_behind", "是否留守儿童", CODE, codes=LeftBehind, width=14, item=37,
           note="父母一方或双方外出务工三个月以上、由其他亲属监护的为留守儿童；不填按“非留守儿童”。"),
    Column("migrant_child", "是否进城务工人员随迁子女", BOOL, width=12, note="填“是”或“否”；不填按“否”。", item=38),
    Column("orphan", "是否孤儿", BOOL, width=10, note="以民政部门的认定为准，填“是”或“否”；不填按“否”。", item=39),
    Column("martyr_child", "是否烈士或优抚子女", BOOL, width=10, item=40,
           note="以有认定资格的部门出具的证明为准，填“是”或“否”；不填按“否”。"),
    Column("disability_placement", "随班就读", CODE, codes=DisabilityPlacement, width=16, item=41,
           note="残疾学生必填：随班就读、送教上门或特殊教育学校就读；其他学生不填。",
           aliases=("残疾学生就读方式",)),
    Column("disability", "残疾人类型", CODE, codes=Disability, width=12, note="从下拉列表选择；不填按“无残疾”。",
           aliases=("残疾类型",), item=42),
    Column("government_place", "是否由政府购买学位", BOOL, width=10, item=43,
           note="在民办学校就读、由政府出资购买学位的填“是”；不填按“否”。"),
    Column("needs_aid", "是否需要申请资助", BOOL, width=10, item=44,
           note="家庭经济困难需要申请资助的填“是”（建档立卡家庭、低保家庭、特困供养、孤儿、残疾学生、"
                "烈士子女及其他家庭经济困难学生）；不填按“否”。"),
    Column("one_subsidy", "是否享受一补", BOOL, width=10, item=45,
           note="享受家庭经济困难寄宿生生活补助（一补）的填“是”；不填按“否”。"),
    # 交通方式
    Column("distance_km", "上下学距离", DECIMAL, width=10, item=46, note="家到学校的距离，单位公里，如 2.5。"),
    Column("commute_mode", "上下学方式", CODE, codes=CommuteMode, width=16, item=47, note="从下拉列表选择。"),
    Column("school_bus", "是否需要乘坐校车", BOOL, width=10, item=48,
           note="填“是”或“否”；不填时按上下学距离：超过 2 公里为“是”。"),
    *(column for position in range(1, GUARDIAN_COUNT + 1) for column in _guardian_columns(position)),
]
COLUMNS_BY_KEY: dict[str, Column] = {column.key: column for column in COLUMNS}
assert all(column.header == _label(column.key) for column in COLUMNS if column.item), "national wording"

# Required columns whose emptiness xueji.pupils.rules already reports (a 居民身份证 number gives the
# gender and birth date, guardians are checked as a whole): the conversion leaves them to the rules
# so that a row does not get the same complaint twice.
PRESENCE_CHECKED_BY_RULES = {"name", "gender", "birth_date", "id_type"} | {
    f"guardian{position}_{key}" for position in range(1, GUARDIAN_COUNT + 1) for key in GUARDIAN_KEYS
}
# "不填按否": the yes-no items the national system requires, blank in a row, are 否 (the record keeps
# None only for older records that never asked).
FALSE_WHEN_BLANK = ("preschool", "martyr_child", "government_place", "needs_aid", "one_subsidy")


def normalize_header(text: Any) -> str:
    """A header as typed, compared without the required mark and without any spaces or line breaks."""
    if text is None:
        return ""
    return re.sub(r"\s+", "", str(text)).lstrip("*＊★").rstrip("*＊★")


HEADER_TO_KEY: dict[str, str] = {
    normalize_header(name): column.key for column in COLUMNS for name in (column.header, *column.aliases)
}


# --- one row's raw cells → plain values ----------------------------------------------------------

class CellError(ValueError):
    """A cell whose content cannot be read as what its column holds; the message is for the user."""


def row_to_new_pupil_data(values: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    """Turn one row's raw cell values (column key → what the reader found: str, int, float, bool,
    date, datetime or None) into the plain values the rules take.

    Returns ``(data, guardians, cell_errors)``: ``data`` holds the pupil's fields (only those filled
    in, so the model's defaults apply to the rest) plus ``entry_date`` when given — the import puts
    that on NewPupil, not in the data; ``guardians`` one dict per guardian filled in (the first is
    kept, even empty, when only the second is filled, so that errors land on the right columns);
    ``cell_errors`` column key → message for the cells that could not be read. A key in
    ``cell_errors`` is missing from the data: the caller should not also show the rules' complaint
    about that same key."""
    data: dict[str, Any] = {}
    guardian_values: list[dict[str, Any]] = [{} for _ in range(GUARDIAN_COUNT)]
    errors: dict[str, str] = {}
    last_guardian = 0
    # 69 columns × 5,000 rows in a big file: the loop's own steps count (one strip, no max()).
    for key, column, converter, position, name, missing in _ROW_PLAN:
        raw = values.get(key)
        if raw.__class__ is str:
            raw = raw.strip()
        if raw is None or raw == "":
            if missing:
                errors[key] = missing
            continue
        try:
            value = converter(column, raw)
        except CellError as error:
            errors[key] = str(error)
            value = None
        if position:
            # A guardian with any cell filled in (readable or not) is a guardian the row gives.
            if position > last_guardian:
                last_guardian = position
            if value is not None:
                guardian_values[position - 1][name] = value
        elif value is not None:
            data[name] = value
    _fill_blanks(data, guardian_values, errors)
    return data, guardian_values[:last_guardian], errors


def _fill_blanks(data: dict[str, Any], guardians: list[dict[str, Any]], errors: dict[str, str]) -> None:
    """The template's "不填按…" rules for the national form's contact and extended items: the mailing
    and home address (and a family member's) are the current address, the phone is the first
    family member's, the yes-no
    items are 否 (48 follows from 46 in the rules, xueji.pupils.rules)."""
    for key in ("mailing_address", "home_address"):
        if key not in data and key not in errors and data.get("address"):
            data[key] = data["address"]
    for guardian in guardians:
        if guardian and not guardian.get("address") and data.get("address"):
            guardian["address"] = data["address"]
    if "phone" not in data and "phone" not in errors and guardians and guardians[0].get("phone"):
        data["phone"] = guardians[0]["phone"]
    for key in FALSE_WHEN_BLANK:
        if key not in errors:
            data.setdefault(key, False)


def _integral(value: Any) -> int | None:
    """The integer a numeric cell holds, None for anything else (bool is not a number here)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _shown(value: Any) -> str:
    """A raw value as the user saw it in the sheet, for messages."""
    if isinstance(value, float) and value.is_integer() and abs(value) >= 1e15:
        return f"{value:.14E}"  # as Excel shows it: 1.10101201505011E+17
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _text(column: Column, raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    number = _integral(raw)
    if column.id_number and (number is not None or isinstance(raw, float)):
        # Excel keeps 15 significant digits of a number and drops leading zeros: an ID number that
        # became a number has lost digits we cannot get back.
        raise CellError(
            f"{column.header}“{_shown(raw)}”被 Excel 存成了数字，末尾或开头的数字可能已经丢失；"
            "请把该列设为文本格式后重新输入完整的号码。"
        )
    if column.key.endswith("phone") and number is not None:
        digits = str(number)
        if re.fullmatch(r"1\d{10}", digits):  # a mobile number survives being a number
            return digits
        raise CellError(f"{column.header}“{digits}”被存成了数字，开头的 0 可能已经丢失；请按文本重新输入（如 0431-12345678）。")
    if number is not None:
        return str(number)
    if isinstance(raw, (date, datetime)):
        raise CellError(f"{column.header}“{_shown(raw)}”被 Excel 识别成了日期，请按文本重新输入。")
    return _shown(raw)


# 2020-05-01, 2020/5/1, 2020.5.1, 2020年5月1日; a time of day after it (a pasted datetime) is ignored.
_DATE_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?")
_MONTH_TEXT = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?")


def _date(column: Column, raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _shown(raw) if not isinstance(raw, str) else raw
    match = _DATE_TEXT.fullmatch(text)
    parts = match.groups() if match else None
    if parts is None and re.fullmatch(r"\d{8}", text):
        parts = (text[:4], text[4:6], text[6:])
    if parts is not None:
        try:
            return date(*(int(part) for part in parts))
        except ValueError:
            pass
    raise CellError(f"{column.header}“{text}”不是有效日期，请按 2020-05-01 的格式填写。")


def _month(column: Column, raw: Any) -> date:
    """入学年月: a year and month (the first of the month), or a full date."""
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    text = _shown(raw) if not isinstance(raw, str) else raw
    match = _MONTH_TEXT.fullmatch(text)
    parts = match.groups() if match else None
    if parts is None and re.fullmatch(r"\d{6}", text):
        parts = (text[:4], text[4:])
    if parts is not None:
        try:
            return date(int(parts[0]), int(parts[1]), 1)
        except ValueError:
            pass
    try:
        return _date(column, text)
    except CellError:
        raise CellError(f"{column.header}“{text}”不是有效的年月，请按 2026-09 的格式填写。") from None


def _division(column: Column, raw: Any) -> str:
    """A GB/T 2260 code: 6 digits, or the 12-digit statistical code whose first 6 are the county's.
    Whether the code exists is the rules' business (they know the division table)."""
    number = _integral(raw)
    text = str(number) if number is not None else _shown(raw) if not isinstance(raw, str) else raw
    # "220122 农安县": the code of a code-and-name cell.
    match = re.match(r"(\d+)(?:\s+\S.*)?$", text)
    digits = match.group(1) if match else ""
    if len(digits) == 12:
        return digits[:6]
    if len(digits) == 6:
        return digits
    raise CellError(f"{column.header}“{text}”不是行政区划代码，请填写 6 位或 12 位数字代码（如 220122）。")


def _decimal(column: Column, raw: Any) -> str:
    """A number of kilometres, as text for the rules ("2.5"); "2.5公里", "2.5km" accepted."""
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return _shown(raw) if not isinstance(raw, float) or raw.is_integer() else repr(raw)
    text = str(raw).strip()
    match = re.fullmatch(r"(\d+(?:\.\d+)?)\s*(?:公里|千米|km|KM)?", text)
    if not match:
        raise CellError(f"{column.header}“{text}”应填公里数，如 2.5。")
    return match.group(1)


_YES = {"是", "1", "y", "yes", "true", "√"}
_NO = {"否", "0", "n", "no", "false", "×"}
# What the drop-down writes, answered at once: eleven yes-no cells a row.
_DROP_DOWN = {"是": True, "否": False}


def _bool(column: Column, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw.__class__ is str and raw in _DROP_DOWN:
        return _DROP_DOWN[raw]
    text = str(_integral(raw)) if _integral(raw) is not None else str(raw).strip()
    # "1 是" / "0 否", as a code-and-label cell would be written.
    first = text.split()[0].lower() if text.split() else ""
    last = text.split()[-1].lower() if text.split() else ""
    if first in _YES and last in _YES:
        return True
    if first in _NO and last in _NO:
        return False
    raise CellError(f"{column.header}“{text}”应填“是”或“否”。")


@dataclass
class _CodeLookup:
    """Code, "code label" or label → code, for one code table. Built once per table."""

    by_code: dict[str, str] = field(default_factory=dict)
    by_label: dict[str, str] = field(default_factory=dict)
    by_option: dict[str, str] = field(default_factory=dict)
    width: int = 0


_LOOKUPS: dict[Any, _CodeLookup] = {}
# Words people write for a label (the table's own label is always accepted).
_LABEL_ALIASES: dict[Any, dict[str, str]] = {
    IdType: {"身份证": "1", "居民身份证号": "1", "无": "N", "无证件": "N"},
    PoliticalStatus: {"中国共产主义青年团团员": "03", "团员": "03"},
    CommuteMode: {"自行车": "2", "电动自行车": "2", "公交": "3", "公共交通": "3", "家长接送": "4"},
    Health: {"健康": "10", "良好": "10"},
    Disability: {"无": "0", "否": "0"},
    HukouType: {"农业": "1", "非农业": "2", "非农": "2"},
    Boarding: {"住宿": "2"},
    LeftBehind: {"否": "0", "非留守": "0", "单亲留守": "1", "双亲留守": "2"},
    OverseasStatus: {"无": "00"},
}


def _lookup(column: Column) -> _CodeLookup:
    table = column.codes
    if table not in _LOOKUPS:
        lookup = _CodeLookup()
        for (code, label), option in zip(column.choices(), column.options(), strict=True):
            lookup.by_option[option] = code
            lookup.by_code[code.upper()] = code
            lookup.by_label[label] = code
            if column.codes is Ethnicity and label.endswith("族"):
                lookup.by_label.setdefault(label[:-1], code)  # "汉" for 汉族
        for alias, code in _LABEL_ALIASES.get(table, {}).items():
            lookup.by_label.setdefault(alias, code)
        lookup.width = max((len(code) for code in lookup.by_code), default=0)
        _LOOKUPS[table] = lookup
    return _LOOKUPS[table]


def _code(column: Column, raw: Any) -> str:
    lookup = _lookup(column)
    if raw.__class__ is str and raw in lookup.by_option:  # what the drop-down writes
        return lookup.by_option[raw]
    number = _integral(raw)
    text = str(number) if number is not None else str(raw).strip()
    if text.upper() in lookup.by_code:
        return lookup.by_code[text.upper()]
    # A code typed as a number, or into a General cell, loses its leading zero: 1 for "01 汉族".
    if text.isdigit() and text.zfill(lookup.width) in lookup.by_code:
        return lookup.by_code[text.zfill(lookup.width)]
    if text in lookup.by_label:
        return lookup.by_label[text]
    # "01 汉族", "01-汉族", "CHN中国": a code followed by its own label.
    match = re.fullmatch(r"([0-9A-Za-z]+)[\s\-_:：.、]*(.+)", text)
    if match:
        code = lookup.by_code.get(match.group(1).upper())
        if code is not None and lookup.by_label.get(match.group(2).strip()) == code:
            return code
    raise CellError(f"{column.header}“{text}”不是有效的选项，请从下拉列表中选择。")


_CONVERTERS: dict[str, Callable[[Column, Any], Any]] = {
    TEXT: _text,
    DATE: _date,
    MONTH: _month,
    CODE: _code,
    BOOL: _bool,
    DIVISION: _division,
    DECIMAL: _decimal,
}
# What row_to_new_pupil_data does per column, worked out once: (column key, column, converter,
# guardian position or None, key in the data or guardian dict, the message when empty or None).
_ROW_PLAN = [
    (
        column.key,
        column,
        _CONVERTERS[column.kind],
        column.guardian_position,
        column.field_name,
        f"请填写{column.header}。" if column.required and column.key not in PRESENCE_CHECKED_BY_RULES else None,
    )
    for column in COLUMNS
]
