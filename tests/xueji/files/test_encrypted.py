"""Private files encrypted on disk (xueji/files/encrypted.py): what is on disk is ciphertext,
every reader (the pages that serve photos and attachments, Pillow, WeasyPrint's fetcher) gets the
original bytes, a file under an old key still opens, and rotate_files moves it to the current key."""

import base64
import io
import secrets

import pytest
from django.apps import apps
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from PIL import Image

from tests.transfers.conftest import start
from xueji import crypto
from xueji.documents.pdf import DOCUMENT_BASE_URL, LocalOnlyFetcher
from xueji.files.encrypted import MAGIC, EncryptedFileSystemStorage, file_key_id, rotate_files
from xueji.files.proof import check_uploads
from xueji.photos.services import photo_warnings, pupil_photo_set

SECRET_TEXT = b"ZHANG-XIAOMING-HUKOU-220122"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\n% " + SECRET_TEXT + b"\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def key_text(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(secrets.token_bytes(16)).decode().rstrip('=')}"


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def keys(settings):
    """Set the keys ("id:key,id:key", the first current) for the rest of the test."""

    def _set(text: str) -> None:
        settings.ENCRYPTION_KEYS = text
        crypto.keyring_reset()

    yield _set
    crypto.keyring_reset()


def photo_jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (413, 579), (67, 142, 219)).save(buffer, "JPEG")
    return buffer.getvalue()


def on_disk(name: str) -> bytes:
    return open(default_storage.path(name), "rb").read()


def test_every_file_field_stores_through_the_encrypting_storage():
    """Photos, attachments, home-visit photos, card PDFs, export files: whatever model has a file."""
    assert isinstance(default_storage, EncryptedFileSystemStorage)
    fields = [field for model in apps.get_models() for field in model._meta.get_fields()
              if isinstance(field, models.FileField)]
    assert {f"{field.model._meta.model_name}.{field.name}" for field in fields} >= {
        "pupil.photo", "attachment.file", "visitphoto.file", "documentjob.file"}
    for field in fields:
        assert isinstance(field.storage, EncryptedFileSystemStorage), field


def test_a_photo_is_ciphertext_on_disk_and_served_as_it_was(world, login):
    pupil = world.pupils["a1"]
    saved = pupil_photo_set(actor=world.user("registrar_a1"), pupil=pupil,
                            upload=SimpleUploadedFile("照片.jpg", photo_jpeg(), content_type="image/jpeg"))
    name = saved.pupil.photo.name
    stored = on_disk(name)
    assert stored.startswith(MAGIC)
    assert b"\xff\xd8\xff" not in stored and b"JFIF" not in stored
    with default_storage.open(name) as handle:
        original = handle.read()
    assert original.startswith(b"\xff\xd8\xff")
    assert default_storage.size(name) == len(original)

    photo = saved.pupil.photo
    for _ in range(2):  # a field's file opened again reads the storage again, not the path
        with photo.open("rb") as handle:
            assert handle.read() == original

    response = login(world.user("registrar_a1")).get(f"/pupils/{pupil.pk}/photo/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == original
    assert response["Content-Type"] == "image/jpeg"
    # Pillow reads the stored photo through the storage (the pupil's page's warnings).
    assert photo_warnings(saved.pupil) == []


def test_an_attachment_is_ciphertext_on_disk_and_served_as_it_was(world, login):
    request = start(world, files=check_uploads([SimpleUploadedFile("户口簿.pdf", PDF, content_type="application/pdf")]))
    attachment = request.attachments.get()
    stored = on_disk(attachment.file.name)
    assert b"%PDF" not in stored and SECRET_TEXT not in stored and b"%%EOF" not in stored
    response = login(world.user("officer_a")).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF


def test_documents_read_photos_decrypted():
    name = default_storage.save("pupil/photo.jpg", ContentFile(photo_jpeg()))
    assert b"JFIF" not in on_disk(name)
    fetched = LocalOnlyFetcher().fetch(DOCUMENT_BASE_URL + "private-not-served/" + name)
    assert fetched.read() == photo_jpeg() and fetched.content_type == "image/jpeg"


def test_a_file_copied_over_another_name_does_not_open(world, login):
    """The file's name is authenticated with it: swapping two pupils' photos on disk is noticed,
    and the page says the file is missing instead of failing."""
    pupil = world.pupils["a1"]
    saved = pupil_photo_set(actor=world.user("registrar_a1"), pupil=pupil,
                            upload=SimpleUploadedFile("照片.jpg", photo_jpeg(), content_type="image/jpeg"))
    other = default_storage.save("pupil/other.jpg", ContentFile(b"\xff\xd8\xff another photo"))
    with open(default_storage.path(saved.pupil.photo.name), "wb") as handle:
        handle.write(on_disk(other))
    with pytest.raises(FileNotFoundError):
        default_storage.open(saved.pupil.photo.name)
    assert login(world.user("registrar_a1")).get(f"/pupils/{pupil.pk}/photo/").status_code == 404


def test_a_file_under_an_old_key_still_opens_and_rotation_moves_it(keys):
    old, new = key_text("old1"), key_text("new2")
    keys(old)
    name = default_storage.save("requestattachment/proof.pdf", ContentFile(PDF))
    assert file_key_id(on_disk(name)) == "old1"

    keys(f"{new},{old}")  # a new current key; the old one still listed
    with default_storage.open(name) as handle:
        assert handle.read() == PDF

    assert rotate_files(batch_size=1) == 1
    assert file_key_id(on_disk(name)) == "new2" and SECRET_TEXT not in on_disk(name)
    assert rotate_files(batch_size=1) == 0  # nothing left: a rerun only looks

    keys(new)  # the old key retired
    with default_storage.open(name) as handle:
        assert handle.read() == PDF


def test_plain_files_from_before_are_encrypted_in_place_once(private_media):
    (private_media / "pupil").mkdir(parents=True)
    (private_media / "pupil" / "legacy.jpg").write_bytes(b"\xff\xd8\xff a photo from before " + SECRET_TEXT)
    (private_media / "cardjob").mkdir()
    (private_media / "cardjob" / "cards-1.pdf").write_bytes(PDF)

    with default_storage.open("pupil/legacy.jpg") as handle:  # readable before the step has run
        assert handle.read().endswith(SECRET_TEXT)

    call_command("files_encrypt", "--batch-size", "1", stdout=io.StringIO())
    for name in ("pupil/legacy.jpg", "cardjob/cards-1.pdf"):
        assert on_disk(name).startswith(MAGIC) and SECRET_TEXT not in on_disk(name)
    with default_storage.open("cardjob/cards-1.pdf") as handle:
        assert handle.read() == PDF
    assert rotate_files() == 0  # idempotent: an encrypted file is recognised
    assert sorted(p.name for p in (private_media / "pupil").iterdir()) == ["legacy.jpg"]  # no temporary left
