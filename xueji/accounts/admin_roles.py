"""The three admins (三员分立) in the Django admin and on their pages: who each admin is, over which
units and accounts, and the ModelAdmin mixin every admin page of ours is built on.

- A system, security or audit admin is held at a bureau (county, city or province) and covers
  that bureau's subtree (``Unit.path`` prefix): ``admin_units``.
- The accounts an admin sees are those with a membership in the subtree; the accounts an admin
  acts on (``account_refusal``) have every membership in the subtree, are not the admin's own,
  and hold no admin role at the admin's own level or above: the admins of a bureau are looked
  after by the security admin above them (or the break-glass superuser), never by each other.
- A role is granted (``grant_refusal``) within the granter's subtree, never to oneself; the
  three admin roles only by a security admin and only at units strictly below the granter's (a
  city's security admin grants a county's three), and an admin role never beside another role
  (the admins see no pupil records, and the three stay three people).

``RoleAdminMixin`` makes a ModelAdmin answer from our memberships, not from Django's permission
tables: which admin roles see it, its queryset scoped to the admin's subtree, foreign-key choices
limited to the subtree, and an audit entry with the values before and after for every add,
change and delete (the superuser's too: break-glass is audited like any other action).
"""

from collections.abc import Iterable

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower

from xueji.accounts.audit import audit_record
from xueji.accounts.models import ADMIN_ROLES, Membership, Role, Unit, User
from xueji.accounts.scoping import memberships_of

SELF_MESSAGE = "不能在这里处理自己的账号或给自己授予、收回角色。"
SUPERUSER_MESSAGE = "超级管理员账号只能由超级管理员处理。"
OUTSIDE_MESSAGE = "该账号在您管辖范围以外的单位也有任职，请由上级单位的管理员处理。"
ADMIN_ACCOUNT_MESSAGE = "管理员账号由上级单位的安全管理员处理。"
GRANT_OUTSIDE_MESSAGE = "只能在本单位及下级单位授予角色。"
GRANT_ADMIN_BY_SECURITY_MESSAGE = "系统管理员、安全管理员和审计管理员只能由安全管理员授予。"
GRANT_ADMIN_BELOW_MESSAGE = "管理员角色只能授予下级单位（例如市级安全管理员为县级教育局设置三员）。"
GRANT_MIXED_MESSAGE = "三员分立：系统管理员、安全管理员、审计管理员须由不同的人担任，也不能兼任其他角色（管理员不查看学生信息）。"


# Who each admin is, and where -----------------------------------------------------------------

def admin_roles_of(user: User) -> set[str]:
    """The admin roles the user holds (anywhere)."""
    return {m.role for m in memberships_of(user) if m.role in ADMIN_ROLES}


def admin_units(user: User, roles: str | Iterable[str]) -> list[Unit]:
    """The units at which the user holds one of these admin roles."""
    wanted = {roles} if isinstance(roles, str) else set(roles)
    return [m.unit for m in memberships_of(user) if m.role in wanted and m.unit is not None]


def units_q(units: Iterable[Unit], field: str = "path") -> Q | None:
    """Everything under these units: ``<field>__startswith`` each unit's path, or None for none."""
    combined = None
    for unit in units:
        q = Q(**{f"{field}__startswith": unit.path})
        combined = q if combined is None else combined | q
    return combined


def covers(units: Iterable[Unit], unit: Unit | None) -> bool:
    return unit is not None and any(unit.path.startswith(own.path) for own in units)


def strictly_below(units: Iterable[Unit], unit: Unit | None) -> bool:
    return unit is not None and any(unit.path.startswith(own.path) and unit.pk != own.pk for own in units)


def units_under(units: Iterable[Unit]) -> QuerySet[Unit]:
    q = units_q(units)
    return Unit.objects.filter(q) if q is not None else Unit.objects.none()


def users_under(units: Iterable[Unit]) -> QuerySet[User]:
    """The users with a membership in the subtree of these units."""
    q = units_q(units, "unit__path")
    if q is None:
        return User.objects.none()
    return User.objects.filter(Exists(Membership.objects.filter(q, user=OuterRef("pk"))))


