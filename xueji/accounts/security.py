"""The security admin's work (三员分立): the accounts of its bureau's subtree and their state, and
what is done to them — lifting a login lock, unsealing, resetting the second factor, setting a
temporary password, granting and revoking roles — and the lockouts of client addresses.

Each action checks who may act on whom (xueji/accounts/admin_roles.py: within the subtree,
never oneself, the admins of a bureau only from above) and is audited by the service that does
it (login_unlock, account_unseal, devices_reset here or in the lead modules; password_reset,
role_grant and role_revoke below). The pages are xueji/accounts/security_views.py.
"""

import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Lower
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from xueji.accounts.admin_roles import (
    account_refusal,
    admin_units,
    grant_refusal,
    membership_refusal,
    units_q,
    users_under,
)
from xueji.accounts.audit import audit_record
from xueji.accounts.models import AddressThrottle, AuditEntry, LoginThrottle, Membership, Role, Unit, User
from xueji.accounts.permissions import NotAllowed
from xueji.accounts.scoping import NotInScope, object_id

NOT_SECURITY_ADMIN = "只有安全管理员可以处理账号的锁定、封存、动态验证码、密码和角色。"
LAST_MEMBERSHIP = "这是该账号唯一的任职，不能收回；账号不再使用时，请由系统管理员停用。"


def security_units(user: User) -> list[Unit]:
    return admin_units(user, Role.SECURITY_ADMIN)


def require_security_admin(user: User) -> list[Unit]:
    """The units at which the user is a security admin, or NotAllowed (403)."""
    units = security_units(user)
    if not units:
        raise NotAllowed(NOT_SECURITY_ADMIN, code="not_security_admin")
    return units


# Reads --------------------------------------------------------------------------------------

def accounts_visible_to(user: User) -> QuerySet[User]:
    """The accounts with a membership in the security admin's subtree, with their state:
    ``has_otp`` (a confirmed authenticator) and ``locked_until`` (a login lock running now)."""
    now = timezone.now()
    return users_under(security_units(user)).annotate(
        has_otp=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
        locked_until=Subquery(
            LoginThrottle.objects.filter(username=Lower(OuterRef("username")), locked_until__gt=now)
            .values("locked_until")[:1]
        ),
    )


ACCOUNT_STATES = {
    "locked": ("登录被锁定", Q(locked_until__isnull=False)),
    "sealed": ("已封存", Q(sealed_at__isnull=False)),
    "no_otp": ("未绑定身份验证器", Q(has_otp=False)),
    "must_change": ("须修改密码", Q(must_change_password=True)),
    "inactive": ("已停用", Q(is_active=False)),
}


def get_account_for_security(user: User, account_id) -> User:
    """One account of the security admin's subtree, or 404 (NotInScope)."""
    try:
        return accounts_visible_to(user).get(pk=object_id(account_id))
    except User.DoesNotExist:
        raise NotInScope("没有找到这个账号，或不在您的管辖范围内。", what="user", object_id=account_id) from None


@dataclass(frozen=True)
class SecurityCounts:
    locked: int
    sealed: int
    without_otp: int
    addresses: int


def security_counts(user: User) -> SecurityCounts:
    """What the security admin's home page counts."""
    accounts = accounts_visible_to(user)
    return SecurityCounts(
        locked=accounts.filter(locked_until__isnull=False).count(),
        sealed=accounts.filter(sealed_at__isnull=False).count(),
        without_otp=accounts.filter(has_otp=False, is_active=True).count(),
        addresses=addresses_visible_to(user).filter(locked_until__gt=timezone.now()).count(),
    )


def addresses_visible_to(user: User) -> QuerySet[AddressThrottle]:
    """The client addresses with failed logins a security admin looks after. An address is no
    unit's: it is the subtree's when its failed attempts of the last day named accounts of the
    subtree (the login's audit entries are filed under the account's unit); the security admin
    of a bureau at the top of the tree also sees those that named no known account."""
    units = security_units(user)
    if not units:
        return AddressThrottle.objects.none()
    scope = units_q(units, "unit_path")
    if any(unit.parent_id is None for unit in units):
        scope = scope | Q(unit_path="")
    attempts = AuditEntry.objects.filter(
        scope, ip=OuterRef("address"), action__in=["login.failed", "login.locked"],
        at__gte=timezone.now() - timedelta(days=1),
    )
    return AddressThrottle.objects.filter(Exists(attempts))


