"""Django admin of pupils' package for the system administrator: school years and their semesters."""

from django.contrib import admin

from xueji.pupils.models import SchoolYear, Semester


class SemesterInline(admin.TabularInline):
    model = Semester
    extra = 0


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = ["__str__", "start_date", "end_date"]
    inlines = [SemesterInline]