def usernames_under(units: Iterable[Unit]) -> QuerySet:
    """Their usernames as the login counters store them (lower case)."""
    return users_under(units).annotate(lower_name=Lower("username")).values("lower_name")


# Accounts and grants ---------------------------------------------------------------------------

def account_refusal(actor: User, target: User, role: str) -> str:
    """Why ``actor``, acting as the admin ``role``, may not act on ``target``'s account, or ''."""
    if actor.is_superuser:
        return ""
    if target.pk == actor.pk:
        return SELF_MESSAGE
    if target.is_superuser:
        return SUPERUSER_MESSAGE
    units = admin_units(actor, role)
    memberships = list(Membership.objects.filter(user=target).select_related("unit"))
    if not memberships or not all(covers(units, m.unit) for m in memberships):
        return OUTSIDE_MESSAGE
    for membership in memberships:
        if membership.role in ADMIN_ROLES and (role != Role.SECURITY_ADMIN or not strictly_below(units, membership.unit)):
            return ADMIN_ACCOUNT_MESSAGE
    return ""


def grant_refusal(actor: User, *, user: User | None, unit: Unit | None, role: str, acting_role: str,
                  membership: Membership | None = None) -> str:
    """Why ``actor`` (acting as ``acting_role``) may not give ``user`` the ``role`` at ``unit``
    (or change ``membership`` into that), or ''. The unit's kind for the role is the model's
    check (Membership.clean)."""
    others = []
    if user is not None and user.pk:
        others = list(Membership.objects.filter(user=user).exclude(pk=getattr(membership, "pk", None)))
    if any(m.role != role and (m.role in ADMIN_ROLES or role in ADMIN_ROLES) for m in others):
        return GRANT_MIXED_MESSAGE
    if actor.is_superuser:
        return ""
    if user is not None and user.pk == actor.pk:
        return SELF_MESSAGE
    units = admin_units(actor, acting_role)
    if not covers(units, unit):
        return GRANT_OUTSIDE_MESSAGE
    if role in ADMIN_ROLES:
        if acting_role != Role.SECURITY_ADMIN:
            return GRANT_ADMIN_BY_SECURITY_MESSAGE
        if not strictly_below(units, unit):
            return GRANT_ADMIN_BELOW_MESSAGE
    if user is not None and user.pk and others:
        return account_refusal(actor, user, acting_role)
    return ""


def membership_refusal(actor: User, membership: Membership, acting_role: str) -> str:
    """Why ``actor`` may not change or remove this existing membership, or ''."""
    return grant_refusal(actor, user=membership.user, unit=membership.unit, role=membership.role,
                         acting_role=acting_role, membership=membership)


def grantable_roles(actor: User, acting_role: str) -> list[tuple[str, str]]:
    """The roles this admin may grant: the security admin every role, the system admin the
    roles of the schools and bureaus (not the three admins)."""
    if actor.is_superuser or acting_role == Role.SECURITY_ADMIN:
        return list(Role.choices)
    return [(value, label) for value, label in Role.choices if value not in ADMIN_ROLES]


# Before and after, for the audit log -----------------------------------------------------------

def _display(obj: models.Model, field: models.Field) -> str:
    value = getattr(obj, field.attname)
    if value is None or value == "":
        return "—"
    if field.choices:
        return str(getattr(obj, f"get_{field.name}_display")())
    if isinstance(field, models.ForeignKey):
        related = getattr(obj, field.name, None)
        return str(related) if related is not None else str(value)
    if isinstance(field, models.BooleanField):
        return "是" if value else "否"
    if isinstance(field, models.DateTimeField):
        from django.utils import timezone

        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    return str(value)