def get_address_for_security(user: User, throttle_id) -> AddressThrottle:
    try:
        return addresses_visible_to(user).get(pk=object_id(throttle_id))
    except AddressThrottle.DoesNotExist:
        raise NotInScope("没有找到这条记录，或不在您的管辖范围内。", what="addressthrottle", object_id=throttle_id) from None


# Actions ------------------------------------------------------------------------------------

def require_manageable(actor: User, account: User) -> None:
    """NotAllowed (403) unless the security admin may act on this account."""
    require_security_admin(actor)
    refusal = account_refusal(actor, account, Role.SECURITY_ADMIN)
    if refusal:
        raise NotAllowed(refusal, code="not_manageable")


def account_unlock(*, actor: User, account: User) -> None:
    from xueji.accounts.login import login_unlock

    require_manageable(actor, account)
    login_unlock(username=account.username, actor=actor)


def account_unseal_by(*, actor: User, account: User) -> None:
    from xueji.accounts.credentials import account_unseal

    require_manageable(actor, account)
    if account.sealed_at is None:
        raise ValidationError("该账号没有被封存。")
    account_unseal(account, actor=actor)


def otp_reset(*, actor: User, account: User) -> None:
    from xueji.accounts.two_factor import devices_reset

    require_manageable(actor, account)
    devices_reset(account, actor=actor)


# No 0/O, 1/l/I: a temporary password is read aloud or copied from a screen.
_UPPER = "ABCDEFGHJKLMNPQRSTUVWXYZ"
_LOWER = "abcdefghijkmnpqrstuvwxyz"
_DIGITS = "23456789"


def temporary_password(user: User) -> str:
    """A temporary password that passes the password rules: three groups of four, each with an
    upper-case letter, a lower-case letter and a digit (about 50 bits)."""
    for _attempt in range(20):
        groups = [
            secrets.choice(_UPPER) + secrets.choice(_LOWER) + secrets.choice(_DIGITS) + secrets.choice(_LOWER + _DIGITS)
            for _ in range(3)
        ]
        password = "-".join(groups)
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password
    raise RuntimeError("no temporary password passed the password rules")


@transaction.atomic
def password_reset(*, actor: User, account: User) -> str:
    """Set a temporary password, shown once to the security admin; the user must change it at
    the next login, and every session and API token of the account ends (credentials.py)."""
    require_manageable(actor, account)
    user = User.objects.select_for_update().get(pk=account.pk)
    before_must_change = user.must_change_password
    password = temporary_password(user)
    user.set_password(password)
    user._password_set_by_admin = True
    user.save()
    user.refresh_from_db(fields=["must_change_password"])
    audit_record(
        action="password.reset", obj=user, user=actor,
        detail=(f"{user.username}：设置临时密码（只向安全管理员显示一次，不记录）；"
                f"下次登录须修改（{_yes(before_must_change)} → {_yes(user.must_change_password)}）；结束全部会话和接口令牌"),
    )
    return password


def _yes(value: bool) -> str:
    return "是" if value else "否"


@transaction.atomic
def role_grant(*, actor: User, account: User, unit: Unit, role: str) -> Membership:
    """Grant a role (the model's check of the unit's kind, then who may grant what where)."""
    require_manageable(actor, account)
    refusal = grant_refusal(actor, user=account, unit=unit, role=role, acting_role=Role.SECURITY_ADMIN)
    if refusal:
        raise ValidationError(refusal)
    membership = Membership(user=account, unit=unit, role=role)
    membership.full_clean()
    membership.save()  # audited by xueji/accounts/signals.py (permission.grant, at the unit)
    return membership


@transaction.atomic
def role_revoke(*, actor: User, membership: Membership) -> None:
    require_manageable(actor, membership.user)
    refusal = membership_refusal(actor, membership, Role.SECURITY_ADMIN)
    if refusal:
        raise ValidationError(refusal)
    if not Membership.objects.filter(user_id=membership.user_id).exclude(pk=membership.pk).exists():
        raise ValidationError(LAST_MEMBERSHIP)
    membership.delete()  # audited by xueji/accounts/signals.py (permission.revoke, at the unit)


def address_unlock_by(*, actor: User, throttle: AddressThrottle) -> None:
    from xueji.accounts.login import address_unlock

    require_security_admin(actor)
    address_unlock(address=throttle.address, actor=actor)
