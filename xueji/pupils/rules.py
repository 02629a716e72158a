"""The rules a pupil's record must satisfy, as pure functions over plain data.

Every path that writes a pupil (the services, the enrolment import, the browser form) uses these,
so the same input gets the same errors everywhere. Errors are a ValidationError keyed by field,
with messages in Chinese.
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email
from django.utils import timezone

from xueji.codes import (
    GB11643_ID_TYPES,
    SCHOOL_BUS_DISTANCE_KM,
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
from xueji.collation import name_fields
from xueji.identity import (
    certainly_past,
    check_id_document,
    check_id_matches,
    check_pupil_name,
    is_foreign,
    normalize_name,
    read_id_document,
)

CODED_FIELDS = {
    "gender": Gender,
    "ethnicity": Ethnicity,
    "id_type": IdType,
    "overseas_status": OverseasStatus,
    "health": Health,
    "hukou_type": HukouType,
    "disability": Disability,
    "disability_placement": DisabilityPlacement,
    "entry_mode": EntryMode,
    "boarding": Boarding,
    "left_behind": LeftBehind,
    "political_status": PoliticalStatus,
    "source": PupilSource,
    "commute_mode": CommuteMode,
}
REQUIRED_PUPIL_FIELDS = {"name": "姓名", "gender": "性别", "birth_date": "出生日期", "id_type": "身份证件类型"}
GUARDIAN_FIELDS = {
    "relation": "关系",
    "name": "姓名",
    "id_type": "身份证件类型",
    "id_number": "身份证件号",
    "phone": "联系电话",
    "workplace": "工作单位",
    "hukou_division_id": "户口所在地",
}
# Fields holding a division code (GB/T 2260).
DIVISION_FIELDS = {"birthplace_id": "出生地", "native_place_id": "籍贯", "hukou_division_id": "户口所在地"}
# The codes of each table, as sets: a choices class builds its ``values`` list anew on every access
# (tens of µs, fifteen times a row of an import), and the tables are fixed in the code.
CODE_VALUES = {field: frozenset(code_table.values) for field, code_table in CODED_FIELDS.items()}
ID_TYPE_CODES = frozenset(IdType.values)
RELATION_CODES = frozenset(GuardianRelation.values)
ETHNICITY_CODES = frozenset(Ethnicity.values)
# A family member who is not a guardian (是否监护人: 否) needs only these.
MEMBER_REQUIRED_FIELDS = ("relation", "name")


def _is_code(value: Any, codes: frozenset) -> bool:
    """``value in codes``, and False (not TypeError) for a value that cannot be hashed, as the
    lists these sets replace answered for a list or a dict sent to the API."""
    try:
        return value in codes
    except TypeError:
        return False


@lru_cache(maxsize=1)
def nationality_codes() -> frozenset[str]:
    return frozenset(code for code, _ in nationality_choices())


def _add(errors: dict[str, list[ValidationError]], field: str, error: ValidationError | str) -> None:
    if isinstance(error, str):
        error = ValidationError(error)
    errors.setdefault(field, []).extend(error.error_list)


def clean_pupil_identity(data: dict[str, Any]) -> dict[str, Any]:
    """Check and normalise a pupil's identity fields: required fields, code values, the name,
    the ID number and its agreement with gender and birth date. For a 居民身份证 the gender and
    birth date are taken from the number when they are not given.

    Returns the cleaned data; raises ValidationError({field: [...]}) listing every problem."""
    data = dict(data)
    errors: dict[str, list[ValidationError]] = {}
    for field, code_table in CODED_FIELDS.items():
        value = data.get(field)
        if value not in (None, "") and not _is_code(value, CODE_VALUES[field]):
            _add(errors, field, f"“{value}”不是有效的代码。")
    nationality = data.get("nationality") or "CHN"
    if nationality not in nationality_codes():
        _add(errors, "nationality", f"“{nationality}”不是有效的国籍/地区代码。")
    data["nationality"] = nationality
    foreign = is_foreign(nationality=nationality, overseas_status=data.get("overseas_status") or OverseasStatus.NO)

    try:
        data["name"] = check_pupil_name(data.get("name", ""), foreign=foreign)
    except ValidationError as error:
        _add(errors, "name", error)
    if data.get("former_name"):
        try:
            data["former_name"] = check_pupil_name(data["former_name"], foreign=foreign)
        except ValidationError as error:
            _add(errors, "former_name", error)

    id_type = data.get("id_type") or ""
    if not id_type:
        _add(errors, "id_type", "请选择身份证件类型；没有身份证件的学生选“无身份证件”。")
    elif _is_code(id_type, ID_TYPE_CODES):
        try:
            data["id_number"], info = read_id_document(id_type, data.get("id_number", ""))
        except ValidationError as error:
            _add(errors, "id_number", error)
        else:
            if id_type in GB11643_ID_TYPES:
                data.setdefault("birth_date", None)
                data.setdefault("gender", None)
                data["birth_date"] = data["birth_date"] or info.birth_date
                data["gender"] = data["gender"] or info.gender
                try:
                    check_id_matches(info, birth_date=data["birth_date"], gender=data["gender"])
                except ValidationError as error:
                    for item in error.error_list:
                        _add(errors, "birth_date" if item.code == "id_birth_mismatch" else "gender", item)

    for field, label in REQUIRED_PUPIL_FIELDS.items():
        if data.get(field) in (None, "") and field not in errors:
            _add(errors, field, f"请填写{label}。")
    birth_date = data.get("birth_date")
    if isinstance(birth_date, date) and not certainly_past(birth_date) and birth_date >= timezone.localdate():
        _add(errors, "birth_date", "出生日期必须早于今天。")
    if data.get("disability") in (None, "", Disability.NONE):
        data["disability_placement"] = ""
    elif not data.get("disability_placement"):
        _add(errors, "disability_placement", "残疾学生请选择就读方式（随班就读、送教上门或特殊教育学校）。")

    _check_divisions(errors, data, DIVISION_FIELDS)
    _check_contact(errors, data)
    if errors:
        raise ValidationError(errors)
    if data.get("name"):
        data.update(name_fields(data["name"]))
    return data


def clean_guardians(guardians: list[dict[str, Any]], *, pupil_id_type: str) -> list[dict[str, Any]]:
    """The family members (成员1, 成员2 …): at least one of them a guardian (是否监护人, the default);
    every guardian complete (relation, name, ID type and number, phone, workplace, household
    registration), a member who is not a guardian at least named with the relation; ID numbers,
    phones and codes valid. A pupil without an ID number is registered through a guardian's ID
    number, which must then be a valid 居民身份证 number."""
    errors: dict[str, list[ValidationError]] = {}
    if not guardians:
        raise ValidationError({"guardians": ["至少填写一位监护人。"]})
    cleaned = []
    for position, guardian in enumerate(guardians, start=1):
        guardian = {key: (value.strip() if isinstance(value, str) else value) for key, value in guardian.items()}
        if guardian.get("is_guardian") is None:
            guardian["is_guardian"] = True
        prefix = f"guardian{position}_"
        ordinal = "一二三四五"[position - 1] if position <= 5 else str(position)
        if guardian["is_guardian"]:
            label = f"第{ordinal}监护人"
            for field, field_label in GUARDIAN_FIELDS.items():
                if guardian.get(field) in (None, ""):
                    _add(errors, prefix + field, f"请填写{label}的{field_label}（有两位监护人时，两位的信息都必须完整）。")
        else:
            label = f"家庭成员{position}"
            guardian.setdefault("id_type", "")
            for field in MEMBER_REQUIRED_FIELDS:
                if guardian.get(field) in (None, ""):
                    _add(errors, prefix + field, f"请填写{label}的{GUARDIAN_FIELDS[field]}。")
        if guardian.get("ethnicity") and not _is_code(guardian["ethnicity"], ETHNICITY_CODES):
            _add(errors, prefix + "ethnicity", f"“{guardian['ethnicity']}”不是有效的民族代码。")
        if guardian.get("phone"):
            try:
                guardian["phone"] = clean_phone(guardian["phone"])
            except ValidationError as error:
                _add(errors, prefix + "phone", error)
        if guardian.get("relation") and not _is_code(guardian["relation"], RELATION_CODES):
            _add(errors, prefix + "relation", f"“{guardian['relation']}”不是有效的监护人关系代码。")
        if guardian.get("name"):
            guardian["name"] = normalize_name(guardian["name"])
        if guardian.get("id_type") and guardian.get("id_number"):
            if guardian["id_type"] == IdType.NONE or not _is_code(guardian["id_type"], ID_TYPE_CODES):
                _add(errors, prefix + "id_type", f"{label}须有有效的身份证件。")
            else:
                try:
                    guardian["id_number"] = check_id_document(
                        guardian["id_type"], guardian["id_number"], area_at_birth=False
                    )
                except ValidationError as error:
                    _add(errors, prefix + "id_number", error)
        _check_divisions(errors, guardian, {"hukou_division_id": "户口所在地"}, prefix=prefix)
        if guardian.get("hukou_division_id") == "":
            guardian["hukou_division_id"] = None  # a member without one: no division, not the code ""
        guardian["position"] = position
        cleaned.append(guardian)
    if not any(g["is_guardian"] for g in cleaned):
        _add(errors, "guardians", "家庭成员中至少要有一位监护人（“是否监护人”填“是”）。")
    if pupil_id_type == IdType.NONE and not any(
        g["is_guardian"] and g.get("id_type") == IdType.RESIDENT_ID and g.get("id_number") for g in cleaned
    ):
        _add(errors, "guardians", "无身份证件的学生须填写至少一位监护人的居民身份证号。")
    if errors:
        raise ValidationError(errors)
    return cleaned


def _check_divisions(errors, data: dict[str, Any], fields: dict[str, str], prefix: str = "") -> None:
    """Division fields hold a 6-digit GB/T 2260 code of a division we know."""
    known = known_division_codes()
    for field, label in fields.items():
        if data.get(field) in (None, ""):
            continue
        code = str(data[field]).strip()
        if code not in known:
            _add(errors, prefix + field, f"{label}“{code}”不是有效的行政区划代码（6 位数字）。")
        else:
            data[field] = code


@lru_cache(maxsize=1)
def known_division_codes() -> frozenset[str]:
    """Every division code, read once per process: the table changes only with a migration or
    the rare admin edit (which clears this cache, see xueji/accounts/signals.py)."""
    from xueji.accounts.models import Division

    return frozenset(Division.objects.values_list("code", flat=True))


# --- the contact, extended and transport items of the national form ------------------------------

# A mobile number (11 digits from 1), or a landline with its area code (0431-12345678), an
# extension allowed after a dash; "+86" and spaces are dropped.
_PHONE = re.compile(r"1\d{10}|0\d{2,3}-?\d{7,8}(?:-\d{1,6})?")
# 身份证件有效期: "20200601-20300601", "2020.06.01-2030.06.01", "2020-06-01至2030-06-01", "…-长期".
_VALIDITY_DATE = r"(\d{4})[.\-/年]?(\d{1,2})[.\-/月]?(\d{1,2})日?"
_VALIDITY = re.compile(rf"{_VALIDITY_DATE}\s*(?:-|—|－|~|～|至|到)\s*(?:{_VALIDITY_DATE}|(长期))")
_homepage = URLValidator(schemes=["http", "https"])


def clean_phone(text: str) -> str:
    """A phone number as stored: digits and the area code's dash; ValidationError in Chinese."""
    compact = re.sub(r"[\s()（）]", "", str(text)).removeprefix("+86").removeprefix("0086")
    if not _PHONE.fullmatch(compact):
        raise ValidationError(f"联系电话“{text}”格式不对：填写 11 位手机号，或带区号的固定电话（如 0431-12345678）。")
    return compact


