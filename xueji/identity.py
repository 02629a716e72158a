"""Identity checks: ID numbers (python-stdnum's ``cn.ric``), names, pinyin, masking.

Every message here is shown to registrars: plain Chinese that says what is wrong and what to do.
"""

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.utils import timezone
from pypinyin import Style, lazy_pinyin
from pypinyin.style import convert as convert_pinyin_style
from stdnum import exceptions as stdnum_errors
from stdnum import numdb
from stdnum.cn import ric

from xueji.codes import FOREIGN_OVERSEAS_STATUSES, GB11643_ID_TYPES, Gender, IdType

# Area codes of 港澳台居民居住证 (GB 11643 numbers issued to residents of Hong Kong, Macao, Taiwan).
RESIDENCE_PERMIT_AREAS = {"810000", "820000", "830000"}


@dataclass(frozen=True)
class IdNumberInfo:
    number: str
    birth_date: date
    gender: str  # Gender code
    area_code: str


_WHITESPACE = re.compile(r"\s+")
_GB11643_SHAPE = re.compile(r"[0-9]{17}[0-9X]")


def normalize_id_number(number: str) -> str:
    """Upper-case, without spaces, full-width characters as ASCII (NFKC: a number typed with a
    Chinese input method): "２２０１22 20180101 123x" → "22012220180101123X"."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", number or "")).upper()


def certainly_past(day: date) -> bool:
    """Whether ``day`` is before today wherever the settings place us, by the system clock alone.
    timezone.localdate() looks the active time zone up on every call, which adds up over the four
    dates checked in each row of a big import; no two time zones are more than 26 hours apart, so
    a date two days before the system's today is past in all of them, and only more recent dates
    need the exact local date."""
    return day < date.today() - timedelta(days=2)


def check_gb11643(number: str, *, id_type: str = IdType.RESIDENT_ID, area_at_birth: bool = True) -> IdNumberInfo:
    """Validate an 18-digit ID number (check digit, birth date, area code) and return what it
    says. Raises ValidationError with the reason in Chinese.

    ``area_at_birth``: the area code must have been in use in the birth year (python-stdnum's
    rule; right for pupils). Adults' numbers were issued from 1984 on with the codes of that
    time, so for guardians it is enough that the code exists (``area_at_birth=False``)."""
    number = normalize_id_number(number)
    if len(number) != 18:
        raise ValidationError("身份证件号应为 18 位，现在是 %(n)d 位。", code="id_length", params={"n": len(number)})
    if not _GB11643_SHAPE.fullmatch(number):  # ASCII only: str.isdigit() also takes "²" and "٣"
        raise ValidationError("身份证件号前 17 位应为数字，最后一位为数字或 X。", code="id_format")
    if number[-1] != ric.calc_check_digit(number):
        raise ValidationError("身份证件号的校验位不对，请核对号码是否抄错。", code="id_checksum")
    # What stdnum's get_birth_date does, without cleaning the number a second time (it is clean).
    year, month, day = int(number[6:10]), int(number[10:12]), int(number[12:14])
    try:
        birth_date = date(year, month, day)
    except ValueError:
        raise ValidationError("身份证件号中的出生日期（第 7–14 位）不是有效日期。", code="id_birth_date") from None
    if not certainly_past(birth_date) and birth_date > timezone.localdate():
        raise ValidationError("身份证件号中的出生日期晚于今天。", code="id_birth_date")
    area = number[:6]
    if id_type == IdType.HMT_RESIDENCE_PERMIT:
        if area not in RESIDENCE_PERMIT_AREAS:
            raise ValidationError("港澳台居民居住证号码应以 810000、820000 或 830000 开头。", code="id_area")
    elif not _area_code_known(area):
        # Checked before stdnum's get_birth_place, which raises KeyError for an unknown county
        # of a known province.
        raise ValidationError(
            "身份证件号的前 6 位（%(area)s）不是有效的行政区划代码。", code="id_area", params={"area": area}
        )
    elif area_at_birth and not _area_in_use(area, birth_date.year):
        raise ValidationError(
            "身份证件号的前 6 位（%(area)s）不是出生时有效的行政区划代码。", code="id_area", params={"area": area}
        )
    gender = Gender.MALE if int(number[16]) % 2 == 1 else Gender.FEMALE
    return IdNumberInfo(number=number, birth_date=birth_date, gender=gender, area_code=area)


# The two area-code lookups below search python-stdnum's division table (about 100 µs each, most
# of the cost of checking a number). Their answers depend only on the code (and the birth year),
# which thousands of pupils of a county share, and the table is part of the installed package:
# cached per process. Bounded, as the codes come from what users type.
@lru_cache(maxsize=16384)
def _area_code_known(area: str) -> bool:
    """Whether python-stdnum's division table has held this county code at any time."""
    parts = numdb.get("cn/loc").info(area)
    return len(parts) >= 2 and "county" in parts[1][1]


