"""Home-visit photos: checked by content (JPG or PNG only), re-encoded without metadata, capped in
size and number, stored in the private folder, served only to those who see the case, shown and
accepted on the case page."""

import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from PIL import Image

from dropouts import services
from dropouts.models import CaseStep, VisitPhoto
from dropouts.photos import MAX_PHOTOS, check_photos
from tests.dropouts.helpers import absent_days, image_bytes, log_absences, photo_upload
from xueji.files.proof import CheckedFile

TODAY = date(2025, 10, 9)
NOW = datetime(2025, 10, 9, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


@pytest.fixture
def case(world):
    log_absences(world.user("teacher_a1"), world.pupils["a1"], absent_days(TODAY, 10))
    return services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], contacts_tried="电话三次")


def visit(world, case, photos, user="headmaster_a1"):
    return services.add_step(actor=world.user(user), case=case, kind=CaseStep.Kind.HOME_VISIT, day=TODAY,
                             visitors="校长", outcome="家长答应", photos=photos)


# Checking -----------------------------------------------------------------------------------

def test_photos_are_reencoded_without_their_metadata():
    original = image_bytes(exif=True)
    assert Image.open(io.BytesIO(original)).getexif()  # the upload carries a camera and a position
    (photo,) = check_photos([photo_upload("门口.jpg", original, "image/jpeg")])
    assert (photo.content_type, photo.extension, photo.original_name) == ("image/jpeg", ".jpg", "门口.jpg")
    assert not Image.open(io.BytesIO(photo.content)).getexif()


def test_photos_are_recognised_by_content_not_name():
    (photo,) = check_photos([photo_upload("照片.jpg", image_bytes("PNG"), "image/jpeg")])
    assert photo.content_type == "image/png"  # a PNG named .jpg is a PNG
    with pytest.raises(ValidationError) as error:
        check_photos([photo_upload("照片.jpg", b"GIF89a not allowed", "image/jpeg")])
    assert "按文件内容识别" in str(error.value.message_dict["photos"])


def test_a_pdf_is_not_a_photo():
    with pytest.raises(ValidationError) as error:
        check_photos([photo_upload("家访记录.pdf", PDF, "application/pdf")])
    assert "只收 JPG 或 PNG" in str(error.value.message_dict["photos"])


def test_every_bad_photo_is_listed_at_once():
    with pytest.raises(ValidationError) as error:
        check_photos([photo_upload("a.pdf", PDF), photo_upload("b.png"), photo_upload("c.jpg", b"nope")])
    messages = error.value.message_dict["photos"]
    assert len(messages) == 2 and "a.pdf" in messages[0] and "c.jpg" in messages[1]


def test_photos_are_size_capped_at_2_mb():
    big = b"\xff\xd8\xff" + b"\x00" * (2 * 1024 * 1024)
    with pytest.raises(ValidationError) as error:
        check_photos([photo_upload("大.jpg", big, "image/jpeg")])
    assert "最大 2 MB" in str(error.value.message_dict["photos"])


def test_at_most_ten_photos_at_once():
    assert len(check_photos([photo_upload(f"{i}.png") for i in range(MAX_PHOTOS)])) == MAX_PHOTOS
    with pytest.raises(ValidationError):
        check_photos([photo_upload(f"{i}.png") for i in range(MAX_PHOTOS + 1)])


# The service --------------------------------------------------------------------------------

def test_a_home_visit_keeps_its_photos_in_the_private_folder(world, case, media):
    step = visit(world, case, check_photos([photo_upload("门口.png"), photo_upload("屋内.png")]))
    photos = list(step.photos.order_by("id"))
    assert [p.original_name for p in photos] == ["门口.png", "屋内.png"]
    for photo in photos:
        path = photo.file.path
        assert path.startswith(str(media)) and not path.startswith(str(django_settings.STATIC_ROOT))
        # A random name: neither the pupil's nor the upload's name is on the disk.
        assert photo.file.name.startswith("visitphoto/") and "门口" not in photo.file.name
        assert photo.uploaded_by == world.user("headmaster_a1")


@pytest.mark.parametrize("kind,extra", [
    (CaseStep.Kind.NOTICE, {"deadline": date(2025, 10, 20)}),
    (CaseStep.Kind.REFERRAL, {"referred_to": "合隆镇人民政府", "text": "镇政府派员动员"}),
])
def test_only_home_visits_take_photos(world, case, media, kind, extra):
    with pytest.raises(ValidationError) as error:
        services.add_step(actor=world.user("registrar_a1"), case=case, kind=kind, day=TODAY,
                          photos=check_photos([photo_upload()]), **extra)
    assert "只有家访" in str(error.value.message_dict["photos"])
    assert case.steps.count() == 1 and not VisitPhoto.objects.exists() and not media.exists()


