"""The working-day calendar beyond the years chinesecalendar knows (see xueji/calendar/workdays.py)."""

from django.db import models


class CalendarYear(models.Model):
    """A year entered by the system administrator. ``official`` says its holidays and make-up
    working days were entered from the State Council's notice; a year without it is flagged
    wherever deadlines are shown, because Monday–Friday is then only a guess."""

    year = models.PositiveSmallIntegerField("年份", unique=True)
    official = models.BooleanField("已按国务院通知录入", default=False)
    note = models.CharField("说明", max_length=200, blank=True)

    class Meta:
        verbose_name = "日历年份"
        verbose_name_plural = "日历年份"
        ordering = ["year"]

    def __str__(self) -> str:
        return f"{self.year}年"


class CalendarDay(models.Model):
    """An exception to Monday–Friday: a holiday on a weekday, or a make-up working day (调休上班)
    on a weekend. Rows for years chinesecalendar covers are ignored (it decides those years); a
    holiday on a weekend or a make-up day on a weekday changes nothing."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", "放假"
        WORKDAY = "workday", "调休上班"

    date = models.DateField("日期", unique=True)
    kind = models.CharField("类型", max_length=10, choices=Kind.choices)
    name = models.CharField("名称", max_length=50, blank=True)

    class Meta:
        verbose_name = "节假日与调休"
        verbose_name_plural = "节假日与调休"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"
