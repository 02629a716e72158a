"""Helpers for transfer tests: proof files and starting a transfer as the receiving registrar."""

from django.core.files.uploadedfile import SimpleUploadedFile

from transfers.services import TransferApplication, transfer_start
from xueji.files.proof import check_uploads

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def proof(name: str = "户口簿.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def start(world, pupil_key: str = "a1", to: str = "b1", to_class: str = "b1_3_1", grounds: str = "residence", **kwargs):
    """registrar of ``to`` starts a transfer of the world's pupil ``pupil_key`` into ``to_class``."""
    pupil = world.pupils[pupil_key]
    return transfer_start(
        actor=world.user(f"registrar_{to}"),
        school=world.units[to],
        application=TransferApplication(
            number=kwargs.pop("number", pupil.student_number), name=kwargs.pop("name", pupil.name),
            grounds=grounds, grounds_note="随父母迁居", target_class=world.classes[to_class],
        ),
        files=kwargs.pop("files", check_uploads([proof()])),
        **kwargs,
    )
