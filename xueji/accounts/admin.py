"""Django admin for the system administrator: divisions, units, users and memberships, settings,
the calendar, login locks; the audit log read-only."""

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from xueji.accounts.models import (
    AuditEntry,
    Bureau,
    BureauSettings,
    CentralSchool,
    Division,
    LoginThrottle,
    Membership,
    School,
    Unit,
    User,
)

admin.site.site_header = "学籍管理系统 · 系统管理"
admin.site.site_title = "学籍系统管理"
admin.site.index_title = "系统管理"


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "full_name", "level", "in_use"]
    list_filter = ["level", "in_use"]
    search_fields = ["code", "name", "full_name"]
    readonly_fields = ["code"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["unit"]


@admin.register(Unit)
class UnitAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "code", "school_type", "parent", "division"]
    list_filter = ["kind", "school_type", "is_county_town"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "division"]
    readonly_fields = ["path"]


@admin.register(School)
class SchoolAdmin(UnitAdmin):
    """Schools only, with the fields a school has."""

    list_display = ["name", "code", "school_type", "parent", "township", "is_county_town"]
    list_filter = ["school_type", "is_county_town"]
    fields = ["name", "code", "school_type", "parent", "division", "township", "is_county_town", "path"]


@admin.register(Bureau)
class BureauAdmin(UnitAdmin):
    list_display = ["name", "kind", "parent", "division"]
    list_filter = ["kind"]
    fields = ["kind", "name", "parent", "division", "path"]


@admin.register(CentralSchool)
class CentralSchoolAdmin(UnitAdmin):
    list_display = ["name", "parent", "township"]
    list_filter = []
    fields = ["name", "parent", "division", "township", "path"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "full_name", "is_active", "last_login"]
    search_fields = ["username", "full_name"]
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        ("个人信息", {"fields": ["full_name", "phone", "email"]}),
        ("权限", {"fields": ["is_active", "is_staff", "is_superuser"]}),
        ("时间", {"fields": ["last_login", "date_joined"]}),
    ]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "full_name", "password1", "password2"]})]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "unit", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "unit__name"]
    autocomplete_fields = ["user", "unit"]


@admin.register(BureauSettings)
class BureauSettingsAdmin(admin.ModelAdmin):
    list_display = ["bureau", "class_cap_primary", "class_cap_junior"]
    autocomplete_fields = ["bureau"]


@admin.register(LoginThrottle)
class LoginThrottleAdmin(admin.ModelAdmin):
    list_display = ["username", "failures", "locked_until", "last_failure_at"]
    search_fields = ["username"]
    actions = ["unlock"]

    @admin.action(description="解除所选账号的登录锁定")
    def unlock(self, request, queryset):
        from xueji.accounts.login import login_unlock

        for row in queryset:
            login_unlock(username=row.username, actor=request.user)


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin):
    """Read-only: the log is append-only."""

    list_display = ["at", "username", "role", "action", "object_repr", "result", "ip"]
    list_filter = ["action", "result"]
    search_fields = ["username", "object_repr"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
