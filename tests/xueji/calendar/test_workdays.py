"""Working days on China's calendar (xueji/calendar/workdays.py): chinesecalendar for its years, then the
calendar table, then Monday–Friday with the year flagged."""

import io
import random
from datetime import date, timedelta

import chinese_calendar
import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

import xueji.calendar.admin  # noqa: F401  (registers the calendar admin pages)
from xueji.calendar import workdays
from xueji.calendar.models import CalendarDay, CalendarYear
from xueji.calendar.workdays import (
    add_working_days,
    flagged_years,
    is_working_day,
    working_days_between,
    year_calendar_source,
    year_is_flagged,
)

HOLIDAY = CalendarDay.Kind.HOLIDAY
WORKDAY = CalendarDay.Kind.WORKDAY


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    # pytest-django rolls each test back without post_delete signals: start and end clean.
    workdays.clear_cache()
    yield
    workdays.clear_cache()


def walk_between(a: date, b: date) -> int:
    """Reference: working days in (a, b], counted one day at a time."""
    if b < a:
        return -walk_between(b, a)
    return sum(is_working_day(a + timedelta(days=i)) for i in range(1, (b - a).days + 1))


def walk_add(d: date, n: int) -> date:
    """Reference: the n-th working day after d (before d when n < 0), one day at a time."""
    step = timedelta(days=1 if n > 0 else -1)
    for _ in range(abs(n)):
        d += step
        while not is_working_day(d):
            d += step
    return d


def dates_from(start: date, count: int, seed: int) -> list[date]:
    rng = random.Random(seed)
    return [start + timedelta(days=rng.randrange(0, 4 * 365)) for _ in range(count)]


# --- chinesecalendar's years ----------------------------------------------------------------


def test_ten_working_days_after_mid_autumn_2026():
    # 2026-09-25 is 中秋 (off); 10-01..10-07 National Day off; Saturday 10-10 is a make-up day.
    assert add_working_days(date(2026, 9, 25), 10) == date(2026, 10, 15)
    assert working_days_between(date(2026, 9, 25), date(2026, 10, 15)) == 10
    assert working_days_between(date(2026, 10, 15), date(2026, 9, 25)) == -10


def test_differs_from_chinesecalendar_find_workday_from_a_holiday():
    # find_workday moves to the next working day first, so from a holiday it is one day later.
    assert chinese_calendar.find_workday(10, date(2026, 9, 25)) == date(2026, 10, 16)
    assert add_working_days(date(2026, 9, 25), 10) == date(2026, 10, 15)


def test_spring_festival_2026_is_skipped_and_its_make_up_saturdays_count():
    assert not any(is_working_day(date(2026, 2, day)) for day in range(15, 24))  # 2-15 .. 2-23
    assert is_working_day(date(2026, 2, 14)) and is_working_day(date(2026, 2, 28))  # Saturdays
    assert add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert add_working_days(date(2026, 2, 14), 1) == date(2026, 2, 24)
    assert working_days_between(date(2026, 2, 13), date(2026, 2, 27)) == 5  # 14th, 24th–27th


def test_make_up_working_days_on_a_weekend_count():
    assert is_working_day(date(2026, 9, 20))  # Sunday, make-up for 中秋
    assert is_working_day(date(2026, 10, 10))  # Saturday, make-up for National Day
    assert not is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert add_working_days(date(2026, 10, 9), 1) == date(2026, 10, 10)
    assert working_days_between(date(2026, 10, 9), date(2026, 10, 12)) == 2  # Saturday and Monday


def test_is_working_day_matches_chinesecalendar_on_every_day_it_covers():
    years = workdays.official_data_years()
    assert years[0] == 2004 and years[-1] >= 2026
    day, last = date(years[0], 1, 1), date(years[-1], 12, 31)
    while day <= last:
        assert is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_zero_returns_the_date_itself_even_on_a_holiday():
    assert add_working_days(date(2026, 10, 1), 0) == date(2026, 10, 1)
    assert working_days_between(date(2026, 10, 1), date(2026, 10, 1)) == 0


def test_negative_counts_back_to_the_working_day_strictly_before():
    assert add_working_days(date(2026, 10, 10), -1) == date(2026, 10, 9)  # make-up Saturday → Friday
    assert add_working_days(date(2026, 10, 11), -1) == date(2026, 10, 10)  # Sunday → make-up Saturday
    assert add_working_days(date(2026, 10, 8), -1) == date(2026, 9, 30)  # across National Day
    # 9-25 (中秋) is not a working day, so ten back from 10-15 ends on 9-24, not 9-25.
    assert add_working_days(date(2026, 10, 15), -10) == date(2026, 9, 24)


