"""Users, their roles at units (Membership), the passwords they used, and the login lockout
counters (per username and per client address)."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.crypto import salted_hmac

from xueji.accounts.models.units import BUREAU_KINDS, UnitKind


class User(AbstractUser):
    """A person who logs in. Chinese names are not split into first and last name."""

    full_name = models.CharField("姓名", max_length=50, blank=True)
    phone = models.CharField("电话", max_length=20, blank=True)
    # 2025 办法 第二十四条: accounts unused for six months are sealed until a security admin
    # unseals them (xueji/accounts/credentials.py).
    sealed_at = models.DateTimeField("封存时间", null=True, blank=True)
    # Set when an admin created the account or reset its password: the next login must change it.
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)
    # Part of every session's hash and bumped by every revocation (disable, password change,
    # lockout, seal, 2FA reset): each older session fails its check and ends on its next request,
    # and re-enabling a user brings none back.
    credentials_epoch = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"

    def __str__(self) -> str:
        return self.full_name or self.username

    def _get_session_auth_hash(self, secret=None):
        key_salt = "xueji.accounts.User.session_auth_hash"
        return salted_hmac(key_salt, f"{self.password}:{self.credentials_epoch}", secret=secret,
                           algorithm="sha256").hexdigest()


class Role(models.TextChoices):
    REGISTRAR = "registrar", "学籍管理员"
    HEAD_TEACHER = "head_teacher", "班主任"
    HEADMASTER = "headmaster", "校长"
    CENTRAL_REGISTRAR = "central_registrar", "中心校学籍管理员"
    COUNTY_OFFICER = "county_officer", "县级教育局学籍管理员"
    CITY_OFFICER = "city_officer", "市级教育局学籍管理员"
    PROVINCE_OFFICER = "province_officer", "省级教育厅学籍管理员"
    # 分管领导: the bureau's leader in charge, who approves data leaving the system (export
    # requests, xueji/exports); sees no pupil record.
    LEADER = "leader", "分管领导"
    # 三员分立: three admins per bureau, none of whom sees a pupil; a city's or province's cover
    # the bureaus below.
    SYSTEM_ADMIN = "system_admin", "系统管理员"
    SECURITY_ADMIN = "security_admin", "安全管理员"
    AUDIT_ADMIN = "audit_admin", "审计管理员"


# The kinds of unit each role is held at.
ROLE_UNIT_KINDS = {
    Role.REGISTRAR: {UnitKind.SCHOOL},
    Role.HEAD_TEACHER: {UnitKind.SCHOOL},
    Role.HEADMASTER: {UnitKind.SCHOOL},
    Role.CENTRAL_REGISTRAR: {UnitKind.CENTRAL_SCHOOL},
    Role.COUNTY_OFFICER: {UnitKind.COUNTY_BUREAU},
    Role.CITY_OFFICER: {UnitKind.CITY_BUREAU},
    Role.PROVINCE_OFFICER: {UnitKind.PROVINCE_BUREAU},
    Role.LEADER: set(BUREAU_KINDS),
    Role.SYSTEM_ADMIN: set(BUREAU_KINDS),
    Role.SECURITY_ADMIN: set(BUREAU_KINDS),
    Role.AUDIT_ADMIN: set(BUREAU_KINDS),
}
SCHOOL_ROLES = {Role.REGISTRAR, Role.HEAD_TEACHER, Role.HEADMASTER}
BUREAU_ROLES = {Role.COUNTY_OFFICER, Role.CITY_OFFICER, Role.PROVINCE_OFFICER}
ADMIN_ROLES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDIT_ADMIN}


class Membership(models.Model):
    """A user holds a role at a unit: registrar of a school, officer of a county bureau, security
    admin of a city bureau, …"""

    user = models.ForeignKey("xueji.User", verbose_name="用户", on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey("xueji.Unit", verbose_name="单位", on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField("角色", max_length=30, choices=Role.choices)
    created_at = models.DateTimeField("创建时间", auto_now_add=True)

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        ordering = ["user_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.unit.name} · {self.get_role_display()}"

    def clean(self) -> None:
        if self.role not in Role.values:
            raise ValidationError({"role": "请选择角色。"})
        if not self.unit_id:
            raise ValidationError({"unit": "请选择单位。"})
        expected = ROLE_UNIT_KINDS[Role(self.role)]
        if self.unit.kind not in expected:
            places = "或".join(UnitKind(kind).label for kind in UnitKind if kind in expected)
            raise ValidationError({"unit": f"“{self.get_role_display()}”只能设在{places}。"})


class PasswordHistory(models.Model):
    """The hashes of a user's last passwords: the last five cannot be used again (2025 办法 第二十四条)."""

    user = models.ForeignKey("xueji.User", on_delete=models.CASCADE, related_name="password_history")
    password = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "历史密码"
        verbose_name_plural = "历史密码"
        ordering = ["-created_at", "-id"]


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


class AddressThrottle(models.Model):
    """Failed logins per client address, whatever the username: 20 within 15 minutes lock the
    address for every username (xueji/accounts/login.py), so one address cannot try every name."""

    address = models.GenericIPAddressField(unique=True)
    failures = models.PositiveIntegerField(default=0)
    window_started_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "登录失败记录（地址）"
        verbose_name_plural = "登录失败记录（地址）"

    def __str__(self) -> str:
        return self.address
