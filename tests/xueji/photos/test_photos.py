"""Pupils' photos: checked by content, turned upright, cut to 2 inches, re-encoded without
metadata, warned about when the background is not blue; uploaded or taken on the pupil's page,
removed, imported from a school's zip (matched by ID number or 学籍号, every problem listed, the
zip guarded); the API; who may do what; the audit log. Real images (Pillow) and a real database."""

import io
import random
import struct
import zipfile
import zlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image, ImageDraw

from tests.factories import make_pupil
from xueji.accounts.models import AuditEntry
from xueji.codes import NumberKind
from xueji.photos.images import MAX_PHOTO_BYTES, PHOTO_SIZE, background_warnings, blue_share, crop_box, photo_prepare
from xueji.photos.services import photo_keys, photo_warnings, photos_import_zip, pupil_photo_remove, pupil_photo_set
from xueji.photos.zip import MAX_ENTRIES, PhotoZipRefused
from xueji.pupils.models import Pupil

BLUE = (67, 142, 219)  # the usual blue of ID photos
WHITE = (250, 250, 250)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


# Synthetic images ---------------------------------------------------------------------------

def portrait(background, size=(700, 980)) -> Image.Image:
    """A pupil in front of a background: a face and shoulders in the middle and at the bottom."""
    width, height = size
    image = Image.new("RGB", size, background)
    draw = ImageDraw.Draw(image)
    draw.ellipse([width * 0.3, height * 0.15, width * 0.7, height * 0.6], fill=(230, 190, 160))  # face
    draw.rectangle([0, height * 0.75, width, height], fill=(30, 30, 40))  # shoulders, dark clothes
    return image