def clean_id_validity(text: str) -> str:
    """身份证件有效期 as stored: "20200601-20300601" or "20200601-长期"."""
    match = _VALIDITY.fullmatch(str(text).strip())
    if match:
        try:
            start = date(*(int(part) for part in match.group(1, 2, 3)))
            end = date(*(int(part) for part in match.group(4, 5, 6))) if match.group(4) else None
        except ValueError:
            pass
        else:
            if end is None:
                return f"{start:%Y%m%d}-长期"
            if end > start:
                return f"{start:%Y%m%d}-{end:%Y%m%d}"
            raise ValidationError("身份证件有效期的截止日期应晚于起始日期。")
    raise ValidationError(f"身份证件有效期“{text}”格式不对，请按 20200601-20300601 填写（长期有效的写 20200601-长期）。")


def _check_contact(errors, data: dict[str, Any]) -> None:
    """Postcode, phone, e-mail, homepage, the validity of the ID document, the distance to school;
    and 是否需要乘坐校车 from the distance when the school has not said (the national instructions:
    yes over 2 km)."""
    if data.get("postcode") not in (None, ""):
        postcode = str(data["postcode"]).strip()
        if not re.fullmatch(r"\d{6}", postcode):
            _add(errors, "postcode", f"邮政编码“{postcode}”应为 6 位数字。")
        data["postcode"] = postcode
    if data.get("phone") not in (None, ""):
        try:
            data["phone"] = clean_phone(data["phone"])
        except ValidationError as error:
            _add(errors, "phone", error)
    if data.get("email") not in (None, ""):
        data["email"] = str(data["email"]).strip()
        try:
            validate_email(data["email"])
        except ValidationError:
            _add(errors, "email", f"电子信箱“{data['email']}”格式不对，应如 name@example.com。")
    if data.get("homepage") not in (None, ""):
        data["homepage"] = str(data["homepage"]).strip()
        try:
            _homepage(data["homepage"] if "://" in data["homepage"] else "http://" + data["homepage"])
        except ValidationError:
            _add(errors, "homepage", f"主页地址“{data['homepage']}”不是有效的网址。")
    if data.get("id_validity") not in (None, ""):
        try:
            data["id_validity"] = clean_id_validity(data["id_validity"])
        except ValidationError as error:
            _add(errors, "id_validity", error)
    distance = data.get("distance_km")
    if distance not in (None, ""):
        try:
            distance = Decimal(str(distance)).quantize(Decimal("0.1"))
        except (InvalidOperation, ValueError):
            _add(errors, "distance_km", f"上下学距离“{distance}”应为公里数，如 2.5。")
            return
        if not Decimal(0) <= distance < Decimal(1000):
            _add(errors, "distance_km", "上下学距离应在 0 到 999.9 公里之间。")
            return
        data["distance_km"] = distance
        if data.get("school_bus") is None:
            data["school_bus"] = distance > SCHOOL_BUS_DISTANCE_KM
    elif distance == "":
        data["distance_km"] = None
