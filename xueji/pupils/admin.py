"""Django admin of pupils' package for the system administrators: school years and their semesters
(global tables, xueji/accounts/admin_roles.py). Pupils are deliberately not in the admin."""

from django.contrib import admin

from xueji.accounts.admin_roles import RoleAdminMixin
from xueji.pupils.models import SchoolYear, Semester


class SemesterInline(RoleAdminMixin, admin.TabularInline):
    scope = None
    model = Semester
    extra = 0


@admin.register(SchoolYear)
class SchoolYearAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Global: every system admin (and the superuser), each change audited."""

    scope = None
    list_display = ["__str__", "start_date", "end_date"]
    inlines = [SemesterInline]
