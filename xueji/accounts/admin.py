"""Django admin for the three admins (三员分立), each ModelAdmin saying who sees it
(xueji/accounts/admin_roles.py):

- system admin: divisions, units, users (created with a first password to change at the first
  login; never another's password) and their memberships of the schools' and bureaus' roles,
  the bureaus' settings — all within the bureau's subtree;
- security admin: memberships (the three admin roles too, at units strictly below its own),
  the login lockouts of its subtree (unlocking; the accounts' security pages do the rest);
- audit admin: the audit log of its subtree, read-only;
- the break-glass superuser: everything, audited like anyone.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm, UserCreationForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from xueji.accounts.admin_roles import (
    RoleAdminMixin,
    account_refusal,
    admin_units,
    audit_admin_action,
    grant_refusal,
    grantable_roles,
    membership_refusal,
    snapshot,
    units_under,
    usernames_under,
)
from xueji.accounts.models import (
    BUREAU_KINDS,
    AddressThrottle,
    AuditEntry,
    Bureau,
    BureauSettings,
    CentralSchool,
    Division,
    LoginThrottle,
    Membership,
    Role,
    School,
    Unit,
    User,
)

SYSTEM = frozenset({Role.SYSTEM_ADMIN})
SECURITY = frozenset({Role.SECURITY_ADMIN})
AUDIT = frozenset({Role.AUDIT_ADMIN})
NOBODY = frozenset()

# Tokens are hashes and devices hold secrets: neither is anyone's business in the admin (a
# security admin resets a user's devices on the accounts' security page).
for _model in (AuthToken, TOTPDevice, StaticDevice):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)


@admin.register(Division)
class DivisionAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The national code table (GB/T 2260): global, as the calendar is."""

    scope = None
    list_display = ["code", "full_name", "level", "in_use"]
    list_filter = ["level", "in_use"]
    search_fields = ["code", "name", "full_name"]
    readonly_fields = ["code"]


# Memberships ----------------------------------------------------------------------------------

class MembershipForm(forms.ModelForm):
    """A membership as an admin grants it: the unit's kind for the role (the model's check) and
    who may grant what where (admin_roles.grant_refusal). ``actor`` and ``acting_role`` are set
    on the class the admin builds for each request."""

    actor: User | None = None
    acting_role: str | None = None

    class Meta:
        model = Membership
        fields = ["user", "unit", "role"]

    def clean(self):
        cleaned = super().clean()
        if self.actor is None or not self.has_changed():
            return cleaned
        user = cleaned.get("user") or (self.instance.user if self.instance.user_id else None)
        unit, role = cleaned.get("unit"), cleaned.get("role")
        if unit is None or not role:
            return cleaned
        if self.instance.pk:
            stored = Membership.objects.select_related("user", "unit").get(pk=self.instance.pk)
            refusal = membership_refusal(self.actor, stored, self.acting_role)
            if refusal:
                raise ValidationError(refusal)
        refusal = grant_refusal(self.actor, user=user, unit=unit, role=role, acting_role=self.acting_role,
                                membership=self.instance if self.instance.pk else None)
        if refusal:
            raise ValidationError(refusal)
        return cleaned


class MembershipInlineFormSet(BaseInlineFormSet):
    """Removing a row is a revocation: checked like a grant."""

    actor: User | None = None
    acting_role: str | None = None

    def clean(self):
        super().clean()
        if self.actor is None:
            return
        for form in self.deleted_forms:
            if form.instance.pk:
                stored = Membership.objects.select_related("user", "unit").get(pk=form.instance.pk)
                refusal = membership_refusal(self.actor, stored, self.acting_role)
                if refusal:
                    raise ValidationError(refusal)


class MembershipInline(RoleAdminMixin, admin.TabularInline):
    model = Membership
    form = MembershipForm
    formset = MembershipInlineFormSet
    scope = "unit__path"
    extra = 0
    fields = ["unit", "role"]

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        role = None if self.is_superuser(request) else Role.SYSTEM_ADMIN
        formset.actor = formset.form.actor = request.user
        formset.acting_role = formset.form.acting_role = role
        return formset

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [("", "---------"), *grantable_roles(request.user, Role.SYSTEM_ADMIN)]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


