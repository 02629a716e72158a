"""Pupils' photos in the scoping matrix (tests/test_scoping_matrix.py): merge PHOTO_ENDPOINTS
into ENDPOINTS and PHOTO_LAST at its end (those change photos).

The world's pupils all have a photo (the matrix's ``photos`` fixture). A photo is changed by the
registrar or headmaster of the pupil's school; a school's zip is its registrar's. Outside the
user's scope 404 (the API: 401 when not signed in); seen but not theirs to change 403."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from PIL import Image

from tests.scoping import api_client, page_status

CHANGES_PHOTO = {
    "a1": {"registrar_a1", "headmaster_a1"},
    "a1_other": {"registrar_a1", "headmaster_a1"},
    "a2": {"registrar_a2", "headmaster_a2"},
    "a3": set(),  # school A3 has no registrar or headmaster in the world (its central school's registrar may not)
    "b1": {"registrar_b1", "headmaster_b1"},
}
# Who sees each school (xueji.accounts.scoping.schools_visible_to), and whose zip it takes.
# (The three admins are refused every photo page at the door: their own matrix, test_admin_matrix.)
SEES_SCHOOL = {
    "a1": {"registrar_a1", "headmaster_a1", "teacher_a1", "officer_a", "city_officer"},
    "a2": {"registrar_a2", "headmaster_a2", "officer_a", "city_officer"},
    "a3": {"central_a3", "officer_a", "city_officer"},
    "b1": {"registrar_b1", "headmaster_b1", "officer_b", "city_officer"},
}
IMPORTS = {"a1": "registrar_a1", "a2": "registrar_a2", "a3": None, "b1": "registrar_b1"}


def _visible():
    from tests.test_scoping_matrix import VISIBLE

    return VISIBLE


def _pupil_expect(m, key: str, ok):
    if m.user is None:
        return "login"
    if m.user in CHANGES_PHOTO[key]:
        return ok
    return 403 if key in _visible()[m.user] else 404


def _school_expect(m, key: str, ok):
    if m.user is None:
        return "login"
    if m.user == IMPORTS[key]:
        return ok
    return 403 if m.user in SEES_SCHOOL[key] else 404


def _api(expected):
    return 401 if expected == "login" else expected


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (70, 98), (67, 142, 219)).save(buffer, "JPEG")
    return buffer.getvalue()


def check_photo_upload(m):
    # No file: the pupil's page again with the reason (302) for those who may, nothing saved.
    for key in CHANGES_PHOTO:
        m.check("pupil_photo_upload", key, _pupil_expect(m, key, 302),
                page_status(m, f"/pupils/{m.pupil(key).pk}/photo/upload/", "post"))


def check_school_photo_import(m):
    for key in IMPORTS:
        url = f"/schools/{m.world.units[key].pk}/photos/"
        m.check("school_photo_import", f"{key} page", _school_expect(m, key, 200), page_status(m, url))
        m.check("school_photo_import", f"{key} no file", _school_expect(m, key, 200), page_status(m, url, "post"))


def check_api_pupil_photo(m):
    client = api_client(m)
    for key in CHANGES_PHOTO:
        url = f"/api/v1/pupils/{m.pupil(key).pk}/photo/"
        expected = _api(_pupil_expect(m, key, 400))  # not an image: refused, with the reason
        not_image = encode_multipart(BOUNDARY, {"photo": SimpleUploadedFile("a.jpg", b"%PDF-1.4")})
        m.check("api-pupil-photo", f"{key} PUT", expected,
                client.put(url, not_image, content_type=MULTIPART_CONTENT).status_code)
        m.check("api-pupil-photo", f"{key} POST", expected,
                client.post(url, {"photo": SimpleUploadedFile("a.jpg", b"hello")}).status_code)


def check_api_school_photo_import(m):
    client = api_client(m)
    for key in IMPORTS:
        response = client.post(f"/api/v1/schools/{m.world.units[key].pk}/photos/", {})
        m.check("api-school-photo-import", f"{key} no file", _api(_school_expect(m, key, 400)), response.status_code)


# These change photos ------------------------------------------------------------------------

def _zip_for(m, key: str, foreign: str) -> SimpleUploadedFile:
    """A zip with a photo of pupil ``key`` and one of ``foreign``, a pupil of another county
    (never matched: a zip is matched to its school's pupils only)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(f"{m.pupil(key).id_number}.jpg", _jpeg())
        archive.writestr(f"{m.pupil(foreign).id_number}.jpg", _jpeg())
    return SimpleUploadedFile("photos.zip", buffer.getvalue())


def check_school_photo_import_zip(m):
    for school, foreign in [("a1", "b1"), ("b1", "a1")]:
        response = m.client.post(f"/schools/{m.world.units[school].pk}/photos/", {"zip_file": _zip_for(m, school, foreign)})
        status = "login" if response.status_code == 302 and response["Location"].startswith("/login/") else response.status_code
        m.check("school_photo_import", f"{school} zip", _school_expect(m, school, 200), status)
        if status == 200:
            m.check("school_photo_import", f"{school} zip saves one", True, "已保存 1 张照片" in response.content.decode())


def check_api_school_photo_import_zip(m):
    client = api_client(m)
    response = client.post(f"/api/v1/schools/{m.world.units['a1'].pk}/photos/", {"file": _zip_for(m, "a1_other", "b1")})
    m.check("api-school-photo-import", "a1 zip", _api(_school_expect(m, "a1", 200)), response.status_code)
    if response.status_code == 200:
        body = response.json()
        m.check("api-school-photo-import", "a1 zip matches its own pupil only", (1, [m.pupil("a1_other").pk]),
                (body["problem_count"], [row["pupil"] for row in body["saved"]]))


def check_api_pupil_photo_delete(m):
    client = api_client(m)
    for key in CHANGES_PHOTO:
        m.check("api-pupil-photo", f"{key} DELETE", _api(_pupil_expect(m, key, 204)),
                client.delete(f"/api/v1/pupils/{m.pupil(key).pk}/photo/").status_code)


def check_photo_remove(m):
    for key in CHANGES_PHOTO:
        pupil = m.pupil(key)
        had_photo = type(pupil).objects.get(pk=pupil.pk).photo.name
        # (The API has removed it already for those who may: then the page says so, still 302.)
        m.check("pupil_photo_remove", key, _pupil_expect(m, key, 302),
                page_status(m, f"/pupils/{pupil.pk}/photo/remove/", "post"))
        if m.user not in CHANGES_PHOTO[key]:
            m.check("pupil_photo_remove", f"{key} photo kept", had_photo, type(pupil).objects.get(pk=pupil.pk).photo.name)


PHOTO_ENDPOINTS = {
    "photos:pupil_photo_upload": check_photo_upload,
    "photos:school_photo_import": check_school_photo_import,
    "photos_api:api-pupil-photo": check_api_pupil_photo,
    "photos_api:api-school-photo-import": check_api_school_photo_import,
}
PHOTO_LAST = {
    "school_photo_import (zip)": check_school_photo_import_zip,
    "api-school-photo-import (zip)": check_api_school_photo_import_zip,
    "api-pupil-photo (DELETE)": check_api_pupil_photo_delete,
    "photos:pupil_photo_remove": check_photo_remove,
}
