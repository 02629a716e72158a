"""The uploaded enrolment files' bytes: encrypted in the database, and deleted 30 days after the
import finished (2025 学籍管理办法 and PIPL: personal data kept no longer than needed).

An upload keeps its bytes only for the import itself and for the annotated copy of a refused file
(errors.xlsx). They are SM4-GCM (xueji/crypto.py) under the current key, the file's SHA-256 the
authenticated context (the bytes of one upload do not open as another's). A nightly task
(enrollment.tasks.expire_import_files) empties them settings.ENROLMENT_FILE_RETENTION_DAYS days
after the import finished, done or refused; the row keeps its name, hash (which still refuses
the same file twice), counts and errors, and its page says why the annotated copy is gone.

The bureau's admission list (录取名单) keeps no file: it is read in the request that uploads it
(enrollment.admission.services.admission_import) and only its rows are stored.
"""

from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from enrollment.intake.models import EnrolmentImport
from xueji import crypto

# An .xlsx is a zip: a stored file that starts so was written before encryption.
ZIP_MAGIC = b"PK"
DELETED_MESSAGE = "原文件已在导入完成 {days} 天后按规定删除，不能再下载标注了错误的文件；错误清单仍可在下方查看。"


def _context(file_sha256: str) -> str:
    return f"enrolment_import:{file_sha256}"


def seal_import_content(content: bytes, *, file_sha256: str) -> bytes:
    return crypto.encrypt_bytes(content, context=_context(file_sha256))


def import_content(upload: EnrolmentImport, stored: bytes | memoryview | None = None) -> bytes | None:
    """The uploaded file's plain bytes, or None once they have been deleted."""
    stored = bytes(upload.content if stored is None else stored)
    if upload.content_deleted_at is not None or not stored:
        return None
    if stored.startswith(ZIP_MAGIC):  # from before encryption (until the migration has run)
        return stored
    return crypto.decrypt_bytes(stored, context=_context(upload.file_sha256))


def retention_days() -> int:
    return settings.ENROLMENT_FILE_RETENTION_DAYS


def deleted_message() -> str:
    return DELETED_MESSAGE.format(days=retention_days())


def import_files_expire(now=None) -> int:
    """Delete the bytes of the uploads finished more than the retention period ago; keep the
    rest of the row. Idempotent. Returns how many files were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=retention_days())
    finished = Q(status__in=(EnrolmentImport.Status.DONE, EnrolmentImport.Status.FAILED), finished_at__lte=cutoff)
    return EnrolmentImport.objects.filter(finished, content_deleted_at__isnull=True).update(
        content=b"", content_deleted_at=now
    )


def rotate_import_contents(batch_size: int = 200) -> int:
    """Re-encrypt under the current key the uploads' bytes that are not (plain ones from before
    encryption, or under an older key); resumable, in batches. Returns how many were rewritten."""
    ring = crypto.keyring()
    current = ring.current_id.encode() + b":"
    done, last_id = 0, 0
    while True:
        rows = list(
            EnrolmentImport.objects.filter(pk__gt=last_id, content_deleted_at__isnull=True)
            .exclude(content=b"").order_by("pk").values_list("pk", "file_sha256", "content")[:batch_size]
        )
        if not rows:
            return done
        for pk, digest, stored in rows:
            stored = bytes(stored)
            if stored.startswith(current):
                continue
            plain = stored if stored.startswith(ZIP_MAGIC) else crypto.decrypt_bytes(stored, context=_context(digest))
            # Only the row as read: an upload deleted meanwhile stays deleted.
            done += EnrolmentImport.objects.filter(pk=pk, content_deleted_at__isnull=True).update(
                content=seal_import_content(plain, file_sha256=digest)
            )
        last_id = rows[-1][0]