@admin.register(Membership)
class MembershipAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Granting roles: the system admin the schools' and bureaus' roles, the security admin every
    role (the three admins' at units strictly below its own); never to oneself."""

    view_roles = SYSTEM | SECURITY
    scope = "unit__path"
    form = MembershipForm
    list_display = ["user", "role", "unit", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__full_name", "unit__name"]

    def object_refusal(self, request, obj) -> str:
        return membership_refusal(request.user, obj, self.acting_role(request))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        form.acting_role = None if self.is_superuser(request) else self.acting_role(request)
        return form

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "role":
            kwargs["choices"] = [("", "---------"), *grantable_roles(request.user, self.acting_role(request))]
        return super().formfield_for_choice_field(db_field, request, **kwargs)


# Units ----------------------------------------------------------------------------------------

@admin.register(Unit)
class UnitAdmin(RoleAdminMixin, admin.ModelAdmin):
    """The units of the system admin's subtree. Its own bureau is kept by the admin above."""

    list_display = ["name", "kind", "code", "school_type", "parent", "division"]
    list_filter = ["kind", "school_type", "is_county_town"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent", "division"]
    readonly_fields = ["path"]

    def object_refusal(self, request, obj) -> str:
        if any(unit.pk == obj.pk for unit in admin_units(request.user, self.view_roles)):
            return "本单位的信息由上级单位的系统管理员维护。"
        return ""

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not self.is_superuser(request) and "parent" in form.base_fields:
            form.base_fields["parent"].required = True  # a new unit sits inside the subtree
        return form


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


# Users ----------------------------------------------------------------------------------------

class UserAddForm(UserCreationForm):
    """A new account: its first password (to be changed at the first login) and its first role,
    so that it is inside the admin's subtree from the start."""

    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.none())
    role = forms.ChoiceField(label="角色", choices=())

    actor: User | None = None
    acting_role: str | None = None

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "full_name", "phone"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        actor = self.actor
        if actor is not None and not actor.is_superuser:
            self.fields["unit"].queryset = units_under(admin_units(actor, self.acting_role)).order_by("path")
        else:
            self.fields["unit"].queryset = Unit.objects.order_by("path")
        self.fields["role"].choices = [("", "---------"), *grantable_roles(actor, self.acting_role)] if actor else []
        self.fields["password1"].help_text = "初始密码：账号第一次登录时须修改。" + (self.fields["password1"].help_text or "")

    def clean(self):
        cleaned = super().clean()
        unit, role = cleaned.get("unit"), cleaned.get("role")
        if unit is None or not role or self.actor is None:
            return cleaned
        try:
            Membership(unit=unit, role=role).clean()
        except ValidationError as error:
            for field, messages_ in error.message_dict.items():
                self.add_error(field if field in self.fields else None, messages_)
            return cleaned
        refusal = grant_refusal(self.actor, user=None, unit=unit, role=role, acting_role=self.acting_role)
        if refusal:
            self.add_error("role", refusal)
        return cleaned


class TemporaryPasswordForm(AdminPasswordChangeForm):
    """The break-glass superuser's password form: what it sets is temporary, as the security
    admin's reset is (changed at the next login), and audited."""

    def save(self, commit=True):
        from xueji.accounts.audit import audit_record

        self.user._password_set_by_admin = True
        user = super().save(commit)
        audit_record(action="password.reset", obj=user,
                     detail=f"{user.username}：超级管理员在管理后台设置临时密码，下次登录须修改；结束全部会话和接口令牌")
        return user


@admin.register(User)
class UserAdmin(RoleAdminMixin, DjangoUserAdmin):
    """The accounts of the system admin's subtree (users with a membership there). Passwords are
    the security admin's (reset on the security pages); only the superuser sets is_staff or
    is_superuser; accounts are disabled, not deleted."""

    delete_roles = NOBODY
    add_form = UserAddForm
    change_password_form = TemporaryPasswordForm
    list_display = ["username", "full_name", "is_active", "last_login"]
    list_filter = ["is_active"]
    search_fields = ["username", "full_name"]
    add_fieldsets = [(None, {"classes": ["wide"], "fields": ["username", "full_name", "phone", "unit", "role",
                                                             "password1", "password2"]})]
    inlines = [MembershipInline]

    def scoped(self, request, queryset):
        if self.is_superuser(request):
            return queryset
        from xueji.accounts.admin_roles import users_under

        return queryset.filter(pk__in=users_under(self.scope_units(request)).values("pk"))

    def object_refusal(self, request, obj) -> str:
        return account_refusal(request.user, obj, Role.SYSTEM_ADMIN)

    def audit_unit(self, obj):
        if not isinstance(obj, User):
            return super().audit_unit(obj)  # an inline's membership
        membership = Membership.objects.filter(user=obj).select_related("unit").first() if obj.pk else None
        return membership.unit if membership else None

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return self.add_fieldsets
        if self.is_superuser(request):
            return [
                (None, {"fields": ["username", "password"]}),
                ("个人信息", {"fields": ["full_name", "phone", "email"]}),
                ("权限", {"fields": ["is_active", "is_staff", "is_superuser"]}),
                ("状态", {"fields": ["must_change_password", "sealed_at", "last_login", "date_joined"]}),
            ]
        return [
            (None, {"fields": ["username"]}),
            ("个人信息", {"fields": ["full_name", "phone", "email"]}),
            ("状态", {"fields": ["is_active", "must_change_password", "sealed_at", "last_login", "date_joined"],
                      "description": "解锁、解封、重置密码和动态验证码由安全管理员在“账号安全”页面办理。"}),
        ]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        if self.is_superuser(request):
            return ["last_login", "date_joined"]
        return ["must_change_password", "sealed_at", "last_login", "date_joined"]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        form.actor = request.user
        form.acting_role = None if self.is_superuser(request) else Role.SYSTEM_ADMIN
        return form

    def user_change_password(self, request, id, form_url=""):
        if not self.is_superuser(request):
            raise PermissionDenied  # the security admin resets passwords (accounts' security pages)
        return super().user_change_password(request, id, form_url)

    def save_model(self, request, obj, form, change):
        if not self.is_superuser(request):
            stored = User.objects.filter(pk=obj.pk).values("is_staff", "is_superuser").first() if change else None
            obj.is_staff = bool(stored and stored["is_staff"])
            obj.is_superuser = bool(stored and stored["is_superuser"])
        if change:
            super().save_model(request, obj, form, change)
            return
        obj.must_change_password = True  # the first password is the admin's: changed at the first login
        admin.ModelAdmin.save_model(self, request, obj, form, change)
        membership = Membership.objects.create(user=obj, unit=form.cleaned_data["unit"], role=form.cleaned_data["role"])
        after = {**snapshot(obj, self.audit_exclude), "任职": f"{membership.unit.name} {membership.get_role_display()}"}
        audit_admin_action("admin.add", obj, before={}, after=after, unit=membership.unit)


@admin.register(BureauSettings)
class BureauSettingsAdmin(RoleAdminMixin, admin.ModelAdmin):
    scope = "bureau__path"
    list_display = ["bureau", "class_cap_primary", "class_cap_junior", "class_cap_special"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "bureau" and field is not None:
            field.queryset = field.queryset.filter(kind__in=BUREAU_KINDS).order_by("path")
        return field


# The security admin's -----------------------------------------------------------------------

@admin.register(LoginThrottle)
class LoginThrottleAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = SECURITY
    write_roles = NOBODY
    list_display = ["username", "failures", "locked_until", "last_failure_at"]
    search_fields = ["username"]
    actions = ["unlock"]

    def scoped(self, request, queryset):
        if self.is_superuser(request):
            return queryset
        return queryset.filter(username__in=usernames_under(self.scope_units(request)))

    @admin.action(description="解除所选账号的登录锁定")
    def unlock(self, request, queryset):
        from xueji.accounts.login import login_unlock

        done = 0
        for row in queryset:
            user = User.objects.filter(username__iexact=row.username).first()
            refusal = account_refusal(request.user, user, Role.SECURITY_ADMIN) if user is not None else ""
            if refusal:
                self.message_user(request, f"{row.username}：{refusal}", messages.WARNING)
                continue
            login_unlock(username=row.username, actor=request.user)
            done += 1
        if done:
            self.message_user(request, f"已解除 {done} 个账号的登录锁定。", messages.SUCCESS)


@admin.register(AddressThrottle)
class AddressThrottleAdmin(RoleAdminMixin, admin.ModelAdmin):
    view_roles = SECURITY
    write_roles = NOBODY
    list_display = ["address", "failures", "window_started_at", "locked_until", "last_failure_at"]
    search_fields = ["address"]
    actions = ["unlock"]

    def scoped(self, request, queryset):
        if self.is_superuser(request):
            return queryset
        from xueji.accounts.security import addresses_visible_to

        return queryset.filter(pk__in=addresses_visible_to(request.user).values("pk"))

    @admin.action(description="解除所选地址的登录暂停")
    def unlock(self, request, queryset):
        from xueji.accounts.login import address_unlock

        for row in queryset:
            address_unlock(address=row.address, actor=request.user)
        self.message_user(request, f"已解除 {len(queryset)} 个地址的登录暂停。", messages.SUCCESS)


# The audit admin's ---------------------------------------------------------------------------

@admin.register(AuditEntry)
class AuditEntryAdmin(RoleAdminMixin, admin.ModelAdmin):
    """Read-only: the log is append-only. The audit admin reads its subtree's entries."""

    view_roles = AUDIT
    write_roles = NOBODY
    list_display = ["at", "username", "role", "action", "object_repr", "result", "ip"]
    list_filter = ["action", "result"]
    search_fields = ["username", "object_repr"]

    def scoped(self, request, queryset):
        if self.is_superuser(request):
            return queryset
        from xueji.accounts.scoping import audit_scope

        scope = audit_scope(request.user)
        return queryset.filter(scope) if scope is not None else queryset.none()

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