def encode(image: Image.Image, fmt: str = "JPEG", **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def with_exif(image: Image.Image, orientation: int = 1) -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x0112] = orientation
    exif[0x8825] = {2: (43.0, 52.0, 0.0), 4: (125.0, 19.0, 0.0)}  # GPS: where the family lives
    return encode(image, "JPEG", exif=exif)


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def make_zip(files: dict[str, bytes], compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for name, content in files.items():
            archive.writestr(zipfile.ZipInfo(name), content, compress_type=compression)
    return buffer.getvalue()


def stored(pupil: Pupil) -> Image.Image:
    pupil.refresh_from_db()
    with pupil.photo.open("rb") as handle:
        image = Image.open(io.BytesIO(handle.read()))
        image.load()
    return image


BLUE_JPG = encode(portrait(BLUE))
WHITE_JPG = encode(portrait(WHITE))


# The image: crop, size, orientation, metadata ----------------------------------------------

@pytest.mark.parametrize("size, box", [
    ((4000, 3000), (928, 0, 3071, 3000)),   # landscape: centred across
    ((3000, 4000), (71, 0, 2928, 4000)),    # 3:4 portrait is still wider than 35:49
    ((350, 1000), (0, 128, 350, 618)),      # tall: a quarter of the spare height cut at the top
    ((35, 49), (0, 0, 35, 49)),             # exactly 2-inch
])
def test_crop_box_has_2_inch_proportions(size, box):
    assert crop_box(*size) == box
    left, top, right, bottom = box
    assert abs((right - left) / (bottom - top) - 35 / 49) < 0.002


def test_stored_photo_is_413_by_579_jpeg_whatever_the_input():
    for image, fmt in [(portrait(BLUE, (4000, 3000)), "JPEG"), (portrait(BLUE, (300, 900)), "PNG"),
                       (Image.new("RGBA", (500, 700), (0, 0, 0, 0)), "PNG"), (Image.new("L", (600, 800), 128), "JPEG")]:
        prepared = photo_prepare(encode(image, fmt))
        result = Image.open(io.BytesIO(prepared.content))
        assert (result.format, result.size, result.mode) == ("JPEG", PHOTO_SIZE, "RGB")
        assert result.info["dpi"] == (300, 300)  # prints at 35 × 49 mm


def test_a_tall_portrait_loses_more_at_the_bottom_than_at_the_top():
    image = Image.new("RGB", (350, 1000), BLUE)
    ImageDraw.Draw(image).rectangle([0, 0, 350, 99], fill=(255, 0, 0))  # 100 red rows at the top
    ImageDraw.Draw(image).rectangle([0, 900, 350, 1000], fill=(0, 255, 0))  # 100 green rows at the bottom
    result = Image.open(io.BytesIO(photo_prepare(encode(image, "PNG")).content)).convert("RGB")
    # 128 rows are cut at the top (the red band goes), 382 at the bottom (the green band goes).
    top, bottom = result.getpixel((200, 2)), result.getpixel((200, PHOTO_SIZE[1] - 3))
    assert top[2] > 150 and top[0] < 120 and bottom[2] > 150 and bottom[1] < 180


def test_reencoding_strips_exif_and_applies_the_orientation_first():
    # Stored sideways, as a phone does: the left half red, the right half blue, and EXIF
    # orientation 6 ("turn 90° clockwise to show"): shown upright, the red half is at the top.
    sideways = Image.new("RGB", (980, 700), BLUE)
    ImageDraw.Draw(sideways).rectangle([0, 0, 489, 700], fill=(220, 30, 30))
    original = with_exif(sideways, orientation=6)
    assert b"CameraMaker" in original and b"Exif" in original
    content = photo_prepare(original).content
    assert b"CameraMaker" not in content and b"Exif" not in content
    result = Image.open(io.BytesIO(content))
    assert "exif" not in result.info and not result.getexif()
    assert result.size == PHOTO_SIZE
    top, bottom = result.getpixel((206, 40)), result.getpixel((206, 540))
    assert top[0] > 180 and top[2] < 90, top  # red
    assert bottom[2] > 180 and bottom[0] < 110, bottom  # blue


@pytest.mark.parametrize("content", [
    b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", b"GIF89a\x01\x00\x01\x00", b"<html><script>alert(1)</script>",
    b"MZ\x90\x00 an exe", b"PK\x03\x04 a zip",
])
def test_other_content_is_refused_in_chinese_whatever_the_name(content):
    with pytest.raises(ValidationError) as error:
        photo_prepare(content, name="照片.jpg")
    assert error.value.messages == ["“照片.jpg”不是 JPG 或 PNG 图片（按文件内容识别，与扩展名无关），请上传照片文件。"]


def test_a_jpeg_named_png_is_a_photo():
    assert Image.open(io.BytesIO(photo_prepare(BLUE_JPG, name="x.png").content)).format == "JPEG"


@pytest.mark.parametrize("fmt", ["JPEG", "PNG"])
def test_a_cut_or_damaged_image_is_refused(fmt):
    import weasyprint  # noqa: F401  (it sets Pillow's LOAD_TRUNCATED_IMAGES for the whole process)

    content = encode(portrait(BLUE), fmt)
    with pytest.raises(ValidationError, match="已损坏"):
        photo_prepare(content[: len(content) // 2], name="a.jpg")
    if fmt == "PNG":
        damaged = bytearray(content)
        damaged[len(content) // 2] ^= 0xFF  # a flipped byte in the image data
        with pytest.raises(ValidationError, match="已损坏"):
            photo_prepare(bytes(damaged), name="a.png")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width × height pixels (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ValidationError, match="像素太多"):
        photo_prepare(png_claiming(20000, 20000), name="bomb.png")
    # Beyond Pillow's own limit too (its DecompressionBombError), with our message.
    with pytest.raises(ValidationError, match="像素太多"):
        photo_prepare(png_claiming(60000, 60000), name="bomb.png")


def test_size_cap():
    with pytest.raises(ValidationError, match="照片最大 10 MB"):
        photo_prepare(BLUE_JPG + b"\0" * MAX_PHOTO_BYTES, name="big.jpg")


# The background ----------------------------------------------------------------------------

def test_blue_background_gives_no_warning():
    prepared = photo_prepare(BLUE_JPG)
    assert prepared.warnings == () and prepared.blue_share > 0.95


def test_white_background_gives_a_warning_not_a_refusal():
    prepared = photo_prepare(WHITE_JPG)
    assert prepared.blue_share < 0.05
    assert len(prepared.warnings) == 1 and "背景不是蓝色" in prepared.warnings[0]
    assert Image.open(io.BytesIO(prepared.content)).size == PHOTO_SIZE


@pytest.mark.parametrize("background, blue", [
    ((0, 191, 243), True), ((30, 80, 180), True), ((130, 190, 240), True),  # sky, deep and pale blue
    ((200, 30, 30), False), ((120, 120, 120), False), ((20, 20, 60), False),  # red, grey, almost black
])
def test_blue_is_a_range_of_blues(background, blue):
    assert (photo_prepare(encode(portrait(background))).warnings == ()) is blue


def test_the_estimate_is_deterministic_and_ignores_the_pupil():
    image = portrait(BLUE, PHOTO_SIZE)
    assert blue_share(image) == blue_share(image.copy()) == 1.0  # face and shoulders are outside the bands
    # Blue on the left half only: half the top band and one side band are blue.
    half = Image.new("RGB", PHOTO_SIZE, WHITE)
    half.paste(Image.new("RGB", (PHOTO_SIZE[0] // 2, PHOTO_SIZE[1]), BLUE))
    assert 0.45 < blue_share(half) < 0.55
    assert background_warnings(blue_share(half)) and not background_warnings(0.6)


def test_a_tiny_photo_is_warned_about():
    prepared = photo_prepare(encode(portrait(BLUE, (100, 140))))
    assert any("分辨率较低" in warning for warning in prepared.warnings)


# One pupil: services and pages ---------------------------------------------------------------

def test_registrar_uploads_and_replaces_a_photo(world, django_capture_on_commit_callbacks):
    pupil = world.pupils["a1"]
    actor = world.user("registrar_a1")
    with django_capture_on_commit_callbacks(execute=True):
        first = pupil_photo_set(actor=actor, pupil=pupil, upload=upload("a.jpg", with_exif(portrait(BLUE))))
    first_name = first.pupil.photo.name
    assert not first.replaced and first.warnings == ()
    assert first_name.startswith("pupil/") and first_name.endswith(".jpg")
    assert stored(pupil).size == PHOTO_SIZE
    with django_capture_on_commit_callbacks(execute=True):
        second = pupil_photo_set(actor=actor, pupil=pupil, upload=upload("b.png", encode(portrait(WHITE), "PNG")))
    assert second.replaced and len(second.warnings) == 1
    assert not default_storage.exists(first_name)  # the replaced file is gone
    pupil.refresh_from_db()
    assert pupil.photo.name == second.pupil.photo.name and default_storage.exists(pupil.photo.name)
    assert photo_warnings(pupil) == list(second.warnings)  # the page says what the upload said
    entries = AuditEntry.objects.filter(action="photo.upload", object_id=str(pupil.pk)).order_by("id")
    assert [e.detail.split("；")[0] for e in entries] == ["上传照片", "上传照片（替换原照片）"]
    assert entries[0].username == "registrar_a1" and entries[0].unit_id == world.units["a1"].pk


def test_remove_deletes_the_file_after_commit(world, django_capture_on_commit_callbacks):
    pupil = world.pupils["a1"]
    saved = pupil_photo_set(actor=world.user("headmaster_a1"), pupil=pupil, upload=upload("a.jpg", BLUE_JPG))
    name = saved.pupil.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        pupil_photo_remove(actor=world.user("headmaster_a1"), pupil=pupil)
    pupil.refresh_from_db()
    assert not pupil.photo and not default_storage.exists(name)
    assert AuditEntry.objects.filter(action="photo.remove", object_id=str(pupil.pk), username="headmaster_a1").exists()
    with pytest.raises(ValidationError, match="没有照片"):
        pupil_photo_remove(actor=world.user("headmaster_a1"), pupil=pupil)


@pytest.mark.parametrize("username", ["teacher_a1", "officer_a", "central_a3", "registrar_a2"])
def test_only_the_school_registrar_or_headmaster_changes_a_photo(world, username):
    with pytest.raises(PermissionDenied):
        pupil_photo_set(actor=world.user(username), pupil=world.pupils["a1"], upload=upload("a.jpg", BLUE_JPG))
    assert not Pupil.objects.get(pk=world.pupils["a1"].pk).photo


def test_photo_changes_are_in_the_field_history_without_file_names(world, login):
    pupil = world.pupils["a1"]
    pupil_photo_set(actor=world.user("registrar_a1"), pupil=pupil, upload=upload("a.jpg", BLUE_JPG))
    body = login(world.user("registrar_a1")).get(f"/pupils/{pupil.pk}/").content.decode()
    assert "已上传照片" in body and "pupil/" not in body.split("信息变更记录")[1]


def test_page_upload_shows_the_warning_on_the_pupil_page(world, login):
    pupil = world.pupils["a1"]
    client = login(world.user("registrar_a1"))
    response = client.post(f"/pupils/{pupil.pk}/photo/upload/", {"photo": upload("p.jpg", WHITE_JPG)}, follow=True)
    body = response.content.decode()
    assert "照片已保存。" in body and body.count("照片背景不是蓝色") == 2  # the message, and the photo card
    assert stored(pupil).size == PHOTO_SIZE
    # Later visits still warn (worked out from the stored photo).
    assert "照片背景不是蓝色" in client.get(f"/pupils/{pupil.pk}/").content.decode()


def test_page_camera_capture_and_blue_photo(world, login):
    pupil = world.pupils["a1"]
    client = login(world.user("headmaster_a1"))
    page = client.get(f"/pupils/{pupil.pk}/").content.decode()
    assert 'capture="user"' in page and 'accept="image/*"' in page and 'enctype="multipart/form-data"' in page
    response = client.post(f"/pupils/{pupil.pk}/photo/upload/", {"camera": upload("image.jpg", BLUE_JPG)}, follow=True)
    body = response.content.decode()
    assert "照片已保存。" in body and "背景不是蓝色" not in body
    assert AuditEntry.objects.get(action="photo.upload", object_id=str(pupil.pk)).detail == "拍摄照片"


def test_page_refuses_a_file_that_is_not_an_image(world, login):
    pupil = world.pupils["a1"]
    response = login(world.user("registrar_a1")).post(
        f"/pupils/{pupil.pk}/photo/upload/", {"photo": upload("p.jpg", b"%PDF-1.4 not a photo")}, follow=True)
    assert "照片未保存：“p.jpg”不是 JPG 或 PNG 图片" in response.content.decode()
    pupil.refresh_from_db()
    assert not pupil.photo


def test_page_without_a_file_says_so(world, login):
    response = login(world.user("registrar_a1")).post(f"/pupils/{world.pupils['a1'].pk}/photo/upload/", follow=True)
    assert "请选择一张照片" in response.content.decode()


def test_page_remove(world, login):
    pupil = world.pupils["a1"]
    pupil_photo_set(actor=world.user("registrar_a1"), pupil=pupil, upload=upload("a.jpg", BLUE_JPG))
    client = login(world.user("registrar_a1"))
    assert "确认删除照片" in client.get(f"/pupils/{pupil.pk}/").content.decode()
    response = client.post(f"/pupils/{pupil.pk}/photo/remove/", follow=True)
    assert "照片已删除。" in response.content.decode()
    pupil.refresh_from_db()
    assert not pupil.photo


@pytest.mark.parametrize("username, expected", [
    ("registrar_b1", 404), ("registrar_a2", 404), ("headmaster_b1", 404), ("officer_b", 404),  # not theirs to see
    ("teacher_a1", 403), ("officer_a", 403), ("city_officer", 403),  # they see the pupil, not theirs to change
])
def test_wrong_users_on_the_pages(world, login, username, expected):
    pupil = world.pupils["a1"]
    client = login(world.user(username))
    assert client.post(f"/pupils/{pupil.pk}/photo/upload/", {"photo": upload("p.jpg", BLUE_JPG)}).status_code == expected
    assert client.post(f"/pupils/{pupil.pk}/photo/remove/").status_code == expected
    pupil.refresh_from_db()
    assert not pupil.photo


def test_officers_see_no_photo_forms(world, login):
    pupil = world.pupils["a1"]
    pupil_photo_set(actor=world.user("registrar_a1"), pupil=pupil, upload=upload("a.jpg", WHITE_JPG))
    body = login(world.user("officer_a")).get(f"/pupils/{pupil.pk}/").content.decode()
    assert "照片背景不是蓝色" in body  # the warning, for whoever sees the record
    assert "/photo/upload/" not in body and "/photo/remove/" not in body


# The API -----------------------------------------------------------------------------------

def test_api_put_post_and_delete(world, api_as):
    pupil = world.pupils["a1"]
    client = api_as("registrar_a1")
    response = client.put(f"/api/v1/pupils/{pupil.pk}/photo/", {"photo": upload("a.png", encode(portrait(WHITE), "PNG"))},
                          format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["pupil"] == pupil.pk and (body["width"], body["height"]) == PHOTO_SIZE and not body["replaced"]
    assert len(body["warnings"]) == 1 and "背景不是蓝色" in body["warnings"][0]
    response = client.post(f"/api/v1/pupils/{pupil.pk}/photo/", {"photo": upload("b.jpg", BLUE_JPG)}, format="multipart")
    assert response.status_code == 200 and response.json()["replaced"] and response.json()["warnings"] == []
    assert client.delete(f"/api/v1/pupils/{pupil.pk}/photo/").status_code == 204
    pupil.refresh_from_db()
    assert not pupil.photo
    assert client.delete(f"/api/v1/pupils/{pupil.pk}/photo/").json() == {"detail": ["该学生没有照片，无需删除。"]}


def test_api_refuses_what_is_not_an_image_in_chinese(world, api_as):
    response = api_as("headmaster_a1").put(f"/api/v1/pupils/{world.pupils['a1'].pk}/photo/",
                                            {"photo": upload("a.jpg", b"hello")}, format="multipart")
    assert response.status_code == 400
    assert response.json() == {"detail": ["“a.jpg”不是 JPG 或 PNG 图片（按文件内容识别，与扩展名无关），请上传照片文件。"]}
    response = api_as("headmaster_a1").put(f"/api/v1/pupils/{world.pupils['a1'].pk}/photo/", {}, format="multipart")
    assert response.status_code == 400 and "photo" in response.json()


@pytest.mark.parametrize("username, expected", [
    ("registrar_b1", 404), ("registrar_a2", 404), ("officer_b", 404), ("teacher_a1", 403), ("officer_a", 403),
])
def test_api_wrong_users(world, api_as, username, expected):
    client = api_as(username)
    pupil = world.pupils["a1"]
    url = f"/api/v1/pupils/{pupil.pk}/photo/"
    assert client.put(url, {"photo": upload("a.jpg", BLUE_JPG)}, format="multipart").status_code == expected
    assert client.delete(url).status_code == expected
    zip_url = f"/api/v1/schools/{world.units['a1'].pk}/photos/"
    assert client.post(zip_url, {"file": upload("p.zip", make_zip({}))}, format="multipart").status_code == expected
    pupil.refresh_from_db()
    assert not pupil.photo


def test_api_zip_import(world, api_as):
    a1 = world.pupils["a1"]
    archive = make_zip({f"{a1.id_number}.jpg": BLUE_JPG, "说明.txt": b"hello", "nobody.jpg": BLUE_JPG})
    response = api_as("registrar_a1").post(f"/api/v1/schools/{world.units['a1'].pk}/photos/",
                                           {"file": upload("photos.zip", archive)}, format="multipart")
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["saved_count"], body["problem_count"]) == (1, 2)
    assert body["saved"] == [{"file": f"{a1.id_number}.jpg", "pupil": a1.pk, "name": a1.name, "replaced": False, "warnings": []}]
    assert {(p["file"], p["kind"]) for p in body["problems"]} == {("说明.txt", "not_image"), ("nobody.jpg", "unmatched")}


def test_api_zip_refused_whole_is_a_400(world, api_as):
    response = api_as("registrar_a1").post(f"/api/v1/schools/{world.units['a1'].pk}/photos/",
                                           {"file": upload("p.zip", b"not a zip at all")}, format="multipart")
    assert response.status_code == 400 and "不是 zip 压缩包" in response.json()["detail"][0]


def test_schema_lists_the_photo_endpoints_without_warnings(world, api_as):
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    schema = api_as("officer_a").get("/api/schema/").content.decode()
    assert "/api/v1/pupils/{pupil_id}/photo/:" in schema and "/api/v1/schools/{school_id}/photos/:" in schema
    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    messages = [str(m) for m in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache)]
    assert [m for m in messages if "hoto" in m] == []


# A school's zip ----------------------------------------------------------------------------

def import_zip(world, files: dict[str, bytes], username="registrar_a1", school="a1"):
    return photos_import_zip(actor=world.user(username), school=world.units[school],
                             upload=upload("photos.zip", make_zip(files)))


def test_zip_matches_by_id_number_and_by_student_number(world):
    a1, a1_other = world.pupils["a1"], world.pupils["a1_other"]
    temporary = make_pupil(world.units["a1"], world.classes["a1_3_1"], name="陈临时", number_kind=NumberKind.TEMPORARY)
    assert temporary.student_number.startswith("L")
    result = import_zip(world, {
        f"{a1.id_number}.jpg": BLUE_JPG,                               # ID number
        f"{a1_other.student_number}.PNG": encode(portrait(BLUE), "PNG"),  # G 学籍号
        f"照片/三年级/{temporary.student_number.lower()}.jpeg": WHITE_JPG,  # L 学籍号, in folders, any case
    })
    assert result.problems == []
    assert {photo.pupil.pk: bool(photo.warnings) for photo in result.saved} == {a1.pk: False, a1_other.pk: False, temporary.pk: True}
    for pupil in (a1, a1_other, temporary):
        assert stored(pupil).size == PHOTO_SIZE


def test_zip_name_with_the_pupils_name_in_front_is_matched(world):
    a1 = world.pupils["a1"]
    result = import_zip(world, {f"张小明 {a1.id_number.lower()}(1).jpg": BLUE_JPG})
    assert [photo.pupil.pk for photo in result.saved] == [a1.pk]


def test_zip_reports_every_problem_at_once_and_saves_the_rest(world):
    a1, a1_other, b1, a2 = (world.pupils[k] for k in ("a1", "a1_other", "b1", "a2"))
    result = import_zip(world, {
        f"{a1.id_number}.jpg": BLUE_JPG,
        f"{a1_other.id_number}.jpg": BLUE_JPG,
        f"{a1_other.student_number}.png": encode(portrait(BLUE), "PNG"),  # the same pupil again
        f"{b1.id_number}.jpg": BLUE_JPG,                                   # another county's pupil
        f"{a2.id_number}.jpg": BLUE_JPG,                                   # another school's pupil
        "张三.jpg": BLUE_JPG,                                              # no number
        "220122201803041234.jpg": b"%PDF-1.4 not an image",               # not an image
        "readme.txt": b"hello",
        "__MACOSX/._x.jpg": b"\0\5\26\7",                                  # skipped, not a problem
    })
    assert [photo.pupil.pk for photo in result.saved] == [a1.pk]
    by_file = {problem.path: problem for problem in result.problems}
    assert {path: p.kind for path, p in by_file.items()} == {
        f"{a1_other.id_number}.jpg": "duplicate", f"{a1_other.student_number}.png": "duplicate",
        f"{b1.id_number}.jpg": "unmatched", f"{a2.id_number}.jpg": "unmatched", "张三.jpg": "unmatched",
        "220122201803041234.jpg": "not_image", "readme.txt": "not_image",
    }
    assert "李晓燕" in by_file[f"{a1_other.id_number}.jpg"].reason and "均未保存" in by_file[f"{a1_other.id_number}.jpg"].reason
    assert "不是本校学生" in by_file[f"{b1.id_number}.jpg"].reason
    assert "文件名应为学生的身份证件号或学籍号" in by_file["张三.jpg"].reason
    assert "不是 JPG 或 PNG 图片" in by_file["readme.txt"].reason
    assert result.skipped == ["__MACOSX/._x.jpg"]
    for key in ("a1_other", "b1", "a2"):
        assert not Pupil.objects.get(pk=world.pupils[key].pk).photo  # nothing half-saved for them


def test_zip_import_is_audited(world):
    a1, a1_other = world.pupils["a1"], world.pupils["a1_other"]
    import_zip(world, {f"{a1.id_number}.jpg": BLUE_JPG, f"{a1_other.id_number}.jpg": WHITE_JPG, "x.jpg": BLUE_JPG})
    school_entry = AuditEntry.objects.get(action="photo.import")
    assert school_entry.object_id == str(world.units["a1"].pk) and school_entry.username == "registrar_a1"
    assert school_entry.action_label == "批量导入学生照片"  # readable on the audit page
    assert school_entry.detail == "批量导入照片：保存 2 张（其中 1 张背景或清晰度需核对），未保存 1 个文件"
    assert set(AuditEntry.objects.filter(action="photo.upload").values_list("object_id", flat=True)) == {str(a1.pk), str(a1_other.pk)}


def test_zip_replaces_photos_and_deletes_the_old_files(world, django_capture_on_commit_callbacks):
    a1 = world.pupils["a1"]
    old = pupil_photo_set(actor=world.user("registrar_a1"), pupil=a1, upload=upload("a.jpg", WHITE_JPG)).pupil.photo.name
    with django_capture_on_commit_callbacks(execute=True):
        result = import_zip(world, {f"{a1.id_number}.jpg": BLUE_JPG})
    assert result.saved[0].replaced and not default_storage.exists(old)
    assert photo_warnings(Pupil.objects.get(pk=a1.pk)) == []


def test_only_the_schools_registrar_imports(world):
    for username, school in [("headmaster_a1", "a1"), ("officer_a", "a1"), ("registrar_b1", "a1")]:
        with pytest.raises(PermissionDenied):
            import_zip(world, {f"{world.pupils['a1'].id_number}.jpg": BLUE_JPG}, username=username, school=school)


def test_zip_bomb_is_refused_whole(world):
    a1 = world.pupils["a1"]
    bomb = {f"{a1.id_number}.jpg": BLUE_JPG, "220122201803041234.jpg": b"\0" * (50 * 1024 * 1024)}  # ~1000 times
    with pytest.raises(PhotoZipRefused) as refusal:
        import_zip(world, bomb)
    assert refusal.value.code == "zip_bomb" and "zip 炸弹" in refusal.value.messages[0]
    assert not Pupil.objects.get(pk=a1.pk).photo  # nothing saved, not even the good photo
    entry = AuditEntry.objects.get(action="photo.import")
    assert entry.result == "failed" and "zip_bomb" in entry.detail


def test_a_directory_that_lies_about_sizes_is_cut_at_the_declared_size(world):
    a1, a1_other = world.pupils["a1"], world.pupils["a1_other"]
    archive = bytearray(make_zip({f"{a1_other.id_number}.jpg": b"\xff\xd8\xff" + b"\0" * (5 * 1024 * 1024),
                                  f"{a1.id_number}.jpg": BLUE_JPG}))
    # The first entry's sizes say 1,000 bytes in the local header and in the directory.
    archive[22:26] = struct.pack("<I", 1000)
    central = archive.index(b"PK\x01\x02")
    archive[central + 24:central + 28] = struct.pack("<I", 1000)
    result = photos_import_zip(actor=world.user("registrar_a1"), school=world.units["a1"],
                               upload=upload("p.zip", bytes(archive)))
    assert [photo.pupil.pk for photo in result.saved] == [a1.pk]
    assert [(p.kind, "已损坏" in p.reason) for p in result.problems] == [("not_image", True)]


@pytest.mark.parametrize("name", ["../../etc/cron.d/220122201803041234.jpg", "/tmp/x.jpg", "C:\\Windows\\x.jpg",
                                  "照片/../../x.jpg", "..\\x.jpg"])
def test_path_traversal_names_refuse_the_zip(world, name):
    a1 = world.pupils["a1"]
    with pytest.raises(PhotoZipRefused) as refusal:
        import_zip(world, {f"{a1.id_number}.jpg": BLUE_JPG, name: BLUE_JPG})
    assert refusal.value.code == "unsafe_names" and "文件夹之外" in refusal.value.messages[0]
    assert not Pupil.objects.get(pk=a1.pk).photo


def test_too_many_entries_are_refused(world):
    with pytest.raises(PhotoZipRefused, match="一次最多") as refusal:
        import_zip(world, {f"{i}.jpg": b"x" for i in range(MAX_ENTRIES + 1)})
    assert refusal.value.code == "too_many_entries"


def test_deep_folders_and_big_files_are_reported_per_file(world):
    a1 = world.pupils["a1"]
    result = import_zip(world, {
        f"a/b/c/d/{a1.id_number}.jpg": BLUE_JPG,
        "big.jpg": b"\xff\xd8\xff" + random.Random(1).randbytes(MAX_PHOTO_BYTES),  # does not compress
    })
    assert result.saved == []
    reasons = sorted(problem.reason for problem in result.problems)
    assert "太深" in reasons[0] + reasons[1] and "照片最大 10 MB" in reasons[0] + reasons[1]


def test_not_a_zip_and_encrypted_zip_are_refused(world):
    with pytest.raises(PhotoZipRefused, match="不是 zip 压缩包"):
        photos_import_zip(actor=world.user("registrar_a1"), school=world.units["a1"], upload=upload("p.zip", BLUE_JPG))
    archive = bytearray(make_zip({"a.jpg": BLUE_JPG}))
    central = archive.index(b"PK\x01\x02")
    archive[central + 8] |= 0x1  # the "encrypted" flag
    with pytest.raises(PhotoZipRefused, match="密码"):
        photos_import_zip(actor=world.user("registrar_a1"), school=world.units["a1"], upload=upload("p.zip", bytes(archive)))


def test_file_name_keys():
    keys, numbers = photo_keys("G22012220180304123x.png")
    assert {"G22012220180304123X", "22012220180304123X"} <= keys and numbers == ["G22012220180304123X"]
    assert photo_keys("E12345678.jpg")[0] == {"E12345678"}  # a passport number: the whole name
    assert photo_keys("张三.jpg")[1] == []


# The zip page ------------------------------------------------------------------------------

def test_zip_page_shows_the_result(world, login):
    a1 = world.pupils["a1"]
    client = login(world.user("registrar_a1"))
    url = f"/schools/{world.units['a1'].pk}/photos/"
    page = client.get(url).content.decode()
    assert "批量上传学生照片" in page and "名在校学生没有照片" in page
    archive = make_zip({f"{a1.id_number}.jpg": WHITE_JPG, "nobody.jpg": BLUE_JPG, "x.txt": b"x"})
    body = client.post(url, {"zip_file": upload("p.zip", archive)}).content.decode()
    assert "已保存 1 张照片" in body and "另有 2 个文件未保存" in body
    assert "未保存：没有对应的本校学生（1 个文件）" in body and "未保存：不是可用的照片（1 个文件）" in body
    assert "照片背景不是蓝色" in body and a1.name in body
    refused = client.post(url, {"zip_file": upload("p.zip", b"MZ not a zip")}).content.decode()
    assert "不是 zip 压缩包" in refused


def test_home_panel_leads_the_registrar_to_the_zip_page(world, login):
    body = login(world.user("registrar_a1")).get("/").content.decode()
    assert "没有照片的在校学生" in body and f"/schools/{world.units['a1'].pk}/photos/" in body


@pytest.mark.parametrize("username, expected", [
    ("registrar_a1", 200), ("headmaster_a1", 403), ("teacher_a1", 403), ("officer_a", 403),
    ("registrar_a2", 404), ("registrar_b1", 404), ("officer_b", 404),
])
def test_zip_page_wrong_users(world, login, username, expected):
    assert login(world.user(username)).get(f"/schools/{world.units['a1'].pk}/photos/").status_code == expected


def test_viewing_a_photo_is_audited_and_a_refused_one_too(world, login):
    """Every read of a pupil's photo is in the audit log; a photo outside one's scope is a 404,
    recorded as a refused lookup."""
    pupil = world.pupils["a1"]
    pupil_photo_set(actor=world.user("registrar_a1"), pupil=pupil, upload=upload("a.jpg", BLUE_JPG))
    assert login(world.user("teacher_a1")).get(f"/pupils/{pupil.pk}/photo/").status_code == 200
    [entry] = AuditEntry.objects.filter(action="photo.view")
    assert (entry.username, entry.object_type, entry.object_id) == ("teacher_a1", "pupil", str(pupil.pk))
    assert login(world.user("registrar_b1")).get(f"/pupils/{pupil.pk}/photo/").status_code == 404
    assert AuditEntry.objects.filter(action="photo.view").count() == 1
    [refused] = AuditEntry.objects.filter(action="lookup.denied")
    assert (refused.username, refused.object_id, refused.result) == ("registrar_b1", str(pupil.pk), "denied")