def test_calendar_years_need_no_database_access():
    # Not marked django_db: pytest-django would fail any query.
    assert year_calendar_source(2026) == "official"
    assert not year_is_flagged(2026)
    assert flagged_years(2004, 2026) == []
    assert add_working_days(date(2026, 9, 25), 10) == date(2026, 10, 15)


@pytest.mark.django_db
def test_table_is_ignored_for_years_chinesecalendar_covers():
    CalendarDay.objects.create(date=date(2026, 10, 12), kind=HOLIDAY, name="误录")  # a Monday
    CalendarDay.objects.create(date=date(2026, 10, 13), kind=HOLIDAY, name="误录")  # a Tuesday
    CalendarDay.objects.create(date=date(2026, 10, 17), kind=WORKDAY, name="误录")  # a Saturday
    CalendarDay.objects.create(date=date(2026, 10, 1), kind=WORKDAY, name="误录")  # National Day
    CalendarYear.objects.create(year=2026, official=False)
    assert is_working_day(date(2026, 10, 12)) and is_working_day(date(2026, 10, 13))
    assert not is_working_day(date(2026, 10, 17))
    assert not is_working_day(date(2026, 10, 1))
    assert add_working_days(date(2026, 9, 25), 10) == date(2026, 10, 15)
    # Also when the count reaches the table's years, which loads the table: after Oct 9 come the
    # make-up Saturday Oct 10 and 59 Mondays–Fridays to Dec 31, then Jan 1 and Jan 4 (2027 has no
    # rows here); the rows above take nothing away.
    assert working_days_between(date(2026, 10, 9), date(2027, 1, 4)) == 62
    assert add_working_days(date(2026, 10, 9), 62) == date(2027, 1, 4)
    assert working_days_between(date(2026, 10, 9), date(2026, 10, 19)) == 7  # 10th, 12th–16th, 19th
    assert year_calendar_source(2026) == "official"
    assert not year_is_flagged(2026)


# --- Beyond chinesecalendar: the table, then Monday–Friday ----------------------------------


@pytest.mark.django_db
def test_count_from_december_2026_into_2027_without_table_is_monday_to_friday_and_flags_2027():
    # 12-29, 12-30, 12-31, 2027-01-01 (a Friday, but nothing says it is off), 01-04.
    assert add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 4)
    assert working_days_between(date(2026, 12, 28), date(2027, 1, 4)) == 5
    assert is_working_day(date(2027, 1, 1))
    assert not is_working_day(date(2027, 1, 2))
    assert year_calendar_source(2027) == "weekdays"
    assert year_is_flagged(2027)
    assert flagged_years(2026, 2027) == [2027]


@pytest.mark.django_db
def test_count_from_december_2026_into_2027_uses_table_rows():
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=HOLIDAY, name="元旦")
    assert not is_working_day(date(2027, 1, 1))
    assert add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 5)
    assert working_days_between(date(2026, 12, 28), date(2027, 1, 5)) == 5
    # Rows without an official CalendarYear: the table decides, but the year stays flagged.
    assert year_calendar_source(2027) == "table"
    assert year_is_flagged(2027)

    CalendarYear.objects.create(year=2027, official=True)
    assert not year_is_flagged(2027)
    assert flagged_years(2026, 2028) == [2028]


@pytest.mark.django_db
def test_table_make_up_weekend_day_counts_and_weekend_holiday_changes_nothing():
    CalendarDay.objects.create(date=date(2027, 2, 13), kind=WORKDAY, name="春节调休")  # Saturday
    CalendarDay.objects.create(date=date(2027, 2, 6), kind=HOLIDAY, name="春节")  # Saturday anyway
    assert is_working_day(date(2027, 2, 13))
    assert add_working_days(date(2027, 2, 12), 1) == date(2027, 2, 13)
    assert working_days_between(date(2027, 2, 5), date(2027, 2, 8)) == 1  # only Monday the 8th


@pytest.mark.django_db
def test_official_year_without_rows_is_table_and_not_flagged():
    CalendarYear.objects.create(year=2028, official=True)
    assert year_calendar_source(2028) == "table"
    assert not year_is_flagged(2028)
    # A year entered but not marked official stays flagged.
    CalendarYear.objects.create(year=2029, official=False)
    assert year_is_flagged(2029)
    assert year_calendar_source(2029) == "weekdays"


