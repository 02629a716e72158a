"""The rules of 新生建籍 on top of the rules of every pupil's record (xueji.pupils.rules).

中小学生学籍管理办法 and the 新生上报需知: a primary entrant is six by 31 August of the intake year
(a bureau setting); no under-age entrant; the ID field holds the pupil's own number — a number
whose birth date no pupil of that grade can have (a guardian's, most often) is refused with that
reason; a school registers only children admitted to it.
"""

from dataclasses import dataclass
from datetime import date

from xueji.accounts.models import BureauSettings

# A child may start school late (illness, disability) but not by this many years: a number
# whose holder would be older is taken for a guardian's number typed in the pupil's field.
LATEST_ENTRY_YEARS = 5
JUNIOR_FIRST_GRADE = 7


@dataclass(frozen=True)
class AgeLimits:
    """The birth dates a new pupil of a grade may have: born on or before ``latest`` (old
    enough) and after ``earliest`` (not a grown-up's number)."""

    latest: date
    earliest: date


def age_limits(settings: BureauSettings, intake_year: int, grade: int) -> AgeLimits:
    month, day = (int(part) for part in settings.entry_age_cutoff.split("-"))
    entry_age = settings.entry_age_primary + (grade - 1)  # grade 7: twelve by the cutoff
    cutoff = date(intake_year - entry_age, month, day)
    return AgeLimits(latest=cutoff, earliest=date(cutoff.year - LATEST_ENTRY_YEARS - 1, month, day))


def age_error(birth_date: date, limits: AgeLimits, *, grade: int, from_id_number: bool) -> str | None:
    """The reason a child born on ``birth_date`` cannot enter ``grade`` this year, or None."""
    if birth_date > limits.latest:
        age = JUNIOR_FIRST_GRADE - 1 if grade >= JUNIOR_FIRST_GRADE else 6
        return (
            f"出生日期 {birth_date:%Y-%m-%d} 晚于 {limits.latest:%Y-%m-%d}，入学时不满规定年龄"
            f"（小学须在 {limits.latest:%m月%d日} 前年满 6 周岁），不能作为新生登记。"
            if age == 6 else f"出生日期 {birth_date:%Y-%m-%d} 晚于 {limits.latest:%Y-%m-%d}，不符合七年级入学年龄。"
        )
    if birth_date <= limits.earliest:
        if from_id_number:
            return (
                f"该身份证件号的出生日期是 {birth_date:%Y-%m-%d}，不可能是本年级新生本人的号码"
                "（是否误填了监护人的身份证件号？），请填写学生本人的身份证件号。"
            )
        return f"出生日期 {birth_date:%Y-%m-%d} 早于 {limits.earliest:%Y-%m-%d}，不符合本年级新生的年龄，请核对。"
    return None


def identity_key(*, id_type: str, id_number: str, name: str, gender: str, birth_date: date) -> tuple:
    """How one child is recognised in a file, an admission list or among entries: by ID number,
    or by name + gender + birth date without one."""
    if id_number:
        return ("id", id_type, id_number)
    return ("identity", name, gender, birth_date)