def test_the_service_refuses_a_pdf_passed_as_a_photo(world, case, media):
    # check_uploads (the proof checker) lets PDFs through; the service does not take them as photos.
    pdf = CheckedFile(PDF, "application/pdf", ".pdf", "扫描件.pdf")
    with pytest.raises(ValidationError):
        visit(world, case, [pdf])
    assert not VisitPhoto.objects.exists() and not media.exists()


def test_a_step_refused_for_another_reason_stores_no_photo(world, case, media):
    with pytest.raises(ValidationError):
        services.add_step(actor=world.user("registrar_a1"), case=case, kind=CaseStep.Kind.HOME_VISIT, day=TODAY,
                          visitors="校长", photos=check_photos([photo_upload()]))
    assert not VisitPhoto.objects.exists() and not media.exists()


# Serving ------------------------------------------------------------------------------------

@pytest.fixture
def photo(world, case):
    return visit(world, case, check_photos([photo_upload("门口.png")])).photos.get()


@pytest.mark.parametrize("user", ["registrar_a1", "headmaster_a1", "officer_a", "city_officer"])
def test_those_who_see_the_case_see_the_photo(world, photo, login, user):
    response = login(world.user(user)).get(f"/dropouts/photos/{photo.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png" and response["Cache-Control"] == "private, no-store"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == photo.file.open("rb").read()


@pytest.mark.parametrize("user", ["registrar_a2", "registrar_b1", "officer_b", "teacher_a1", "central_a3"])
def test_others_get_404_for_the_photo(world, photo, login, user):
    assert login(world.user(user)).get(f"/dropouts/photos/{photo.pk}/").status_code == 404


@pytest.mark.parametrize("user", ["sysadmin", "secadmin", "auditor"])
def test_the_admins_are_refused_the_photo(world, photo, login, user):
    # The three admins see no pupil's data at all: refused at the door of their area
    # (xueji/accounts/admin_area.py), whatever the case.
    assert login(world.user(user)).get(f"/dropouts/photos/{photo.pk}/").status_code == 403


def test_viewing_a_home_visit_photo_is_audited_and_a_refused_one_too(world, photo, login):
    from xueji.accounts.models import AuditEntry

    assert login(world.user("officer_a")).get(f"/dropouts/photos/{photo.pk}/").status_code == 200
    [entry] = AuditEntry.objects.filter(action="dropout.photo_view")
    assert (entry.username, entry.object_type, entry.object_id) == ("officer_a", "visitphoto", str(photo.pk))
    assert str(photo.step.case_id) in entry.detail
    assert login(world.user("officer_b")).get(f"/dropouts/photos/{photo.pk}/").status_code == 404
    assert AuditEntry.objects.filter(action="dropout.photo_view").count() == 1
    [refused] = AuditEntry.objects.filter(action="lookup.denied")
    assert (refused.username, refused.object_type, refused.object_id) == ("officer_b", "visitphoto", str(photo.pk))


def test_photo_needs_a_login(world, photo, client):
    response = client.get(f"/dropouts/photos/{photo.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_missing_file_is_404(world, photo, login):
    photo.file.storage.delete(photo.file.name)
    assert login(world.user("registrar_a1")).get(f"/dropouts/photos/{photo.pk}/").status_code == 404


# The case page ------------------------------------------------------------------------------

def test_photos_uploaded_on_the_case_page_are_shown_there(world, case, login):
    client = login(world.user("headmaster_a1"))
    response = client.post(f"/dropouts/cases/{case.pk}/steps/", {
        "kind": "home_visit", "day": "2025-10-09", "visitors": "校长、班主任", "outcome": "家长同意返校",
        "photos": [photo_upload("门口.png"), photo_upload("屋内.jpg", image_bytes("JPEG"), "image/jpeg")],
    })
    assert response.status_code == 302
    photos = list(VisitPhoto.objects.order_by("id"))
    assert len(photos) == 2
    page = client.get(f"/dropouts/cases/{case.pk}/").content.decode()
    assert 'enctype="multipart/form-data"' in page
    for photo in photos:
        assert f'src="/dropouts/photos/{photo.pk}/"' in page
    assert "家访照片" in page


def test_a_bad_photo_on_the_case_page_is_explained_and_nothing_is_written(world, case, login, media):
    client = login(world.user("registrar_a1"))
    response = client.post(f"/dropouts/cases/{case.pk}/steps/", {
        "kind": "home_visit", "day": "2025-10-09", "visitors": "校长", "outcome": "家中无人",
        "photos": [photo_upload("家访.pdf", PDF, "application/pdf")],
    })
    assert response.status_code == 200
    assert "只收 JPG 或 PNG" in response.content.decode()
    assert case.steps.count() == 1 and not VisitPhoto.objects.exists() and not media.exists()
