"""Home-visit photos (家访照片): checked and stored with the core's attachment code, so that a
photo gets the same content sniffing, size cap (2 MB), pixel cap and re-encoding without
metadata (a phone photo's EXIF holds the family's location) as any proof in the system.

Only JPG and PNG: a scanned PDF is proof, not a photo of the visit."""

from collections.abc import Sequence

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile

from dropouts.models import CaseStep, VisitPhoto
from xueji.accounts.models import User
from xueji.files.proof import MAX_FILES, CheckedFile, check_upload

PHOTO_TYPES = {"image/jpeg", "image/png"}
MAX_PHOTOS = MAX_FILES


def check_photos(uploads: Sequence) -> list[CheckedFile]:
    """Check every uploaded photo; one ValidationError on ``photos`` listing every bad file."""
    if len(uploads) > MAX_PHOTOS:
        raise ValidationError({"photos": f"一次最多上传 {MAX_PHOTOS} 张照片。"})
    checked, errors = [], []
    for upload in uploads:
        try:
            photo = check_upload(upload)
        except ValidationError as error:
            errors.extend(error.messages)
            continue
        if photo.content_type not in PHOTO_TYPES:
            errors.append(f"“{photo.original_name}”不是照片：家访照片只收 JPG 或 PNG。")
        else:
            checked.append(photo)
    if errors:
        raise ValidationError({"photos": errors})
    return checked


def photos_refusal(photos: Sequence[CheckedFile], kind: str) -> str | None:
    """Why these checked photos may not go with a step of this kind, or None."""
    if not photos:
        return None
    if kind != CaseStep.Kind.HOME_VISIT:
        return "只有家访可以上传照片。"
    if len(photos) > MAX_PHOTOS:
        return f"一次最多上传 {MAX_PHOTOS} 张照片。"
    # The service trusts no caller to have used check_photos: check_uploads lets PDFs through.
    if any(photo.content_type not in PHOTO_TYPES for photo in photos):
        return "家访照片只收 JPG 或 PNG。"
    return None


def photos_store(*, step: CaseStep, photos: Sequence[CheckedFile], actor: User) -> list[VisitPhoto]:
    """Write the checked photos under random names in the private folder and attach them."""
    stored = []
    for checked in photos:
        photo = VisitPhoto(step=step, original_name=checked.original_name, content_type=checked.content_type,
                           size=len(checked.content), uploaded_by=actor)
        photo.file.save("photo" + checked.extension, ContentFile(checked.content), save=False)
        photo.save()
        stored.append(photo)
    return stored
