"""Shared helpers of the dropout tests."""

from datetime import date

from dropouts import services
from xueji import workdays


def absent_days(last: date, count: int) -> list[date]:
    """The ``count`` school days up to and including ``last`` (a working day)."""
    return [workdays.add_working_days(last, -i) for i in range(count - 1, 0, -1)] + [last]


def log_absences(actor, pupil, days, explained=False):
    for day in days:
        services.record_absence(actor=actor, pupil=pupil, day=day, explained=explained)