@pytest.mark.django_db
def test_counting_across_centuries_is_arithmetic_not_a_walk(django_assert_max_num_queries):
    # 400 Gregorian years are exactly 20871 weeks: 104355 Mondays–Fridays, no table rows there.
    with django_assert_max_num_queries(2):
        assert working_days_between(date(2100, 1, 1), date(2500, 1, 1)) == 20871 * 5
        assert add_working_days(date(2100, 1, 1), 20871 * 5) == date(2500, 1, 1)


def test_count_beyond_the_last_representable_date_raises_overflow(db):
    with pytest.raises(OverflowError):
        add_working_days(date(9999, 12, 30), 5)
    with pytest.raises(OverflowError):
        add_working_days(date(1, 1, 3), -5)


# --- The identity, over many dates -----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("with_2027_rows", [False, True])
def test_between_inverts_add_over_many_dates(with_2027_rows):
    if with_2027_rows:
        call_command(
            "calendar_import_year",
            "2027",
            holidays="2027-01-01,2027-02-05..2027-02-11,2027-10-01..2027-10-07",
            workdays="2027-02-13,2027-02-20,2027-10-09",
            stdout=io.StringIO(),
        )
    for i, d in enumerate(dates_from(date(2025, 6, 1), 300, seed=2026)):
        n = i % 40
        later = add_working_days(d, n)
        assert working_days_between(d, later) == n, (d, n)
        assert later == walk_add(d, n), (d, n)
        if n:
            assert is_working_day(later) and later > d, (d, n)


@pytest.mark.django_db
def test_backward_counts_agree_with_walking_and_undo_forward_counts():
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=HOLIDAY)
    CalendarDay.objects.create(date=date(2027, 2, 13), kind=WORKDAY)
    for i, d in enumerate(dates_from(date(2025, 6, 1), 300, seed=7)):
        n = -(1 + i % 30)
        earlier = add_working_days(d, n)
        assert earlier == walk_add(d, n), (d, n)
        assert is_working_day(earlier) and earlier < d, (d, n)
        if is_working_day(d):
            assert working_days_between(earlier, d) == -n, (d, n)
            assert add_working_days(earlier, -n) == d, (d, n)


@pytest.mark.django_db
def test_between_agrees_with_walking_both_ways():
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=HOLIDAY)
    CalendarDay.objects.create(date=date(2027, 2, 13), kind=WORKDAY)
    starts = dates_from(date(2025, 6, 1), 150, seed=11)
    ends = dates_from(date(2025, 6, 1), 150, seed=12)
    for a, b in zip(starts, ends):
        assert working_days_between(a, b) == walk_between(a, b), (a, b)
        assert working_days_between(b, a) == -working_days_between(a, b), (a, b)


# --- The cache --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_repeated_calls_do_not_query_the_database(django_assert_num_queries):
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=HOLIDAY)
    assert add_working_days(date(2026, 12, 28), 5) == date(2027, 1, 5)  # loads the table
    with django_assert_num_queries(0):
        for d in dates_from(date(2026, 6, 1), 2000, seed=3):
            add_working_days(d, 10)
            working_days_between(d, d + timedelta(days=30))
            is_working_day(d)
            year_is_flagged(d.year)


@pytest.fixture
def admin_client(login, world):
    """The system admin (the calendar is theirs), logged in with the second factor."""
    return login(world.user("sysadmin"))


@pytest.mark.django_db
def test_adding_a_calendar_day_in_the_admin_takes_effect_at_once(admin_client):
    assert is_working_day(date(2027, 1, 4))  # caches the table: 2027 is plain Monday–Friday
    response = admin_client.post(
        reverse("admin:xueji_calendarday_add"), {"date": "2027-01-04", "kind": HOLIDAY, "name": "测试放假"}
    )
    assert response.status_code == 302, response.content.decode()
    assert not is_working_day(date(2027, 1, 4))
    assert add_working_days(date(2026, 12, 31), 2) == date(2027, 1, 5)


@pytest.mark.django_db
def test_deleting_a_calendar_day_or_changing_a_year_takes_effect_at_once():
    day = CalendarDay.objects.create(date=date(2027, 1, 1), kind=HOLIDAY)
    year = CalendarYear.objects.create(year=2027, official=True)
    assert not is_working_day(date(2027, 1, 1)) and not year_is_flagged(2027)
    day.delete()
    assert is_working_day(date(2027, 1, 1))
    year.official = False
    year.save()
    assert year_is_flagged(2027)


