"""Logging in, with a lockout: 5 failed attempts lock the username for 15 minutes.

The counter is a database row per username, locked (SELECT … FOR UPDATE) for the whole check, so
parallel attempts on several web processes are counted one after the other: once five have
failed, the sixth is refused without looking at the password, even the right one. The lock is
checked before the password, so a locked account gives nothing away.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone

from xueji.accounts.audit import audit_record
from xueji.accounts.models import AuditEntry, LoginThrottle, Membership, User

LOCKED_MESSAGE = "登录失败次数过多，该账号已被锁定 %(minutes)d 分钟，请稍后再试或联系系统管理员。"
FAILED_MESSAGE = "用户名或密码不正确。"


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str = ""


def _throttle_row(username: str) -> LoginThrottle:
    """The username's counter row, created if missing, locked until the transaction ends."""
    try:
        with transaction.atomic():
            LoginThrottle.objects.get_or_create(username=username)
    except IntegrityError:
        pass  # created by a parallel attempt in the meantime
    return LoginThrottle.objects.select_for_update().get(username=username)


def _membership_of(username: str) -> Membership | None:
    return Membership.objects.filter(user__username=username).select_related("unit").first()


@transaction.atomic
def login_attempt(*, request, username: str, password: str, ip: str | None) -> LoginResult:
    """Check a username and password against the lockout and the user table, and record the
    attempt in the audit log. Does not start the session (the view does, with Django's login())."""
    username = (username or "").strip()[:150]
    now = timezone.now()
    throttle = _throttle_row(username.lower())
    membership = _membership_of(username)
    if throttle.locked_until and throttle.locked_until > now:
        audit_record(
            action="login.locked", result=AuditEntry.Result.DENIED, username=username, ip=ip,
            membership=membership, user=membership.user if membership else None, detail="账号锁定期间尝试登录",
        )
        return LoginResult(None, LOCKED_MESSAGE % {"minutes": settings.LOGIN_LOCKOUT_MINUTES})

    user = authenticate(request, username=username, password=password)
    if user is None:
        if throttle.locked_until and throttle.locked_until <= now:
            throttle.failures = 0  # the last lock has run out: count afresh
        throttle.failures += 1
        throttle.last_failure_at = now
        locked = throttle.failures >= settings.LOGIN_FAILURE_LIMIT
        if locked:
            throttle.locked_until = now + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        throttle.save()
        audit_record(
            action="login.failed", result=AuditEntry.Result.FAILED, username=username, ip=ip,
            membership=membership, user=membership.user if membership else None,
            detail=f"第 {throttle.failures} 次失败" + ("，账号已锁定" if locked else ""),
        )
        if locked:
            return LoginResult(None, LOCKED_MESSAGE % {"minutes": settings.LOGIN_LOCKOUT_MINUTES})
        return LoginResult(None, FAILED_MESSAGE)

    throttle.failures = 0
    throttle.locked_until = None
    throttle.save()
    audit_record(action="login", user=user, membership=_membership_of(user.username), ip=ip)
    return LoginResult(user)


def login_unlock(*, username: str, actor: User | None) -> None:
    """The system administrator lifts a lock before it runs out."""
    LoginThrottle.objects.filter(username=username.lower()).update(failures=0, locked_until=None)
    audit_record(action="login.unlock", user=actor, username=username, detail=f"解除账号 {username} 的登录锁定")


def login_throttles_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget counters with no failure for a day and no lock running (they only matter for the
    next 15 minutes); returns how many rows went."""
    cutoff = timezone.now() - older_than
    stale = LoginThrottle.objects.filter(last_failure_at__lt=cutoff).exclude(locked_until__gt=timezone.now())
    deleted, _ = stale.delete()
    return deleted
