"""Signals: the audit of permission changes — memberships granted or removed, and a user's
active / staff / superuser flags — whoever makes them (the admin site or a service); and the
cache of division codes, cleared when the admin edits a division."""

from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from xueji.accounts.audit import audit_record
from xueji.accounts.models import Membership, User

PERMISSION_FLAGS = ("is_active", "is_staff", "is_superuser")


@receiver(post_save, sender=Membership)
def membership_granted(sender, instance: Membership, created: bool, **kwargs) -> None:
    audit_record(
        action="permission.grant" if created else "permission.change",
        obj=instance.user,
        unit=instance.unit,
        detail=f"{instance.user.username}：{instance.unit.name if instance.unit_id else '全系统'} {instance.get_role_display()}",
    )


@receiver(post_delete, sender=Membership)
def membership_revoked(sender, instance: Membership, **kwargs) -> None:
    audit_record(
        action="permission.revoke",
        obj=instance.user,
        unit=instance.unit if instance.unit_id else None,
        detail=f"{instance.user.username}：{instance.unit.name if instance.unit_id else '全系统'} {instance.get_role_display()}",
    )


@receiver(pre_save, sender=User)
def user_flags_changed(sender, instance: User, **kwargs) -> None:
    if not instance.pk:
        return
    before = User.objects.filter(pk=instance.pk).values(*PERMISSION_FLAGS).first()
    if before is None:
        return
    changed = [flag for flag in PERMISSION_FLAGS if before[flag] != getattr(instance, flag)]
    if changed:
        audit_record(
            action="permission.change",
            obj=instance,
            detail="；".join(f"{flag}: {before[flag]} → {getattr(instance, flag)}" for flag in changed),
        )
