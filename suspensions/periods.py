"""Dates of 休学: the one-month filing limit and the one-year period, counted in calendar months
from the first day of absence (农安县办法 第二十三条; 000 四.2: 休学期限为一年，自缺课之日开始计算).

A month or a year after the 31st (or 29 February) falls on the last day of the shorter month."""

import calendar
from datetime import date


def add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_end(first_absence: date) -> date:
    """The day a one-year suspension ends: the pupil resumes on this day, not before or after."""
    return add_months(first_absence, 12)


def filing_deadline(first_absence: date) -> date:
    """The last day a suspension may be filed: one month after the first day of absence."""
    return add_months(first_absence, 1)


def deferral_deadline(intake_year: int) -> date:
    """缓学 is filed before the autumn term of the intake year begins (before 1 September)."""
    return date(intake_year, 9, 1)
