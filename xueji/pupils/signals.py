"""Signals the pupils package listens to (connected from XuejiConfig.ready): the rules' cache of
known division codes is emptied when the system administrator edits the divisions."""

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from xueji.accounts.models import Division
from xueji.pupils.rules import known_division_codes


@receiver(post_save, sender=Division)
@receiver(post_delete, sender=Division)
def division_changed(sender, **kwargs) -> None:
    known_division_codes.cache_clear()
