"""What ends a user's access at once, everywhere: revoking every session and API token, sealing
idle accounts (2025 办法 第二十四条), and the bookkeeping of password changes.

A session carries a hash of the user's password and ``credentials_epoch``
(User._get_session_auth_hash); Django checks it on every request and ends a session whose hash no
longer matches. Bumping the epoch therefore ends every session of the user on its next request,
on every web process, and nothing brings those sessions back (re-enabling a disabled user does
not restore the old epoch). API tokens (knox, hashed) are deleted outright.

The triggers, whoever makes the change (a page, the admin, a service, a task):
- the user is disabled (is_active goes false), their password changes, they are sealed: the
  pre_save signal below bumps the epoch on the row being saved, the post_save one deletes tokens;
- a lockout and a 2FA reset call ``credentials_revoke``.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver
from django.utils import timezone

from xueji.accounts.audit import account_unit, audit_record
from xueji.accounts.models import AuditEntry, PasswordHistory, User

SEALED_MESSAGE = "账号因长期未使用已被封存，请联系本单位安全管理员"
PASSWORD_HISTORY_KEPT = 5


def tokens_revoke(user: User) -> int:
    """Delete every API token of the user; returns how many went."""
    from knox.models import AuthToken

    deleted, _ = AuthToken.objects.filter(user_id=user.pk).delete()
    return deleted


def credentials_revoke(user: User, *, reason: str) -> None:
    """End every session and API token of the user now (a lockout, a 2FA reset, a logout of all)."""
    User.objects.filter(pk=user.pk).update(credentials_epoch=F("credentials_epoch") + 1)
    user.refresh_from_db(fields=["credentials_epoch"])
    tokens = tokens_revoke(user)
    audit_record(action="credentials.revoke", obj=user, unit=account_unit(user),
                 detail=f"{user.username}：{reason}，结束全部会话，收回 {tokens} 个接口令牌")


def account_seal(user: User, *, reason: str = "超过 180 天未使用") -> None:
    if user.sealed_at is not None:
        return
    user.sealed_at = timezone.now()
    user.save(update_fields=["sealed_at"])  # the signals end every session and token
    audit_record(action="account.seal", obj=user, unit=account_unit(user), detail=f"{user.username}：{reason}")


def account_unseal(user: User, *, actor: User) -> None:
    """A security admin lets a sealed user in again. The last use counts from now, so the nightly
    task does not seal the account again before the user could log in."""
    before = user.sealed_at
    user.sealed_at = None
    user.last_login = timezone.now()
    user.save(update_fields=["sealed_at", "last_login"])
    audit_record(action="account.unseal", obj=user, user=actor, unit=account_unit(user),
                 detail=f"{user.username}：封存时间 {before:%Y-%m-%d %H:%M} → 解除" if before else user.username)


def idle_accounts_seal(*, now=None) -> int:
    """Seal the accounts unused for ACCOUNT_SEAL_AFTER_DAYS (never logged in: counted from when
    the account was made). Returns how many were sealed."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.ACCOUNT_SEAL_AFTER_DAYS)
    idle = User.objects.filter(sealed_at__isnull=True, is_active=True).filter(
        Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    )
    count = 0
    for user in idle.iterator():
        with transaction.atomic():
            account_seal(user, reason=f"超过 {settings.ACCOUNT_SEAL_AFTER_DAYS} 天未使用，自动封存")
        count += 1
    return count


# Signals: whatever saves a user --------------------------------------------------------------

@receiver(pre_save, sender=User)
def _user_credentials_changing(sender, instance: User, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    now = timezone.now()
    if not instance.pk:
        instance.password_changed_at = instance.password_changed_at or now
        instance._password_changed = bool(instance.password)
        return
    before = User.objects.filter(pk=instance.pk).values("password", "is_active", "sealed_at", "credentials_epoch").first()
    if before is None:
        return
    password_changed = before["password"] != instance.password
    # A first password (the account had none, or an unusable one) ends nothing: no session or
    # token could have been made with it.
    had_password = bool(before["password"]) and not before["password"].startswith("!")
    disabled = before["is_active"] and not instance.is_active
    sealed = before["sealed_at"] is None and instance.sealed_at is not None
    instance._password_changed = password_changed
    instance._credentials_revoked = (password_changed and had_password) or disabled or sealed
    if password_changed:
        instance.password_changed_at = now
        # An admin's reset (xueji/accounts/security.py) asks for a change at the next login;
        # the user's own change clears it.
        instance.must_change_password = bool(getattr(instance, "_password_set_by_admin", False))
    if instance._credentials_revoked:
        instance.credentials_epoch = before["credentials_epoch"] + 1


def _persist_derived_fields(instance: User) -> None:
    """A save with update_fields (``save(update_fields=["password"])``) would leave the fields
    set in pre_save unwritten: write them whatever the save wrote."""
    User.objects.filter(pk=instance.pk).update(
        credentials_epoch=instance.credentials_epoch, password_changed_at=instance.password_changed_at,
        must_change_password=instance.must_change_password,
    )


@receiver(post_save, sender=User)
def _user_credentials_changed(sender, instance: User, created: bool, raw: bool = False, **kwargs) -> None:
    if raw:
        return
    if getattr(instance, "_password_changed", False) and not created:
        _persist_derived_fields(instance)
    if getattr(instance, "_password_changed", False) and instance.has_usable_password():
        PasswordHistory.objects.create(user=instance, password=instance.password)
        kept = PasswordHistory.objects.filter(user=instance).values_list("pk", flat=True)[:PASSWORD_HISTORY_KEPT]
        PasswordHistory.objects.filter(user=instance).exclude(pk__in=list(kept)).delete()
    if getattr(instance, "_credentials_revoked", False) and not created:
        _persist_derived_fields(instance)
        tokens = tokens_revoke(instance)
        audit_record(action="credentials.revoke", obj=instance, result=AuditEntry.Result.OK,
                     detail=f"{instance.username}：密码修改、停用或封存，结束全部会话，收回 {tokens} 个接口令牌")
    instance._password_changed = instance._credentials_revoked = False
