"""A request's attachments: proof checked by xueji.files.proof, stored under random names
(xueji.files.storage) and served only to users who may see the request."""

from django.core.files.base import ContentFile

from xueji.accounts.models import User
from xueji.approvals.models import Attachment, ChangeRequest
from xueji.files.proof import CheckedFile


def attachments_store(*, request: ChangeRequest, files: list[CheckedFile], actor: User, label: str = "") -> list[Attachment]:
    """Store checked files under random names (xueji.files.storage) and attach them to the request."""
    stored = []
    for checked in files:
        attachment = Attachment(
            request=request, original_name=checked.original_name, content_type=checked.content_type,
            size=len(checked.content), label=label, uploaded_by=actor,
        )
        attachment.file.save("attachment" + checked.extension, ContentFile(checked.content), save=False)
        attachment.save()
        stored.append(attachment)
    return stored
