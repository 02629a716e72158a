"""Logging in: the password, the second factor, and the lockouts.

Two counters, each a database row locked (SELECT … FOR UPDATE) for the whole check, so that
parallel attempts on several web processes are counted one after the other:
- per username: 5 failures (a wrong password or a wrong code) lock the username for 15 minutes;
  once locked, even the right password is refused without being looked at;
- per client address: 20 failures within 15 minutes, whatever the usernames, lock the address for
  15 minutes for every username (one address cannot try every name).
The address row is always locked before the username row: one order, no deadlock.

A lock on an existing user's name also ends that user's sessions and API tokens. A sealed account
is told so only after the right password, and nothing else about it.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.db import IntegrityError, transaction
from django.utils import timezone

from xueji.accounts.audit import account_unit, audit_record
from xueji.accounts.credentials import SEALED_MESSAGE, credentials_revoke
from xueji.accounts.models import AddressThrottle, AuditEntry, LoginThrottle, Membership, User

LOCKED_MESSAGE = "登录失败次数过多，该账号已被锁定 %(minutes)d 分钟，请稍后再试或联系本单位安全管理员。"
ADDRESS_LOCKED_MESSAGE = "本机登录失败次数过多，已被暂停登录 %(minutes)d 分钟，请稍后再试。"
FAILED_MESSAGE = "用户名或密码不正确。"
CODE_FAILED_MESSAGE = "动态验证码不正确或已使用过，请输入身份验证器上的新验证码。"
NO_DEVICE_MESSAGE = "该账号须使用动态验证码登录，但尚未绑定身份验证器：请先在网页上登录并完成绑定。"
MUST_CHANGE_MESSAGE = "该账号须先在网页上修改密码，然后才能使用接口。"


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    error: str = ""
    otp_required: bool = False
    device: object | None = None  # the OTP device that accepted the code, if one was given
    locked: bool = False  # the username or the address is locked: a half-done login ends


def _locked_row(model, **key):
    """The counter row, created if missing, locked until the transaction ends."""
    try:
        with transaction.atomic():
            model.objects.get_or_create(**key)
    except IntegrityError:
        pass  # created by a parallel attempt in the meantime
    return model.objects.select_for_update().get(**key)


def _membership_of(username: str) -> Membership | None:
    return Membership.objects.filter(user__username=username).select_related("unit", "user").first()


def _minutes() -> dict:
    return {"minutes": settings.LOGIN_LOCKOUT_MINUTES}


@dataclass
class _Counters:
    """The two locked rows of one attempt."""

    username: str
    ip: str | None
    user_row: LoginThrottle
    address_row: AddressThrottle | None

    @classmethod
    def lock(cls, username: str, ip: str | None) -> "_Counters":
        address_row = _locked_row(AddressThrottle, address=ip) if ip else None
        return cls(username, ip, _locked_row(LoginThrottle, username=username.lower()), address_row)

    def refusal(self, now) -> str:
        """Why this attempt is refused before anything is checked, or ''."""
        if self.address_row is not None and self.address_row.locked_until and self.address_row.locked_until > now:
            return ADDRESS_LOCKED_MESSAGE % _minutes()
        if self.user_row.locked_until and self.user_row.locked_until > now:
            return LOCKED_MESSAGE % _minutes()
        return ""

    def fail(self, now) -> bool:
        """Count one failure on both counters; True when the username is now locked."""
        lockout = timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
        row = self.user_row
        if row.locked_until and row.locked_until <= now:
            row.failures = 0  # the last lock has run out: count afresh
        row.failures += 1
        row.last_failure_at = now
        locked = row.failures >= settings.LOGIN_FAILURE_LIMIT
        if locked:
            row.locked_until = now + lockout
        row.save()
        address = self.address_row
        if address is not None:
            if address.window_started_at is None or address.window_started_at <= now - lockout:
                address.failures, address.window_started_at = 0, now
            address.failures += 1
            address.last_failure_at = now
            if address.failures >= settings.LOGIN_ADDRESS_FAILURE_LIMIT and not (
                address.locked_until and address.locked_until > now
            ):
                address.locked_until = now + lockout
                audit_record(action="login.address_locked", result=AuditEntry.Result.DENIED, ip=self.ip,
                             detail=f"同一地址 {settings.LOGIN_LOCKOUT_MINUTES} 分钟内登录失败 {address.failures} 次，暂停该地址登录")
            address.save()
        return locked

    def succeed(self) -> None:
        # Only the username's counter: a success of one account must not wipe an address's
        # failures on other names.
        self.user_row.failures = 0
        self.user_row.locked_until = None
        self.user_row.save()


def _failure(counters: _Counters, now, *, what: str, membership: Membership | None) -> LoginResult:
    locked = counters.fail(now)
    audit_record(
        action="login.failed", result=AuditEntry.Result.FAILED, username=counters.username, ip=counters.ip,
        membership=membership, user=membership.user if membership else None,
        detail=f"{what}，第 {counters.user_row.failures} 次失败" + ("，账号已锁定" if locked else ""),
    )
    if locked:
        user = User.objects.filter(username=counters.username).first()
        if user is not None:
            credentials_revoke(user, reason="登录失败次数过多被锁定")
        return LoginResult(None, LOCKED_MESSAGE % _minutes(), locked=True)
    return LoginResult(None, CODE_FAILED_MESSAGE if what == "动态验证码错误" else FAILED_MESSAGE)


def _refused(counters: _Counters, now, membership: Membership | None) -> LoginResult | None:
    refusal = counters.refusal(now)
    if not refusal:
        return None
    audit_record(
        action="login.locked", result=AuditEntry.Result.DENIED, username=counters.username, ip=counters.ip,
        membership=membership, user=membership.user if membership else None, detail="锁定期间尝试登录",
    )
    return LoginResult(None, refusal, locked=True)


@transaction.atomic
def login_attempt(*, request, username: str, password: str, ip: str | None, otp: str | None = None,
                  for_token: bool = False) -> LoginResult:
    """Check a username and password (and, for an API token, the second factor) against the
    lockouts and the user table, and record the attempt in the audit log. Does not start a
    session: the page does, with Django's login(), and then asks for the code
    (``second_factor_attempt``) before anything else is reachable (xueji/accounts/gate.py)."""
    from xueji.accounts.two_factor import code_verify, has_device, needs_second_factor

    username = (username or "").strip()[:150]
    now = timezone.now()
    counters = _Counters.lock(username, ip)
    membership = _membership_of(username)
    refused = _refused(counters, now, membership)
    if refused:
        return refused

    user = authenticate(request, username=username, password=password)
    if user is None:
        return _failure(counters, now, what="密码错误", membership=membership)
    if user.sealed_at is not None:
        audit_record(action="login.sealed", result=AuditEntry.Result.DENIED, user=user, membership=membership, ip=ip,
                     detail="封存账号尝试登录")
        return LoginResult(None, SEALED_MESSAGE)

    device = None
    if for_token:
        if user.must_change_password:
            return LoginResult(None, MUST_CHANGE_MESSAGE)
        if needs_second_factor(user):
            if not otp:
                return LoginResult(None, otp_required=True)
            if not has_device(user):
                return LoginResult(None, NO_DEVICE_MESSAGE)
            device = code_verify(user, otp)
            if device is None:
                return _failure(counters, now, what="动态验证码错误", membership=membership)

    counters.succeed()
    audit_record(action="login", user=user, membership=membership if membership and membership.user_id == user.pk else None,
                 ip=ip, detail="接口令牌" if for_token else "")
    return LoginResult(user, device=device)


@transaction.atomic
def second_factor_attempt(*, user: User, code: str, ip: str | None) -> LoginResult:
    """The code of a user whose password was right (the page's second step), under the same
    lockouts: a wrong code is a failure like a wrong password."""
    from xueji.accounts.two_factor import code_verify

    now = timezone.now()
    counters = _Counters.lock(user.username, ip)
    membership = _membership_of(user.username)
    refused = _refused(counters, now, membership)
    if refused:
        return refused
    device = code_verify(user, code)
    if device is None:
        return _failure(counters, now, what="动态验证码错误", membership=membership)
    counters.succeed()
    audit_record(action="login.otp", user=user, membership=membership, ip=ip)
    return LoginResult(user, device=device)


def login_unlock(*, username: str, actor: User | None) -> None:
    """A security admin lifts a lock before it runs out."""
    before = LoginThrottle.objects.filter(username=username.lower()).values("failures", "locked_until").first()
    LoginThrottle.objects.filter(username=username.lower()).update(failures=0, locked_until=None)
    detail = f"解除账号 {username} 的登录锁定"
    if before:
        detail += f"（失败 {before['failures']} 次，锁定至 {before['locked_until']:%H:%M} → 已解除）" if before["locked_until"] else ""
    audit_record(action="login.unlock", user=actor, unit=account_unit(User.objects.filter(username=username).first()),
                 detail=detail)


def address_unlock(*, address: str, actor: User | None) -> None:
    AddressThrottle.objects.filter(address=address).update(failures=0, locked_until=None, window_started_at=None)
    audit_record(action="login.unlock", user=actor, detail=f"解除地址 {address} 的登录暂停")


def login_throttles_prune(*, older_than: timedelta = timedelta(days=1)) -> int:
    """Forget counters with no failure for a day and no lock running (they only matter for the
    next 15 minutes); returns how many rows went."""
    cutoff = timezone.now() - older_than
    deleted = 0
    for model in (LoginThrottle, AddressThrottle):
        stale = model.objects.filter(last_failure_at__lt=cutoff).exclude(locked_until__gt=timezone.now())
        deleted += stale.delete()[0]
    return deleted