@lru_cache(maxsize=65536)
def _area_in_use(area: str, birth_year: int) -> bool:
    """Whether the county code was in use in the birth year: python-stdnum's get_birth_place,
    which reads only those two parts of the number (asked with a number of that area and year)."""
    try:
        ric.get_birth_place(f"{area}{birth_year:04d}0101")
    except stdnum_errors.ValidationError:
        return False
    return True


def check_id_document(id_type: str, number: str, *, area_at_birth: bool = True) -> str:
    """Validate a number for its ID type and return it normalised. GB 11643 types get the full
    check; other documents must be 5–30 letters and digits. The type "none" takes no number."""
    return read_id_document(id_type, number, area_at_birth=area_at_birth)[0]


def read_id_document(id_type: str, number: str, *, area_at_birth: bool = True) -> tuple[str, IdNumberInfo | None]:
    """check_id_document, also returning what a GB 11643 number says (None for other documents
    and for "none"), so that a caller needing both checks the number once."""
    number = normalize_id_number(number)
    if id_type == IdType.NONE:
        if number:
            raise ValidationError("证件类型为“无身份证件”时不能填写证件号。", code="id_none_with_number")
        return "", None
    if not number:
        raise ValidationError("请填写身份证件号。", code="id_required")
    if id_type in GB11643_ID_TYPES:
        info = check_gb11643(number, id_type=id_type, area_at_birth=area_at_birth)
        return info.number, info
    if not re.fullmatch(r"[A-Z0-9()（）-]{5,30}", number):
        raise ValidationError("证件号只能包含字母和数字，长度 5–30 位。", code="id_format")
    return number, None


def check_id_matches(info: IdNumberInfo, *, birth_date: date | None, gender: str | None) -> None:
    """The record's birth date and gender must be the ones in the ID number."""
    errors = []
    if birth_date and birth_date != info.birth_date:
        errors.append(
            ValidationError(
                "出生日期 %(given)s 与身份证件号中的 %(expected)s 不一致。",
                code="id_birth_mismatch",
                params={"given": birth_date.isoformat(), "expected": info.birth_date.isoformat()},
            )
        )
    if gender and gender != info.gender:
        errors.append(
            ValidationError(
                "性别与身份证件号不一致（号码第 17 位表示%(expected)s）。",
                code="id_gender_mismatch",
                params={"expected": Gender(info.gender).label},
            )
        )
    if errors:
        raise ValidationError(errors)


# CJK ideographs (basic, extension A, compatibility, and the supplementary planes B–H for rare
# characters such as 𠮷) and 〇.
_CHINESE = "\u3007\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_CHINESE_NAME = re.compile(rf"[{_CHINESE}]+(·[{_CHINESE}]+)*")
_FOREIGN_NAME = re.compile(rf"[{_CHINESE}A-Za-z]+([ ·.'-][{_CHINESE}A-Za-z]+)*")
# Dots that people type for the middle dot of minority and foreign names.
_DOT_VARIANTS = str.maketrans({"•": "·", "∙": "·", "・": "·", "‧": "·", "．": "·"})


def normalize_name(name: str) -> str:
    return (name or "").strip().translate(_DOT_VARIANTS)


