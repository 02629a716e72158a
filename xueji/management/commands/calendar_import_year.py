"""Enter one year's holidays and make-up working days from the State Council's notice.

    manage.py calendar_import_year 2027 --holidays 2027-01-01,春节=2027-02-05..2027-02-11 --workdays 2027-02-14

Each item is a date (YYYY-MM-DD) or a range (YYYY-MM-DD..YYYY-MM-DD, both ends included),
optionally preceded by a name and "=". The year's CalendarDay rows are replaced by exactly the
given days and its CalendarYear is marked official, in one transaction, so running the command
again with a corrected list is safe. Errors are explained in Chinese.
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from xueji.calendar import workdays
from xueji.calendar.models import CalendarDay, CalendarYear

WEEKDAY_NAMES = "一二三四五六日"
ITEM_SEPARATORS = re.compile(r"[,，]")
FORMAT_HINT = "日期写成 YYYY-MM-DD，区间写成 YYYY-MM-DD..YYYY-MM-DD，可在前面加“名称=”，多项用逗号分隔"


def parse_year(text: str) -> int:
    try:
        year = int(text)
    except ValueError:
        raise CommandError(f"年份“{text}”不是整数，例如 2027。") from None
    if not 1 <= year <= 9999:
        raise CommandError(f"年份 {year} 超出范围（1–9999）。")
    covered = workdays.official_data_years()
    if year in covered:
        raise CommandError(
            f"{year}年的放假和调休由 chinesecalendar 提供（覆盖{covered[0]}–{covered[-1]}年），"
            "日历表对这些年份不起作用，无需导入。"
        )
    return year


def parse_date(text: str, option: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(f"{option} 中的“{text}”不是有效日期：{FORMAT_HINT}。") from None


def parse_days(text: str, option: str, year: int) -> dict[date, str]:
    """The days listed in one option, each with its name ("" when none was given)."""
    days: dict[date, str] = {}
    for item in (part.strip() for part in ITEM_SEPARATORS.split(text)):
        if not item:
            continue
        name, _, span = item.rpartition("=")
        first_text, _, last_text = span.partition("..")
        first = parse_date(first_text, option)
        last = parse_date(last_text, option) if last_text else first
        if last < first:
            raise CommandError(f"{option} 中的区间“{span}”开始日期晚于结束日期。")
        for day in (first, last):
            if day.year != year:
                raise CommandError(f"{option} 中的日期 {day} 不在 {year} 年内：所有日期都必须属于导入的年份。")
        day = first
        while day <= last:
            days.setdefault(day, name.strip())
            day += timedelta(days=1)
    return days


def check_make_up_days_are_weekends(working: dict[date, str]) -> None:
    for day in sorted(working):
        if day.weekday() < 5:
            raise CommandError(
                f"--workdays 中的 {day} 是星期{WEEKDAY_NAMES[day.weekday()]}，本来就是工作日；"
                "--workdays 只列周六、周日的调休上班日。"
            )


class Command(BaseCommand):
    help = "按国务院办公厅通知录入一年的放假和调休上班日期，并将该年标记为已按通知录入（替换该年原有记录）。"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("year", help="年份，例如 2027")
        parser.add_argument("--holidays", default="", help=f"放假日期（{FORMAT_HINT}）")
        parser.add_argument("--workdays", default="", help="调休上班的周六、周日（格式同上）")
        parser.add_argument("--note", default="", help="说明，例如通知的文号")

    def handle(self, *args: object, **options: str) -> None:
        year = parse_year(options["year"])
        holidays = parse_days(options["holidays"], "--holidays", year)
        working = parse_days(options["workdays"], "--workdays", year)
        if not holidays:
            raise CommandError("请用 --holidays 列出该年的全部放假日期（例如 --holidays 2027-01-01）。")
        both = sorted(set(holidays) & set(working))
        if both:
            raise CommandError(f"{both[0]} 同时出现在 --holidays 和 --workdays 中，一天只能是其中一种。")
        check_make_up_days_are_weekends(working)

        rows = [CalendarDay(date=d, kind=CalendarDay.Kind.HOLIDAY, name=n) for d, n in sorted(holidays.items())]
        rows += [CalendarDay(date=d, kind=CalendarDay.Kind.WORKDAY, name=n) for d, n in sorted(working.items())]
        with transaction.atomic():
            CalendarDay.objects.filter(date__year=year).delete()
            CalendarDay.objects.bulk_create(rows)
            CalendarYear.objects.update_or_create(year=year, defaults={"official": True, "note": options["note"]})
        # bulk_create sends no post_save: drop this process's cached table ourselves.
        workdays.clear_cache()

        weekday_holidays = sum(1 for d in holidays if d.weekday() < 5)
        self.stdout.write(
            self.style.SUCCESS(
                f"已导入 {year} 年：放假 {len(holidays)} 天（其中周一至周五 {weekday_holidays} 天），"
                f"调休上班 {len(working)} 天；该年已标记为已按国务院通知录入。"
            )
        )
