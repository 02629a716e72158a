"""Users, their roles at units (Membership), and the login lockout counter."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models

from xueji.accounts.models.units import UnitKind


class User(AbstractUser):
    """A person who logs in. Chinese names are not split into first and last name."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("电话", max_length=20, blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username


class Role(models.TextChoices):
    REGISTRAR = "registrar", "学籍管理员"
    HEAD_TEACHER = "head_teacher", "班主任"
    HEADMASTER = "headmaster", "校长"
    CENTRAL_REGISTRAR = "central_registrar", "中心校学籍管理员"
    COUNTY_OFFICER = "county_officer", "县级教育局学籍管理员"
    CITY_OFFICER = "city_officer", "市级教育局学籍管理员"
    PROVINCE_OFFICER = "province_officer", "省级教育厅学籍管理员"
    SYSTEM_ADMIN = "system_admin", "系统管理员"


# The kind of unit each role is held at.
ROLE_UNIT_KIND = {
    Role.REGISTRAR: UnitKind.SCHOOL,
    Role.HEAD_TEACHER: UnitKind.SCHOOL,
    Role.HEADMASTER: UnitKind.SCHOOL,
    Role.CENTRAL_REGISTRAR: UnitKind.CENTRAL_SCHOOL,
    Role.COUNTY_OFFICER: UnitKind.COUNTY_BUREAU,
    Role.CITY_OFFICER: UnitKind.CITY_BUREAU,
    Role.PROVINCE_OFFICER: UnitKind.PROVINCE_BUREAU,
    Role.SYSTEM_ADMIN: None,
}
SCHOOL_ROLES = {Role.REGISTRAR, Role.HEAD_TEACHER, Role.HEADMASTER}
BUREAU_ROLES = {Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER}


class Membership(models.Model):
    """A user holds a role at a unit: registrar of a school, officer of a county bureau, …
    The system administrator's membership has no unit."""

    user = models.ForeignKey("xueji.User", verbose_name="用户", on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(
        "xueji.Unit", verbose_name="单位", null=True, blank=True, on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        ordering = ["user_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role=Role.SYSTEM_ADMIN, unit__isnull=True)
                | (~models.Q(role=Role.SYSTEM_ADMIN) & models.Q(unit__isnull=False)),
                name="membership_unit_matches_role",
            ),
        ]

    def __str__(self) -> str:
        where = self.unit.name if self.unit_id else "全系统"
        return f"{self.user} · {where} · {self.get_role_display()}"

    def clean(self) -> None:
        expected = ROLE_UNIT_KIND.get(Role(self.role)) if self.role else None
        if self.role == Role.SYSTEM_ADMIN:
            if self.unit_id:
                raise ValidationError({"unit": "系统管理员不隶属于具体单位。"})
            return
        if not self.unit_id:
            raise ValidationError({"unit": "请选择单位。"})
        if self.unit.kind != expected:
            raise ValidationError(
                {"unit": f"“{self.get_role_display()}”只能设在{UnitKind(expected).label}。"}
            )


class LoginThrottle(models.Model):
    """Failed logins per username, in the database so that every web process sees the same count.
    The row is locked while a login is checked (xueji/accounts/login.py)."""

    username = models.CharField(max_length=150, unique=True)
    failures = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "登录失败记录"
        verbose_name_plural = "登录失败记录"

    def __str__(self) -> str:
        return self.username
