"""Admin pages of the working-day calendar (CalendarYear, CalendarDay), for the system admin.

Years chinesecalendar covers are decided by it (see xueji/calendar/workdays.py): the forms refuse rows for
those years, because the table would be ignored for them anyway.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from xueji.accounts.admin_roles import RoleAdminMixin
from xueji.calendar import workdays
from xueji.calendar.models import CalendarDay, CalendarYear

WEEKDAY_NAMES = "一二三四五六日"


def _official_years_text() -> str:
    years = workdays.official_data_years()
    return f"{years[0]}–{years[-1]}"


def _covered_year_message(year: int) -> str:
    return (
        f"{year}年的放假和调休由 chinesecalendar 提供（覆盖{_official_years_text()}年），"
        "日历表对这些年份不起作用，无需录入。"
    )


def _calendar_help() -> str:
    return (
        f"{_official_years_text()}年的工作日由 chinesecalendar 按国务院办公厅通知提供，本表对这些年份不起作用。"
        "其他年份以周一至周五为工作日，本表记录例外：工作日放假（放假），周末调休上班（调休上班）。"
        "没有标记“已按国务院通知录入”的年份，在显示期限的页面上会提示期限仅按周一至周五估算。"
    )


class CalendarYearForm(forms.ModelForm):
    class Meta:
        model = CalendarYear
        fields = ["year", "official", "note"]
        help_texts = {
            "official": "勾选表示该年的全部放假和调休日期已按国务院办公厅通知录入“节假日与调休”；"
            "未勾选的年份会在显示期限的页面上提示。",
            "note": "例如通知的文号和发布日期。",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].help_text = f"{_official_years_text()}年由 chinesecalendar 提供，不在此录入。"

    def clean_year(self) -> int:
        year = self.cleaned_data["year"]
        if year in workdays.official_data_years():
            raise forms.ValidationError(_covered_year_message(year))
        return year


class CalendarDayForm(forms.ModelForm):
    class Meta:
        model = CalendarDay
        fields = ["date", "kind", "name"]
        help_texts = {
            "kind": "放假：这一天不上班（周末放假无需单独录入，录入也不影响计算）；"
            "调休上班：周六或周日需要上班。",
            "name": "例如：春节、国庆节。",
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["date"].help_text = f"{_official_years_text()}年的日期由 chinesecalendar 提供，不在此录入。"

    def clean(self) -> dict:
        cleaned = super().clean()
        day = cleaned.get("date")
        if day is None:
            return cleaned
        if day.year in workdays.official_data_years():
            self.add_error("date", _covered_year_message(day.year))
        elif cleaned.get("kind") == CalendarDay.Kind.WORKDAY and day.weekday() < 5:
            # A make-up working day is always a weekend day; a weekday is a working day anyway.
            self.add_error("kind", f"{day}是星期{WEEKDAY_NAMES[day.weekday()]}，本来就是工作日；调休上班只用于周六、周日。")
        return cleaned


@admin.register(CalendarYear)
class CalendarYearAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The system admins' (global: every system admin, the superuser), each change audited."""

    scope = None
    form = CalendarYearForm
    list_display = ["year", "official", "source", "flagged", "note"]
    list_filter = ["official"]
    fieldsets = [(None, {"fields": ["year", "official", "note"], "description": _calendar_help()})]

    @admin.display(description="工作日来源")
    def source(self, obj: CalendarYear) -> str:
        return {
            "official": "chinesecalendar（本表不起作用）",
            "table": "本表",
            "weekdays": "仅周一至周五",
        }[workdays.year_calendar_source(obj.year)]

    @admin.display(description="需要提示（非官方数据）", boolean=True)
    def flagged(self, obj: CalendarYear) -> bool:
        return workdays.year_is_flagged(obj.year)


class CalendarDayYearFilter(admin.SimpleListFilter):
    title = "年份"
    parameter_name = "year"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, str]]:
        years = CalendarDay.objects.dates("date", "year", order="DESC")
        return [(str(d.year), f"{d.year}年") for d in years]

    def queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> QuerySet[CalendarDay]:
        if self.value() and self.value().isdigit():
            return queryset.filter(date__year=int(self.value()))
        return queryset


@admin.register(CalendarDay)
class CalendarDayAdmin(RoleAdminMixin, admin.ModelAdmin):
    scope = None
    form = CalendarDayForm
    list_display = ["date", "weekday", "kind", "name", "in_effect"]
    list_filter = ["kind", CalendarDayYearFilter]
    search_fields = ["name"]
    fieldsets = [(None, {"fields": ["date", "kind", "name"], "description": _calendar_help()})]

    @admin.display(description="星期")
    def weekday(self, obj: CalendarDay) -> str:
        return f"星期{WEEKDAY_NAMES[obj.date.weekday()]}"

    @admin.display(description="参与计算", boolean=True)
    def in_effect(self, obj: CalendarDay) -> bool:
        # Rows for chinesecalendar's years, and a holiday on a weekend, change nothing.
        if obj.date.year in workdays.official_data_years():
            return False
        if obj.kind == CalendarDay.Kind.HOLIDAY:
            return obj.date.weekday() < 5
        return obj.date.weekday() >= 5
