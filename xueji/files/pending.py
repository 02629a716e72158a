"""Proof files that survive a refused form: a form that takes proof uploads carries a draft token
in a hidden field; each file chosen is checked (xueji.files.proof) and kept at once as a
``PendingUpload`` of that user and draft, so a form sent back for a mistake elsewhere lists the
files already kept instead of asking to choose them again. The start that succeeds takes them
(``pending_checked``) and discards them; what is left behind (a form abandoned) goes a day later
(``pending_sweep``: hourly by beat, xueji/files/tasks.py, and on each keep).

A token names a draft only together with its user: another user's token finds nothing.
"""

import re
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from xueji.files.models import PendingUpload
from xueji.files.proof import MAX_FILES, CheckedFile, check_upload

TOKEN = re.compile(r"^[0-9a-f]{32}$")
KEPT_FOR = timedelta(days=1)


def draft_token(value: str | None = None) -> str:
    """The draft token a form sent back, when it is one; else a new one."""
    value = (value or "").strip()
    return value if TOKEN.match(value) else secrets.token_hex(16)


def pending_list(*, user, draft: str) -> list[PendingUpload]:
    if not getattr(user, "is_authenticated", False) or not TOKEN.match(draft or ""):
        return []
    return list(PendingUpload.objects.filter(user=user, draft=draft).order_by("id"))


def pending_keep(*, user, draft: str, uploads: list) -> list[str]:
    """Check each uploaded file and keep the good ones with the draft; returns the refusals of the
    bad ones (each naming its file), which are not kept. Old drafts are swept on the way."""
    pending_sweep()
    kept = PendingUpload.objects.filter(user=user, draft=draft).count()
    errors = []
    for upload in uploads:
        try:
            checked = check_upload(upload)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if kept >= MAX_FILES:
            errors.append(f"最多上传 {MAX_FILES} 个附件，“{checked.original_name}”没有保存。")
            continue
        pending = PendingUpload(user=user, draft=draft, original_name=checked.original_name,
                                content_type=checked.content_type, extension=checked.extension,
                                size=len(checked.content))
        pending.file.save("pending" + checked.extension, ContentFile(checked.content), save=False)
        pending.save()
        kept += 1
    return errors


def pending_remove(*, user, draft: str, ids: list[int]) -> None:
    """The user takes some kept files back off the form."""
    _delete(PendingUpload.objects.filter(user=user, draft=draft, pk__in=ids))


def pending_checked(*, user, draft: str) -> list[CheckedFile]:
    """The draft's kept files, as the checked files a start stores (checked when they were kept)."""
    files = []
    for pending in pending_list(user=user, draft=draft):
        with pending.file.open("rb") as handle:
            content = handle.read()
        files.append(CheckedFile(content, pending.content_type, pending.extension, pending.original_name))
    return files


def pending_discard(*, user, draft: str) -> None:
    """The draft is done with (its request started): its files go, once the start is committed."""
    _delete(PendingUpload.objects.filter(user=user, draft=draft))


def pending_sweep(now=None) -> int:
    """Drafts abandoned: files kept longer than a day go."""
    now = now or timezone.now()
    return _delete(PendingUpload.objects.filter(created_at__lt=now - KEPT_FOR))


def _delete(queryset) -> int:
    rows = list(queryset)
    names = [row.file.name for row in rows if row.file]
    PendingUpload.objects.filter(pk__in=[row.pk for row in rows]).delete()

    def remove_files():
        from django.core.files.storage import default_storage

        for name in names:
            default_storage.delete(name)

    transaction.on_commit(remove_files)
    return len(rows)