def snapshot(obj: models.Model | None, exclude: Iterable[str] = ()) -> dict[str, str]:
    """The object's fields as an auditor reads them (label → value), secrets left out."""
    if obj is None:
        return {}
    skipped = {"password", "credentials_epoch", "path", "last_login", "date_joined", "password_changed_at", *exclude}
    return {
        str(field.verbose_name): _display(obj, field)
        for field in obj._meta.concrete_fields
        if not field.primary_key and field.name not in skipped
    }


def changes_text(before: dict[str, str], after: dict[str, str]) -> str:
    """``label（before → after）`` for each field that differs (all of them for an add or a delete).
    Not "label：…": the audit log's scrub takes "密码：…" for a password and masks it."""
    labels = list(dict.fromkeys([*before, *after]))
    parts = [
        f"{label}（{before.get(label, '—')} → {after.get(label, '—')}）"
        for label in labels
        if before.get(label, "—") != after.get(label, "—")
    ]
    return "；".join(parts) or "没有字段变化"


def audit_admin_action(action: str, obj: models.Model, *, before: dict, after: dict, unit: Unit | None,
                       what: str = "") -> None:
    """One entry for an admin's add, change or delete, with the values before and after."""
    verbose = str(obj._meta.verbose_name)
    head = f"{verbose}“{obj}”"
    detail = f"{what}{head}：{changes_text(before, after)}"[:4000]
    if obj.pk is None:
        audit_record(action=action, unit=unit, object_type=obj._meta.model_name, detail=detail)
    else:
        audit_record(action=action, obj=obj, unit=unit, detail=detail)


# The ModelAdmin mixin ----------------------------------------------------------------------------

