"""The rules a pupil's record must satisfy, as pure functions over plain data.

Every path that writes a pupil (the services, the enrolment import, the browser form) uses these,
so the same input gets the same errors everywhere. Errors are a ValidationError keyed by field,
with messages in Chinese.
"""

from datetime import date
from functools import lru_cache
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from xueji.codes import (
    GB11643_ID_TYPES,
    Boarding,
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
    nationality_choices,
)
from xueji.identity import (
    certainly_past,
    check_id_document,
    check_id_matches,
    check_pupil_name,
    is_foreign,
    name_pinyin,
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
    if errors:
        raise ValidationError(errors)
    if data.get("name"):
        data["pinyin"], data["search_pinyin"], data["search_initials"] = name_pinyin(data["name"])
    return data


def clean_guardians(guardians: list[dict[str, Any]], *, pupil_id_type: str) -> list[dict[str, Any]]:
    """At least one guardian; every guardian complete (relation, name, ID type and number, phone,
    workplace, household registration); ID numbers valid. A pupil without an ID number is
    registered through a guardian's ID number, which must then be a valid 居民身份证 number."""
    errors: dict[str, list[ValidationError]] = {}
    if not guardians:
        raise ValidationError({"guardians": ["至少填写一位监护人。"]})
    cleaned = []
    for position, guardian in enumerate(guardians, start=1):
        guardian = {key: (value.strip() if isinstance(value, str) else value) for key, value in guardian.items()}
        prefix = f"guardian{position}_"
        label = "第一监护人" if position == 1 else f"第{'二三四五'[position - 2] if position <= 5 else position}监护人"
        for field, field_label in GUARDIAN_FIELDS.items():
            if guardian.get(field) in (None, ""):
                _add(errors, prefix + field, f"请填写{label}的{field_label}（有两位监护人时，两位的信息都必须完整）。")
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
        guardian["position"] = position
        cleaned.append(guardian)
    if pupil_id_type == IdType.NONE and not any(g.get("id_type") == IdType.RESIDENT_ID for g in cleaned):
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
