"""Proof files (a request's attachments, a home visit's photos): PDF, JPG or PNG only, recognised
by their content, not their name; 5 MB for a PDF, 2 MB for an image (the national system's limit); images are re-encoded,
which drops their metadata (EXIF: location, camera); files get random names under the private
folder, outside the web root (xueji.files.storage), and are served only to users who may see what
they prove.
"""

import io
from dataclasses import dataclass
from pathlib import PurePath

from django.core.exceptions import ValidationError
from PIL import Image, UnidentifiedImageError

PDF_LIMIT = 5 * 1024 * 1024
IMAGE_LIMIT = 2 * 1024 * 1024
MAX_FILES = 10
# Larger images are refused before they are decoded (a "decompression bomb" is a tiny file that
# decodes into gigabytes): 40 megapixels is far above any scan or phone photo.
MAX_PIXELS = 40_000_000


@dataclass(frozen=True)
class CheckedFile:
    content: bytes
    content_type: str
    extension: str
    original_name: str


def _sniff(head: bytes) -> str | None:
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    return None


def check_upload(upload) -> CheckedFile:
    """Check one uploaded file and return what will be stored; ValidationError in Chinese."""
    name = PurePath(getattr(upload, "name", "") or "附件").name[:200]
    size = getattr(upload, "size", None) or 0
    if size > PDF_LIMIT:
        raise ValidationError(f"“{name}”太大（{size / 1048576:.1f} MB）：PDF 最大 5 MB，图片最大 2 MB。")
    content = upload.read()
    kind = _sniff(content[:16])
    if kind is None:
        raise ValidationError(f"“{name}”不是 PDF、JPG 或 PNG 文件（按文件内容识别，与扩展名无关）。")
    if kind == "application/pdf":
        if len(content) > PDF_LIMIT:
            raise ValidationError(f"“{name}”太大：PDF 最大 5 MB。")
        if b"%%EOF" not in content[-2048:]:
            raise ValidationError(f"“{name}”不是完整的 PDF 文件，请重新扫描或导出。")
        return CheckedFile(content, kind, ".pdf", name)
    if len(content) > IMAGE_LIMIT:
        raise ValidationError(f"“{name}”太大（{len(content) / 1048576:.1f} MB）：图片最大 2 MB，请压缩后再上传。")
    return _reencode(content, kind, name)


def _reencode(content: bytes, kind: str, name: str) -> CheckedFile:
    """Decode and encode the image again: only the pixels survive, not its metadata."""
    try:
        with Image.open(io.BytesIO(content)) as probe:
            width, height = probe.size
            if width * height > MAX_PIXELS:
                raise ValidationError(f"“{name}”的像素太多（{width}×{height}），请缩小后再上传。")
            probe.verify()
        with Image.open(io.BytesIO(content)) as image:
            image.load()
            output = io.BytesIO()
            if kind == "image/jpeg":
                image.convert("RGB").save(output, "JPEG", quality=90)
                return CheckedFile(output.getvalue(), kind, ".jpg", name)
            image.save(output, "PNG")
            return CheckedFile(output.getvalue(), kind, ".png", name)
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise ValidationError(f"“{name}”已损坏或不是有效的图片。") from None


def check_uploads(uploads: list) -> list[CheckedFile]:
    """Check every file; one ValidationError listing every bad file."""
    if len(uploads) > MAX_FILES:
        raise ValidationError(f"一次最多上传 {MAX_FILES} 个附件。")
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as error:
            errors.extend(error.messages)
    if errors:
        raise ValidationError(errors)
    return checked