class RoleAdminMixin:
    """Our permissions for a ModelAdmin (or an inline): set ``view_roles`` (who sees the model),
    ``write_roles`` (who adds and changes it; None: the same), ``delete_roles`` (None: as
    ``write_roles``) and ``scope`` (the lookup from the model to a unit's path, e.g. "path",
    "bureau__path"; None for global tables such as the calendar). ``object_refusal`` says why an
    object in scope may still not be changed or deleted. The superuser sees and does everything."""

    view_roles: frozenset = frozenset({Role.SYSTEM_ADMIN})
    write_roles: frozenset | None = None
    delete_roles: frozenset | None = None
    scope: str | None = "path"
    audit_exclude: tuple = ()

    # Who ------------------------------------------------------------------------------------
    @staticmethod
    def is_superuser(request) -> bool:
        user = request.user
        return bool(user.is_active and user.is_superuser)

    def _holds(self, request, roles: frozenset | None) -> bool:
        roles = self.view_roles if roles is None else roles
        return bool(admin_roles_of(request.user) & set(roles))

    def scope_units(self, request) -> list[Unit]:
        return admin_units(request.user, self.view_roles)

    def acting_role(self, request) -> str | None:
        """The admin role the user acts in here (the first of ``view_roles`` they hold)."""
        held = admin_roles_of(request.user)
        for role in (Role.SECURITY_ADMIN, Role.SYSTEM_ADMIN, Role.AUDIT_ADMIN):
            if role in held and role in self.view_roles:
                return role
        return None

    def object_refusal(self, request, obj) -> str:
        return ""

    def in_scope(self, request, obj) -> bool:
        if self.is_superuser(request) or self.scope is None:
            return True
        return self.scoped(request, type(obj)._default_manager.filter(pk=obj.pk)).exists()

    # Django's permission questions --------------------------------------------------------
    def has_module_permission(self, request) -> bool:
        return self.is_superuser(request) or self._holds(request, self.view_roles)

    def has_view_permission(self, request, obj=None) -> bool:
        if not self.has_module_permission(request):
            return False
        if obj is None or isinstance(self, admin.options.InlineModelAdmin):
            return True  # an inline's obj is the parent, checked by the parent's admin
        return self.in_scope(request, obj)

    def has_add_permission(self, request, *args) -> bool:
        return self.is_superuser(request) or self._holds(request, self.write_roles)

    def _may_write(self, request, obj, roles) -> bool:
        if self.is_superuser(request):
            return True
        if not self._holds(request, roles):
            return False
        if obj is None:
            return True
        if isinstance(self, admin.options.InlineModelAdmin):
            return True  # obj is the parent here, checked by the parent's admin
        return self.in_scope(request, obj) and not self.object_refusal(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._may_write(request, obj, self.write_roles)

    def has_delete_permission(self, request, obj=None) -> bool:
        roles = self.delete_roles if self.delete_roles is not None else self.write_roles
        return self._may_write(request, obj, roles)

    # What --------------------------------------------------------------------------------
    def scoped(self, request, queryset: QuerySet) -> QuerySet:
        if self.is_superuser(request) or self.scope is None:
            return queryset
        q = units_q(self.scope_units(request), self.scope)
        return queryset.filter(q) if q is not None else queryset.none()

    def get_queryset(self, request):
        return self.scoped(request, super().get_queryset(request))

    def limit_choices(self, request, related_model, queryset: QuerySet) -> QuerySet:
        """A foreign key's choices: units and users of the admin's subtree only."""
        units = self.scope_units(request)
        if issubclass(related_model, Unit):
            q = units_q(units)
            return queryset.filter(q) if q is not None else queryset.none()
        if issubclass(related_model, User):
            return queryset.filter(pk__in=users_under(units).values("pk"))
        return queryset

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and not self.is_superuser(request) and hasattr(field, "queryset"):
            field.queryset = self.limit_choices(request, db_field.related_model, field.queryset)
        return field

    # Audit -------------------------------------------------------------------------------
    def audit_unit(self, obj) -> Unit | None:
        """The unit an entry about this object is filed under (None: the admin's own unit)."""
        if isinstance(obj, Unit):
            return obj
        for attribute in ("unit", "bureau", "school"):
            unit = getattr(obj, attribute, None) if hasattr(obj, f"{attribute}_id") else None
            if isinstance(unit, Unit):
                return unit
        return None

    def _before(self, obj) -> dict:
        if obj.pk is None:
            return {}
        stored = type(obj)._default_manager.filter(pk=obj.pk).first()
        return snapshot(stored, self.audit_exclude)

    def save_model(self, request, obj, form, change):
        before = self._before(obj) if change else {}
        super().save_model(request, obj, form, change)
        audit_admin_action("admin.change" if change else "admin.add", obj, before=before,
                           after=snapshot(obj, self.audit_exclude), unit=self.audit_unit(obj))

    def delete_model(self, request, obj):
        if not self.is_superuser(request) and not self.has_delete_permission(request, obj):
            raise PermissionDenied
        with transaction.atomic():
            audit_admin_action("admin.delete", obj, before=snapshot(obj, self.audit_exclude), after={},
                               unit=self.audit_unit(obj))
            super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        """Each object on its own, each checked and audited (the changelist's "delete selected")."""
        with transaction.atomic():
            for obj in queryset:
                self.delete_model(request, obj)

    def save_formset(self, request, form, formset, change):
        """Inline rows: each added, changed or deleted row audited with before and after."""
        exclude = getattr(formset, "audit_exclude", ())
        pks = [f.instance.pk for f in formset.initial_forms if f.instance.pk]
        stored = {obj.pk: obj for obj in formset.model._default_manager.filter(pk__in=pks)}
        deleted = {f.instance.pk for f in formset.deleted_forms if f.instance.pk in stored}
        with transaction.atomic():
            for pk in deleted:  # while the rows still have their ids
                audit_admin_action("admin.delete", stored[pk], before=snapshot(stored[pk], exclude), after={},
                                   unit=self.audit_unit(stored[pk]))
            formset.save()
            for obj in formset.new_objects:
                audit_admin_action("admin.add", obj, before={}, after=snapshot(obj, exclude), unit=self.audit_unit(obj))
            for obj, _fields in formset.changed_objects:
                before = snapshot(stored[obj.pk], exclude) if obj.pk in stored else {}
                audit_admin_action("admin.change", obj, before=before, after=snapshot(obj, exclude),
                                   unit=self.audit_unit(obj))