@pytest.mark.django_db
def test_changes_without_signals_are_seen_once_the_snapshot_is_too_old(monkeypatch):
    # What another process's change looks like here: no signal reaches this process.
    CalendarDay.objects.create(date=date(2027, 1, 4), kind=HOLIDAY)
    assert not is_working_day(date(2027, 1, 4))
    CalendarDay.objects.filter(date=date(2027, 1, 4)).update(kind=WORKDAY)  # QuerySet.update: no signal
    assert not is_working_day(date(2027, 1, 4))  # still the cached snapshot
    monkeypatch.setattr(workdays, "TABLE_SNAPSHOT_MAX_AGE_SECONDS", -1.0)  # as if it had aged
    assert is_working_day(date(2027, 1, 4))


@pytest.mark.django_db
def test_admin_refuses_rows_for_chinesecalendar_years_and_weekday_make_up_days(admin_client):
    url = reverse("admin:xueji_calendarday_add")
    response = admin_client.post(url, {"date": "2026-10-12", "kind": HOLIDAY, "name": ""})
    assert response.status_code == 200
    assert "由 chinesecalendar 提供" in response.content.decode()
    response = admin_client.post(url, {"date": "2027-01-04", "kind": WORKDAY, "name": ""})
    assert response.status_code == 200
    assert "本来就是工作日" in response.content.decode()
    assert not CalendarDay.objects.exists()


@pytest.mark.django_db
def test_admin_lists_show_source_and_flag(admin_client):
    CalendarYear.objects.create(year=2027, official=False)
    CalendarDay.objects.create(date=date(2027, 1, 1), kind=HOLIDAY, name="元旦")
    page = admin_client.get(reverse("admin:xueji_calendaryear_changelist")).content.decode()
    assert "工作日来源" in page and "本表" in page
    page = admin_client.get(reverse("admin:xueji_calendarday_changelist") + "?year=2027").content.decode()
    assert "元旦" in page and "星期五" in page


# --- manage.py calendar_import_year -----------------------------------------------------------


@pytest.mark.django_db
def test_import_year_fills_table_marks_official_and_replaces_on_rerun():
    out = io.StringIO()
    call_command(
        "calendar_import_year",
        "2027",
        holidays="元旦=2027-01-01,春节=2027-02-05..2027-02-11",
        workdays="2027-02-13,2027-02-20",
        note="国办发明电〔2026〕X号",
        stdout=out,
    )
    assert "已导入 2027 年" in out.getvalue()
    assert CalendarDay.objects.filter(kind=HOLIDAY).count() == 8
    assert CalendarDay.objects.get(date=date(2027, 2, 8)).name == "春节"
    assert list(CalendarDay.objects.filter(kind=WORKDAY).values_list("date", flat=True)) == [
        date(2027, 2, 13),
        date(2027, 2, 20),
    ]
    assert CalendarYear.objects.get(year=2027).official
    assert not year_is_flagged(2027) and year_calendar_source(2027) == "table"
    assert not is_working_day(date(2027, 2, 8)) and is_working_day(date(2027, 2, 13))
    assert add_working_days(date(2027, 2, 4), 1) == date(2027, 2, 12)

    call_command("calendar_import_year", "2027", holidays="2027-01-01", stdout=io.StringIO())
    assert list(CalendarDay.objects.values_list("date", flat=True)) == [date(2027, 1, 1)]
    assert is_working_day(date(2027, 2, 8))


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("year", "options", "message"),
    [
        ("2027", {"holidays": "2027-01-01,2028-01-01"}, "日期 2028-01-01 不在 2027 年内"),
        ("2027", {"holidays": "2027-12-30..2028-01-02"}, "日期 2028-01-02 不在 2027 年内"),
        ("2027", {"holidays": "2027-01-01", "workdays": "2026-12-27"}, "日期 2026-12-27 不在 2027 年内"),
        ("2026", {"holidays": "2026-01-01"}, "由 chinesecalendar 提供"),
        ("2027", {"holidays": "2027-1-32"}, "不是有效日期"),
        ("2027", {"holidays": "2027-02-11..2027-02-05"}, "开始日期晚于结束日期"),
        ("2027", {"holidays": "2027-01-01", "workdays": "2027-01-04"}, "本来就是工作日"),
        ("2027", {"holidays": "2027-02-13", "workdays": "2027-02-13"}, "同时出现在"),
        ("2027", {}, "请用 --holidays"),
        ("二〇二七", {"holidays": "2027-01-01"}, "不是整数"),
    ],
)
def test_import_year_explains_errors_in_chinese_and_changes_nothing(year, options, message):
    with pytest.raises(CommandError, match=message):
        call_command("calendar_import_year", year, stdout=io.StringIO(), **options)
    assert not CalendarDay.objects.exists()
    assert not CalendarYear.objects.exists()
    assert year_is_flagged(2027)
