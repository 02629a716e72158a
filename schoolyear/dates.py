"""The school year's calendar: which school year a day belongs to, each school's graduating grade,
and the bureau's dates of the summer (the national system's defaults, bureau settings):

- business touching graduating grades pauses from 1 July (``graduation_opens``: graduation may be
  done from then);
- pending requests of graduating pupils are cleared (withdrawn or finished) by 15 July
  (``graduating_clear_date``);
- graduation is finished by 31 July (``graduation_deadline``; 农安县办法 第二十五条);
- every other pupil moves up one grade on 10 August (``promotion_date``; 第二十五条), into the
  school year that starts on 1 September.

A school year is named by the year it starts in (2026 is 2026—2027学年) and runs from 1 September
to 31 August: graduation in July 2027 and promotion on 10 August 2027 both close school year 2026,
and promotion moves the pupils into school year 2027.
"""

from dataclasses import dataclass
from datetime import date

from xueji.accounts.models import BureauSettings, Unit
from xueji.accounts.selectors import bureau_settings_for
from xueji.pupils.models import SchoolYear

LEVEL = {6: "小学", 9: "初中"}


def school_year_start(day: date) -> int:
    """The school year a day belongs to: from 1 September to 31 August."""
    return day.year if day.month >= 9 else day.year - 1


def month_day(text: str, year: int) -> date:
    month, day = (int(part) for part in text.split("-"))
    return date(year, month, day)


def school_year_get(start_year: int) -> SchoolYear:
    """The school year starting in ``start_year``, created (1 September – 31 August) if missing."""
    year, _ = SchoolYear.objects.get_or_create(
        start_year=start_year,
        defaults={"start_date": date(start_year, 9, 1), "end_date": date(start_year + 1, 8, 31)},
    )
    return year


def graduating_grade(school: Unit) -> int:
    """The school's graduating grade (xueji.codes.GRADUATING_GRADE)."""
    return school.graduating_grade


def level_label(grade: int) -> str:
    return LEVEL.get(grade, "")


def promotable_grades(school: Unit) -> list[int]:
    """The grades whose pupils move up one grade at this school (all but the graduating one)."""
    last = graduating_grade(school)
    grades = school.grades
    return [grade for grade in grades if grade < last and grade + 1 in grades]


@dataclass(frozen=True)
class Summer:
    """The dates that close school year ``start_year`` at a school (its bureau's settings)."""

    start_year: int
    opens: date  # graduation may be done from this day
    clear_by: date  # pending requests of graduating pupils cleared by this day
    graduate_by: date  # graduation finished by this day
    promotion_on: date  # the other pupils move up on this day

    @property
    def year(self) -> int:
        """The calendar year of the summer."""
        return self.start_year + 1


def summer_for(settings: BureauSettings, start_year: int) -> Summer:
    year = start_year + 1
    return Summer(
        start_year=start_year,
        opens=month_day(settings.graduation_opens, year),
        clear_by=month_day(settings.graduating_clear_date, year),
        graduate_by=month_day(settings.graduation_deadline, year),
        promotion_on=month_day(settings.promotion_date, year),
    )


def summer_of(unit: Unit, start_year: int) -> Summer:
    return summer_for(bureau_settings_for(unit), start_year)
