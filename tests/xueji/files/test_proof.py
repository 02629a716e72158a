"""Attachments: PDF, JPG, PNG by content; size caps; images re-encoded without metadata; random
names outside the web root; served only to those who may see the request."""

import io
import random

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.transfers.conftest import PDF, start
from xueji.files.proof import check_upload, check_uploads


def image_bytes(fmt: str, size=(40, 30), exif: bool = False) -> bytes:
    image = Image.new("RGB", size, (30, 80, 200))
    buffer = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "CameraMaker"  # Make
        data[0x8825] = {2: (39.0, 54.0, 0.0)}  # GPS latitude
        image.save(buffer, fmt, exif=data)
    else:
        image.save(buffer, fmt)
    return buffer.getvalue()


def upload(name: str, content: bytes):
    return SimpleUploadedFile(name, content)


def test_pdf_jpg_png_are_accepted_by_content_not_name():
    assert check_upload(upload("a.pdf", PDF)).content_type == "application/pdf"
    assert check_upload(upload("photo.png", image_bytes("JPEG"))).content_type == "image/jpeg"
    assert check_upload(upload("scan", image_bytes("PNG"))).content_type == "image/png"


@pytest.mark.parametrize("content", [b"MZ\x90\x00 an exe", b"<html><script>", b"GIF89a....", b"PK\x03\x04 zip"])
def test_other_content_is_refused_whatever_the_name(content):
    with pytest.raises(ValidationError) as error:
        check_upload(upload("证明.pdf", content))
    assert "不是 PDF、JPG 或 PNG" in error.value.messages[0]


def test_size_caps():
    big_pdf = PDF[:-6] + b" " * (5 * 1024 * 1024) + b"%%EOF\n"
    with pytest.raises(ValidationError, match="PDF 最大 5 MB"):
        check_upload(upload("big.pdf", big_pdf))
    noisy = Image.frombytes("RGB", (1200, 900), random.Random(1).randbytes(1200 * 900 * 3))  # noise: no compression
    buffer = io.BytesIO()
    noisy.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 2 * 1024 * 1024
    with pytest.raises(ValidationError, match="图片最大 2 MB"):
        check_upload(upload("big.png", buffer.getvalue()))


def test_images_lose_their_metadata():
    original = image_bytes("JPEG", exif=True)
    assert Image.open(io.BytesIO(original)).getexif()
    stored = check_upload(upload("p.jpg", original)).content
    assert not Image.open(io.BytesIO(stored)).getexif()


def test_truncated_pdf_and_broken_image_are_refused():
    with pytest.raises(ValidationError, match="不是完整的 PDF"):
        check_upload(upload("half.pdf", PDF[:20]))
    with pytest.raises(ValidationError, match="已损坏"):
        check_upload(upload("bad.jpg", image_bytes("JPEG")[:60]))


def test_decompression_bomb_is_refused():
    with pytest.raises(ValidationError, match="像素太多"):
        check_upload(upload("bomb.png", image_bytes("PNG", size=(8000, 8000))))


def test_every_bad_file_is_listed_at_once():
    with pytest.raises(ValidationError) as error:
        check_uploads([upload("a.pdf", b"nope"), upload("b.jpg", b"nope too"), upload("c.pdf", PDF)])
    assert len(error.value.messages) == 2


def test_stored_under_a_random_name_outside_the_web_root(world, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    request = start(world, files=check_uploads([upload("户口簿.pdf", PDF)]))
    attachment = request.attachments.get()
    assert attachment.original_name == "户口簿.pdf"
    assert "户口簿" not in attachment.file.name and attachment.file.name.endswith(".pdf")
    assert not str(attachment.file.path).startswith(str(settings.STATIC_ROOT))


def test_served_to_parties_only(world, login, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    request = start(world, files=check_uploads([upload("户口簿.pdf", PDF)]))
    attachment = request.attachments.get()
    response = login(world.user("officer_a")).get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert login(world.user("registrar_a2")).get(f"/attachments/{attachment.pk}/").status_code == 404
