"""Working days on China's calendar: the clock of every approval deadline.

Which days are working days
---------------------------
A day is a working day when people in China go to work on it:

1. For the years ``chinesecalendar`` covers (``official_data_years()``; 2004–2026 with
   chinesecalendar 1.11.0), chinesecalendar decides: its holidays are off, its make-up working
   days (调休上班, always a Saturday or Sunday) are on, other days follow Monday–Friday.
   **The calendar table is ignored for those years**, whatever rows it holds.
2. For any other year, the rows of the calendar table (``CalendarDay``) are the exceptions to
   Monday–Friday: a ``HOLIDAY`` on a weekday is off, a ``WORKDAY`` on a Saturday or Sunday is
   on. (A ``HOLIDAY`` on a weekend or a ``WORKDAY`` on a weekday changes nothing.)
3. A year with no rows is plain Monday–Friday.

A year is *flagged* (``year_is_flagged``) when neither chinesecalendar nor a ``CalendarYear``
with ``official=True`` covers it: its deadlines are then only a guess and pages showing them
say so.

Counting
--------
``working_days_between(a, b)`` counts the working days in the half-open interval (a, b], and
``add_working_days(d, n)`` is the n-th working day strictly after d, so that
``working_days_between(d, add_working_days(d, n)) == n`` for every n ≥ 0. Both are computed
with arithmetic on the Monday–Friday count plus binary searches in the sorted exception days,
never day by day, so a count across centuries costs the same as a count across a week.

Caching
-------
Deadline sweeps call these functions many thousands of times, so nothing here queries the
database per call:

* chinesecalendar's data is turned into sorted exception days once per process.
* The calendar table is small (a few dozen rows a year), so it is loaded whole in two queries
  into an immutable in-process snapshot, only when a date outside chinesecalendar's years is
  involved (code that only touches 2004–2026 never touches the database).
* The snapshot is dropped at once when a ``CalendarDay`` or ``CalendarYear`` is saved or
  deleted in this process (``post_save``/``post_delete`` receivers connected when this module
  is imported — the snapshot only exists once the module is imported, so that is early
  enough), and again when that transaction commits, so a snapshot another thread read before
  the commit does not survive it.
* Another process (the web server vs. the Celery worker) does not receive those signals, and
  the models carry no "updated" column to check cheaply; since reloading the whole table costs
  about as much as any version query would, a snapshot is simply reloaded once it is older
  than ``TABLE_SNAPSHOT_MAX_AGE_SECONDS``. Changes made elsewhere (or by ``QuerySet.update``
  and ``bulk_create``, which send no signals) are therefore seen within that many seconds.
  A job that must see the table exactly as it is now (a deadline sweep) calls
  ``clear_cache()`` when it starts.
"""

from __future__ import annotations

import time
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Literal

import chinese_calendar
from django.db import transaction
from django.db.models.signals import post_delete, post_save

__all__ = [
    "CalendarSource",
    "TABLE_SNAPSHOT_MAX_AGE_SECONDS",
    "add_working_days",
    "clear_cache",
    "flagged_years",
    "is_working_day",
    "official_data_years",
    "working_days_between",
    "year_calendar_source",
    "year_is_flagged",
]

CalendarSource = Literal["official", "table", "weekdays"]

# How long another process may go on using a calendar table it read before (see "Caching").
TABLE_SNAPSHOT_MAX_AGE_SECONDS = 60.0

SATURDAY = 5  # date.weekday(): Monday is 0, Saturday 5, Sunday 6.
LAST_ORDINAL = date.max.toordinal()


def _is_weekend(d: date) -> bool:
    return d.weekday() >= SATURDAY


# --- Exception days -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Exceptions:
    """The days that break the Monday–Friday rule, as proleptic Gregorian ordinals.

    Only real exceptions are kept: days off that fall on a weekday and working days that fall
    on a weekend. The tuples are sorted, for counting with bisect; the sets are for lookups.
    """

    days_off_on_weekdays: tuple[int, ...]
    working_weekend_days: tuple[int, ...]
    days_off_set: frozenset[int]
    working_weekend_set: frozenset[int]

    @classmethod
    def build(cls, days_off: Iterable[date], working_days: Iterable[date]) -> _Exceptions:
        off = sorted({d.toordinal() for d in days_off if not _is_weekend(d)})
        on = sorted({d.toordinal() for d in working_days if _is_weekend(d)})
        return cls(tuple(off), tuple(on), frozenset(off), frozenset(on))