def check_pupil_name(name: str, *, foreign: bool) -> str:
    """Names are Chinese characters and ·; Latin letters only for foreign pupils."""
    name = normalize_name(name)
    if not name:
        raise ValidationError("请填写姓名。", code="name_required")
    if len(name) > 50:
        raise ValidationError("姓名太长（最多 50 个字）。", code="name_length")
    if _CHINESE_NAME.fullmatch(name):
        return name
    if foreign and _FOREIGN_NAME.fullmatch(name):
        return name
    if re.search(r"[A-Za-z]", name) and not foreign:
        raise ValidationError("姓名只能使用汉字和“·”，外籍学生才可使用外文字母。", code="name_latin")
    raise ValidationError("姓名只能使用汉字和“·”（少数民族姓名的间隔号），不能有空格、数字或其他符号。", code="name_chars")


def is_foreign(*, nationality: str, overseas_status: str) -> bool:
    return nationality != "CHN" or overseas_status in FOREIGN_OVERSEAS_STATUSES


# Surnames read differently from the character's everyday reading (单 shàn, 曾 zēng, …), with
# their tone (pypinyin's TONE3): the search keys use the reading, the pinyin order
# (xueji.collation) the reading and its tone.
SURNAME_READINGS_TONE3 = {
    "单": "shan4", "曾": "zeng1", "仇": "qiu2", "区": "ou1", "查": "zha1", "解": "xie4", "朴": "piao2",
    "覃": "qin2", "盖": "ge3", "乐": "yue4", "缪": "miao4", "翟": "zhai2", "秘": "bi4", "种": "chong2",
    "尉": "yu4", "繁": "po2", "员": "yun4", "召": "shao4", "长": "chang2", "重": "chong2", "燕": "yan1",
}
_SURNAME_READINGS = {char: reading.rstrip("12345") for char, reading in SURNAME_READINGS_TONE3.items()}


# pypinyin takes about 60 µs a name, a noticeable share of a big import. Three savings, none
# changing an answer: pypinyin is asked once per name (name_readings), for the display pinyin, the
# search keys and the sort key (xueji.collation) alike; a name seen before (names recur: 浩然, 子涵)
# is remembered whole; and the tones are dropped (or numbered) per syllable from a small table
# instead of by pypinyin's regexes for every syllable of every name (Style.NORMAL is exactly
# that: the toned syllable, its marks removed). Bounded, as names come from what users type.
@lru_cache(maxsize=65536)
def name_readings(name: str) -> tuple[str, ...]:
    """The reading of each character of ``name``, toned as pypinyin's tables write it ("zhāng";
    a phrase's reading where the name holds one), "" for a character without one (Latin letters,
    digits, "·"): one item per character."""
    return tuple(lazy_pinyin(name, style=Style.TONE, errors=lambda chars: [""] * len(chars)))


@lru_cache(maxsize=65536)
def name_pinyin(name: str) -> tuple[str, str, str]:
    """(display pinyin "zhang wei", search key "zhangwei", initials "zw") for a Chinese name;
    characters without a reading (Latin letters, digits, "·") are left out."""
    syllables = [_toneless(s).lower() for s in name_readings(name) if s]
    syllables = [part for s in syllables for part in s.split() if part.isalpha()]
    if name and name[0] in _SURNAME_READINGS and syllables:
        syllables[0] = _SURNAME_READINGS[name[0]]
    display = " ".join(syllables)
    return display, "".join(syllables), "".join(s[0] for s in syllables)


@lru_cache(maxsize=8192)
def _toneless(syllable: str) -> str:
    """A toned syllable in pypinyin's Style.NORMAL ("zhāng" → "zhang"), converted by pypinyin."""
    return convert_pinyin_style(syllable, Style.NORMAL, strict=True)


def mask_id_number(number: str) -> str:
    """"220122201801011234" → "2201**********1234": enough to tell two records apart."""
    if not number:
        return ""
    if len(number) <= 8:
        return number[:2] + "*" * (len(number) - 2)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_student_number(number: str) -> str:
    """A G number is "G" + the ID number: masked like one. L and J numbers carry no ID number."""
    if number and number.startswith("G"):
        return "G" + mask_id_number(number[1:])
    return number or ""