@cache
def official_data_years() -> range:
    """The years chinesecalendar covers (2004–2026 with chinesecalendar 1.11.0), read from the
    library itself so that upgrading it extends the range with no change here."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


@cache
def _official_exceptions() -> _Exceptions:
    """chinesecalendar's holidays and make-up working days, built once per process."""
    return _Exceptions.build(chinese_calendar.holidays.keys(), chinese_calendar.workdays.keys())


# --- The calendar table, cached -------------------------------------------------------------


@dataclass(frozen=True)
class _TableSnapshot:
    """The calendar table as read at ``loaded_at`` (a ``time.monotonic()`` reading), merged
    with chinesecalendar: ``exceptions`` holds chinesecalendar's exceptions for its years and
    the table's rows for every other year."""

    exceptions: _Exceptions
    years_with_rows: frozenset[int]
    official_years: frozenset[int]
    loaded_at: float


_snapshot: _TableSnapshot | None = None


def _load_table_snapshot() -> _TableSnapshot:
    # Imported here: this module may be imported before the app registry is ready.
    from xueji.calendar.models import CalendarDay, CalendarYear

    covered = official_data_years()
    official = _official_exceptions()
    days_off: list[date] = [date.fromordinal(o) for o in official.days_off_on_weekdays]
    working: list[date] = [date.fromordinal(o) for o in official.working_weekend_days]
    years_with_rows: set[int] = set()
    for day, kind in CalendarDay.objects.values_list("date", "kind"):
        if day.year in covered:
            continue  # chinesecalendar decides these years; the table is ignored for them
        years_with_rows.add(day.year)
        if kind == CalendarDay.Kind.HOLIDAY:
            days_off.append(day)
        else:
            working.append(day)
    official_rows = CalendarYear.objects.filter(official=True).values_list("year", flat=True)
    official_years = frozenset(year for year in official_rows if year not in covered)
    return _TableSnapshot(
        exceptions=_Exceptions.build(days_off, working),
        years_with_rows=frozenset(years_with_rows),
        official_years=official_years,
        loaded_at=time.monotonic(),
    )


def _table() -> _TableSnapshot:
    global _snapshot
    snapshot = _snapshot
    if snapshot is None or time.monotonic() - snapshot.loaded_at > TABLE_SNAPSHOT_MAX_AGE_SECONDS:
        snapshot = _snapshot = _load_table_snapshot()
    return snapshot


def clear_cache() -> None:
    """Forget the cached calendar table; the next call that needs it reads it again.

    Saving or deleting a CalendarDay or CalendarYear does this by itself. Call it at the start
    of a job that must see the current table, after ``QuerySet.update``/``bulk_create`` on the
    calendar models, and in tests after a rolled-back transaction that changed the table.
    """
    global _snapshot
    _snapshot = None


def _on_calendar_table_change(sender: type, using: str = "default", **kwargs: object) -> None:
    clear_cache()
    # And again at commit: another thread may have read the old rows in between.
    transaction.on_commit(clear_cache, using=using)


# Lazy "app_label.Model" senders: this module may be imported before the models are loaded.
for _signal, _signal_name in ((post_save, "post_save"), (post_delete, "post_delete")):
    for _model in ("xueji.CalendarDay", "xueji.CalendarYear"):
        _signal.connect(
            _on_calendar_table_change, sender=_model, dispatch_uid=f"xueji.calendar.workdays.{_signal_name}.{_model}"
        )


def _exceptions_for_years(*years: int) -> _Exceptions:
    """chinesecalendar alone when it covers all the given years (no database access), otherwise
    chinesecalendar merged with the calendar table."""
    covered = official_data_years()
    if all(year in covered for year in years):
        return _official_exceptions()
    return _table().exceptions


# --- Counting -------------------------------------------------------------------------------


def _mondays_to_fridays_through(ordinal: int) -> int:
    """How many Mondays–Fridays have ordinals 1..ordinal. Ordinal 1 (0001-01-01) is a Monday,
    so every full week from there holds five and a partial week min(rest, 5)."""
    weeks, rest = divmod(ordinal, 7)
    return weeks * 5 + min(rest, 5)


def _working_days_through(ordinal: int, exceptions: _Exceptions) -> int:
    """How many working days have ordinals 1..ordinal: a day's rank among all working days."""
    return (
        _mondays_to_fridays_through(ordinal)
        - bisect_right(exceptions.days_off_on_weekdays, ordinal)
        + bisect_right(exceptions.working_weekend_days, ordinal)
    )


def _working_day_of_rank(rank: int, exceptions: _Exceptions) -> date:
    """The working day that is the rank-th since 0001-01-01: the first day whose running count
    reaches rank (the count only rises on working days, so that day is one)."""
    if rank < 1 or rank > _working_days_through(LAST_ORDINAL, exceptions):
        raise OverflowError("工作日计算超出了可表示的日期范围（公元1年至9999年）")
    # The running count never decreases, so a binary search over all ordinals finds it in
    # about 22 steps, however far away it is.
    index = bisect_left(range(1, LAST_ORDINAL + 1), rank, key=lambda o: _working_days_through(o, exceptions))
    return date.fromordinal(index + 1)


def _add_working_days_with(d: date, n: int, exceptions: _Exceptions) -> date:
    if n > 0:
        # The n-th working day after d has rank rank(d) + n.
        return _working_day_of_rank(_working_days_through(d.toordinal(), exceptions) + n, exceptions)
    # Counting back: the |n|-th working day before d is the one with |n| - 1 working days
    # between it and d, i.e. rank = (working days up to the day before d) - |n| + 1.
    return _working_day_of_rank(_working_days_through(d.toordinal() - 1, exceptions) + n + 1, exceptions)


# --- Public API -----------------------------------------------------------------------------


def is_working_day(d: date) -> bool:
    """True when ``d`` is a working day in China (see the module docstring for the rules):
    chinesecalendar for its years (the calendar table is ignored for them), otherwise
    Monday–Friday corrected by the calendar table's holidays and make-up working days."""
    exceptions = _exceptions_for_years(d.year)
    ordinal = d.toordinal()
    if ordinal in exceptions.working_weekend_set:
        return True
    return not _is_weekend(d) and ordinal not in exceptions.days_off_set


def add_working_days(d: date, n: int) -> date:
    """The n-th working day strictly after ``d``; ``d`` itself never counts, whether or not it
    is a working day.

    * n ≥ 1: 10 working days after 2026-09-25 (a holiday) is 2026-10-15, because the 中秋 and
      National Day holidays are skipped and the make-up Saturday 2026-10-10 counts.
      ``working_days_between(d, add_working_days(d, n)) == n``.
    * n = 0: ``d`` itself, unchanged (even when ``d`` is not a working day).
    * n ≤ -1: counts backwards, the |n|-th working day strictly before ``d``: one working day
      before a Saturday is the Friday. When ``d`` is a working day,
      ``working_days_between(add_working_days(d, n), d) == -n`` and
      ``add_working_days(add_working_days(d, n), -n) == d``.

    Raises OverflowError when the result would fall outside the dates Python can represent.
    """
    if n == 0:
        return d
    covered = official_data_years()
    if d.year in covered:
        # Try chinesecalendar alone first: if the answer stays within its years, the days
        # counted all lie there and the table is not needed.
        try:
            result = _add_working_days_with(d, n, _official_exceptions())
        except OverflowError:
            result = None
        if result is not None and result.year in covered:
            return result
    return _add_working_days_with(d, n, _table().exceptions)


def working_days_between(a: date, b: date) -> int:
    """The number of working days in (a, b]: after ``a``, up to and including ``b``.

    ``working_days_between(d, d) == 0``; from a Friday to the next Monday (no holiday) is 1;
    when ``b < a`` it is the negative of ``working_days_between(b, a)``. Inverse of
    ``add_working_days``: ``working_days_between(d, add_working_days(d, n)) == n`` for n ≥ 0.
    """
    exceptions = _exceptions_for_years(a.year, b.year)
    return _working_days_through(b.toordinal(), exceptions) - _working_days_through(a.toordinal(), exceptions)


def year_calendar_source(year: int) -> CalendarSource:
    """Where the working days of ``year`` come from:

    * ``"official"``: chinesecalendar covers the year (the calendar table is ignored for it);
    * ``"table"``: the calendar table, because the year has CalendarDay rows or a CalendarYear
      marked official (which may or may not be flagged, see ``year_is_flagged``);
    * ``"weekdays"``: nothing is known, plain Monday–Friday (always flagged).
    """
    if year in official_data_years():
        return "official"
    table = _table()
    if year in table.years_with_rows or year in table.official_years:
        return "table"
    return "weekdays"


def year_is_flagged(year: int) -> bool:
    """True when the working days of ``year`` are not known officially: chinesecalendar does
    not cover it and no CalendarYear with ``official=True`` exists for it. Rows entered without
    marking the year official still leave it flagged."""
    if year in official_data_years():
        return False
    return year not in _table().official_years


def flagged_years(start: int, end: int) -> list[int]:
    """The flagged years from ``start`` to ``end``, both included, in order; e.g.
    ``flagged_years(today.year, today.year + 1)`` for the warning on officers' home pages."""
    return [year for year in range(start, end + 1) if year_is_flagged(year)]
