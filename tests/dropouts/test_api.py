"""/api/v1/dropouts/: each endpoint's happy path, the users of another school and another county
(404), the wrong state (400 with the reason in Chinese), and that a refusal writes nothing."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dropouts import services
from dropouts.models import CaseStep, DropoutCase, VisitPhoto
from tests.dropouts.helpers import absent_days, image_bytes, log_absences, photo_upload
from xueji.approvals.models import Notice
from xueji.codes import PupilStatus
from xueji.pupils.models import Pupil

TODAY = date(2025, 10, 9)
NOW = datetime(2025, 10, 9, 16, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
# Another school of the same county, and the other county.
OUTSIDERS = ["registrar_a2", "registrar_b1", "officer_b"]


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT


def absent(world, key="a1"):
    log_absences(world.user("teacher_a1" if key == "a1" else "registrar_a1"), world.pupils[key], absent_days(TODAY, 10))


@pytest.fixture
def case(world):
    absent(world)
    return services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], contacts_tried="电话三次")


def chinese(body) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in str(body))


def stored_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()] if media.exists() else []


# List ---------------------------------------------------------------------------------------

def test_list_shows_the_cases_of_the_callers_scope(world, case, api_as):
    for user in ["registrar_a1", "headmaster_a1", "officer_a", "city_officer"]:
        rows = api_as(user).get("/api/v1/dropouts/").json()["results"]
        assert [row["id"] for row in rows] == [case.pk], user
    row = api_as("officer_a").get("/api/v1/dropouts/").json()["results"][0]
    assert row["pupil"]["name"] == "张小明" and row["status"] == "open" and row["status_label"] == "劝返中"
    assert row["school_name"] == "农安县实验小学" and row["sixteenth_birthday"]


@pytest.mark.parametrize("user", OUTSIDERS + ["teacher_a1", "central_a3"])
def test_list_hides_cases_of_other_schools_and_counties(world, case, api_as, user):
    assert api_as(user).get("/api/v1/dropouts/").json()["results"] == []
    # Naming A1 in the filter shows nothing either.
    assert api_as(user).get(f"/api/v1/dropouts/?school={world.units['a1'].pk}").json()["results"] == []


def test_list_filters_by_state(world, case, api_as):
    client = api_as("officer_a")
    assert len(client.get("/api/v1/dropouts/?status=open").json()["results"]) == 1
    assert client.get("/api/v1/dropouts/?status=returned").json()["results"] == []
    services.close_returned(actor=world.user("registrar_a1"), case=case, school_class=world.classes["a1_3_1"])
    assert client.get("/api/v1/dropouts/?status=open").json()["results"] == []
    assert [r["status"] for r in client.get("/api/v1/dropouts/?status=returned").json()["results"]] == ["returned"]
    response = client.get("/api/v1/dropouts/?status=nope")
    assert response.status_code == 400 and chinese(response.json())


# Detail -------------------------------------------------------------------------------------

def test_detail_has_the_steps_and_photos(world, case, api_as):
    services.add_step(actor=world.user("headmaster_a1"), case=case, kind=CaseStep.Kind.HOME_VISIT, day=TODAY,
                      visitors="校长", outcome="家长答应", photos=services_photos())
    services.add_step(actor=world.user("registrar_a1"), case=case, kind=CaseStep.Kind.NOTICE, day=TODAY,
                      deadline=date(2025, 10, 20))
    body = api_as("officer_a").get(f"/api/v1/dropouts/{case.pk}/").json()
    assert [s["kind"] for s in body["steps"]] == ["bureau_report", "home_visit", "notice"]
    assert body["steps"][0]["by_name"]  # the automatic report names the registrar who confirmed
    visit, notice = body["steps"][1], body["steps"][2]
    photo = VisitPhoto.objects.get()
    assert visit["photos"] == [{
        "id": photo.pk, "name": "家访.png", "content_type": "image/png", "size": photo.size,
        "uploaded_at": visit["photos"][0]["uploaded_at"], "url": f"/dropouts/photos/{photo.pk}/",
    }]
    assert notice["deadline"] == "2025-10-20"
    assert notice["notice_pdf"] == f"/dropouts/cases/{case.pk}/notice.pdf?step={notice['id']}"


def services_photos():
    from dropouts.photos import check_photos

    return check_photos([photo_upload()])


# (The admins are refused every business endpoint at the admin area's door: tests/xueji/accounts/test_admin_area.py.)
@pytest.mark.parametrize("user", OUTSIDERS + ["teacher_a1", "central_a3"])
def test_detail_is_404_outside_the_scope(world, case, api_as, user):
    assert api_as(user).get(f"/api/v1/dropouts/{case.pk}/").status_code == 404


def test_detail_masks_the_number_for_the_city(world, case, api_as):
    number = world.pupils["a1"].student_number
    assert api_as("officer_a").get(f"/api/v1/dropouts/{case.pk}/").json()["pupil"]["student_number"] == number
    masked = api_as("city_officer").get(f"/api/v1/dropouts/{case.pk}/").json()["pupil"]["student_number"]
    assert masked != number and "*" in masked


def test_detail_of_a_closed_case_shows_how_it_ended(world, case, api_as):
    services.close_returned(actor=world.user("registrar_a1"), case=case, school_class=world.classes["a1_3_2"])
    body = api_as("registrar_a1").get(f"/api/v1/dropouts/{case.pk}/").json()
    assert (body["status"], body["closed_on"]) == ("returned", "2025-10-09")
    assert body["steps"][-1]["kind"] == "returned" and world.classes["a1_3_2"].name in body["steps"][-1]["text"]


# Confirm ------------------------------------------------------------------------------------

def test_registrar_confirms_a_dropout(world, api_as):
    absent(world)
    response = api_as("registrar_a1").post("/api/v1/dropouts/", {
        "pupil": world.pupils["a1"].pk, "ground": "absence", "contacts_tried": "电话三次，未接通",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["ground"] == "absence" and body["status"] == "open" and body["opened_on"] == "2025-10-09"
    assert [s["kind"] for s in body["steps"]] == ["bureau_report"]
    assert Pupil.objects.get(pk=world.pupils["a1"].pk).status == PupilStatus.DROPPED_OUT
    assert Notice.objects.filter(key=f"dropout-{body['id']}-reported", unit=world.units["county_a"]).exists()


def test_registrar_confirms_leaving_for_abroad_with_country_and_date(world, api_as):
    response = api_as("registrar_a1").post("/api/v1/dropouts/", {
        "pupil": world.pupils["a1_other"].pk, "ground": "abroad", "country": "KOR", "left_on": "2025-09-20",
        "ground_note": "随父母出境务工", "contacts_tried": "邻居称全家已出境，电话停机",
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["ground"], body["ground_label"]) == ("abroad", "出境未向学校申请")
    assert (body["country"], body["country_label"], body["left_on"]) == ("KOR", "大韩民国", "2025-09-20")


@pytest.mark.parametrize("user,expected", [("registrar_a2", 404), ("registrar_b1", 404), ("officer_b", 404),
                                           ("officer_a", 403), ("headmaster_a1", 403), ("teacher_a1", 403)])
def test_confirm_refused_to_others(world, api_as, user, expected):
    absent(world)
    response = api_as(user).post("/api/v1/dropouts/", {
        "pupil": world.pupils["a1"].pk, "ground": "absence", "contacts_tried": "电话",
    }, format="json")
    assert response.status_code == expected
    assert not DropoutCase.objects.exists()
    assert Pupil.objects.get(pk=world.pupils["a1"].pk).status == PupilStatus.ENROLLED


@pytest.mark.parametrize("data,field", [
    ({"ground": "absence", "contacts_tried": "电话"}, "ground"),  # nine days only
    ({"ground": "absence", "contacts_tried": "  "}, "contacts_tried"),
    ({"ground": "other", "contacts_tried": "电话"}, "ground_note"),
    ({"ground": "abroad", "country": "CHN", "contacts_tried": "电话"}, "country"),
    ({"ground": "abroad", "country": "XYZ", "contacts_tried": "电话"}, "country"),
    ({"ground": "abroad", "left_on": "2025-10-10", "contacts_tried": "电话"}, "left_on"),
    ({"ground": "other", "ground_note": "说明", "country": "KOR", "contacts_tried": "电话"}, "country"),
    ({"ground": "expelled", "contacts_tried": "电话"}, "ground"),
    ({"ground": "absence"}, "contacts_tried"),
])
def test_confirm_refused_with_the_reason(world, api_as, data, field):
    log_absences(world.user("registrar_a1"), world.pupils["a1"], absent_days(TODAY, 9))
    response = api_as("registrar_a1").post("/api/v1/dropouts/", {"pupil": world.pupils["a1"].pk, **data}, format="json")
    assert response.status_code == 400
    assert field in response.json() and chinese(response.json()[field])
    assert not DropoutCase.objects.exists()
    assert Pupil.objects.get(pk=world.pupils["a1"].pk).status == PupilStatus.ENROLLED


def test_confirm_refused_for_a_pupil_already_dropped_out(world, case, api_as):
    response = api_as("registrar_a1").post("/api/v1/dropouts/", {
        "pupil": world.pupils["a1"].pk, "ground": "abroad", "contacts_tried": "电话",
    }, format="json")
    assert response.status_code == 400 and "在籍在校" in str(response.json())
    assert DropoutCase.objects.count() == 1


# Steps --------------------------------------------------------------------------------------

def test_headmaster_logs_a_home_visit_with_photos(world, case, api_as, media):
    exif_jpeg = image_bytes(exif=True)
    response = api_as("headmaster_a1").post(f"/api/v1/dropouts/{case.pk}/steps/", {
        "kind": "home_visit", "day": "2025-10-09", "visitors": "校长、班主任", "outcome": "家长答应下周返校",
        "photos": [photo_upload("门口.jpg", exif_jpeg, "image/jpeg"), photo_upload("屋内.png")],
    }, format="multipart")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["kind"] == "home_visit" and [p["name"] for p in body["photos"]] == ["门口.jpg", "屋内.png"]
    photos = list(VisitPhoto.objects.order_by("id"))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    # Re-encoded without its metadata (the GPS position of the family's home).
    stored = photos[0].file.open("rb").read()
    assert stored != exif_jpeg and b"Exif" not in stored[:200]
    assert len(stored_files(media)) == 2


def test_registrar_logs_a_notice_as_json(world, case, api_as):
    response = api_as("registrar_a1").post(f"/api/v1/dropouts/{case.pk}/steps/", {
        "kind": "notice", "day": "2025-10-09", "deadline": "2025-10-20",
    }, format="json")
    assert response.status_code == 201
    assert case.steps.filter(kind="notice", deadline=date(2025, 10, 20)).exists()


@pytest.mark.parametrize("user,expected", [("registrar_a2", 404), ("registrar_b1", 404), ("officer_b", 404),
                                           ("officer_a", 403), ("teacher_a1", 404)])
def test_steps_refused_to_others(world, case, api_as, user, expected):
    response = api_as(user).post(f"/api/v1/dropouts/{case.pk}/steps/", {
        "kind": "home_visit", "day": "2025-10-09", "visitors": "某人", "outcome": "某结果",
    }, format="json")
    assert response.status_code == expected
    assert case.steps.count() == 1


def test_no_step_on_a_closed_case(world, case, api_as):
    services.close_returned(actor=world.user("registrar_a1"), case=case, school_class=world.classes["a1_3_1"])
    response = api_as("registrar_a1").post(f"/api/v1/dropouts/{case.pk}/steps/", {
        "kind": "home_visit", "day": "2025-10-09", "visitors": "某人", "outcome": "某结果",
    }, format="json")
    assert response.status_code == 400 and "已结案" in str(response.json())
    assert case.steps.count() == 2  # the report and the return


@pytest.mark.parametrize("data,field", [
    ({"kind": "home_visit", "day": "2025-10-09"}, "visitors"),
    ({"kind": "home_visit", "day": "2025-10-10", "visitors": "甲", "outcome": "乙"}, "day"),
    ({"kind": "notice", "day": "2025-10-09", "deadline": "2025-10-09"}, "deadline"),
    ({"kind": "referral", "day": "2025-10-09", "text": "镇政府派员"}, "referred_to"),
    ({"kind": "bureau_report", "day": "2025-10-09"}, "kind"),
    ({"kind": "returned", "day": "2025-10-09"}, "kind"),
])
def test_step_refused_with_the_reason(world, case, api_as, data, field):
    response = api_as("registrar_a1").post(f"/api/v1/dropouts/{case.pk}/steps/", data, format="json")
    assert response.status_code == 400
    assert field in response.json() and chinese(response.json()[field])
    assert case.steps.count() == 1


VISIT = {"visitors": "甲", "outcome": "乙"}


@pytest.mark.parametrize("kind,extra,upload,field,reason", [
    ("home_visit", VISIT, lambda: photo_upload("扫描件.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\n%%EOF\n", "application/pdf"),
     "photos", "只收 JPG 或 PNG"),
    ("home_visit", VISIT, lambda: photo_upload("假照片.jpg", b"MZ\x90\x00 not an image", "image/jpeg"),
     "photos", "按文件内容识别"),
    ("home_visit", VISIT, lambda: photo_upload("坏图.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 200),
     "photos", "已损坏"),
    ("home_visit", VISIT, lambda: photo_upload("太大.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (2 * 1024 * 1024 + 1)),
     "photos", "最大 2 MB"),
    ("notice", {"deadline": "2025-10-20"}, photo_upload, "photos", "只有家访"),  # photos go with home visits only
    ("home_visit", {"visitors": "甲"}, photo_upload, "outcome", "家访结果"),  # a good photo, a bad step
])
def test_bad_photos_or_steps_store_nothing(world, case, api_as, media, kind, extra, upload, field, reason):
    response = api_as("registrar_a1").post(f"/api/v1/dropouts/{case.pk}/steps/", {
        "kind": kind, "day": "2025-10-09", **extra, "photos": [upload()],
    }, format="multipart")
    assert response.status_code == 400
    assert reason in str(response.json()[field])
    assert case.steps.count() == 1 and not VisitPhoto.objects.exists()
    assert stored_files(media) == []


def test_more_than_ten_photos_refused(world, case, api_as):
    response = api_as("registrar_a1").post(f"/api/v1/dropouts/{case.pk}/steps/", {
        "kind": "home_visit", "day": "2025-10-09", "visitors": "甲", "outcome": "乙",
        "photos": [photo_upload(f"{i}.png") for i in range(11)],
    }, format="multipart")
    assert response.status_code == 400 and "最多" in str(response.json()["photos"])
    assert not VisitPhoto.objects.exists()


# Return -------------------------------------------------------------------------------------

def test_registrar_returns_the_pupil_into_a_class(world, case, api_as):
    response = api_as("registrar_a1").post(f"/api/v1/dropouts/{case.pk}/return/",
                                           {"school_class": world.classes["a1_3_2"].pk}, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["status"], response.json()["closed_on"]) == ("returned", "2025-10-09")
    pupil = Pupil.objects.get(pk=world.pupils["a1"].pk)
    assert (pupil.status, pupil.school_class_id) == (PupilStatus.ENROLLED, world.classes["a1_3_2"].pk)


@pytest.mark.parametrize("user,expected", [("registrar_a2", 404), ("registrar_b1", 404), ("officer_b", 404),
                                           ("officer_a", 403), ("headmaster_a1", 403)])
def test_return_refused_to_others(world, case, api_as, user, expected):
    response = api_as(user).post(f"/api/v1/dropouts/{case.pk}/return/",
                                 {"school_class": world.classes["a1_3_1"].pk}, format="json")
    assert response.status_code == expected
    assert Pupil.objects.get(pk=case.pupil_id).status == PupilStatus.DROPPED_OUT


def test_return_refused_in_the_wrong_state_or_class(world, case, api_as):
    client = api_as("registrar_a1")
    for school_class in (world.classes["b1_3_1"], world.classes["a2_8_1"]):  # another school's class
        response = client.post(f"/api/v1/dropouts/{case.pk}/return/", {"school_class": school_class.pk}, format="json")
        assert response.status_code == 400 and "本校" in str(response.json()["school_class"])
    assert client.post(f"/api/v1/dropouts/{case.pk}/return/", {}, format="json").status_code == 400
    assert Pupil.objects.get(pk=case.pupil_id).status == PupilStatus.DROPPED_OUT
    assert client.post(f"/api/v1/dropouts/{case.pk}/return/", {"school_class": world.classes["a1_3_1"].pk},
                       format="json").status_code == 200
    again = client.post(f"/api/v1/dropouts/{case.pk}/return/", {"school_class": world.classes["a1_3_2"].pk},
                        format="json")
    assert again.status_code == 400 and "已结案" in str(again.json())
    assert Pupil.objects.get(pk=case.pupil_id).school_class_id == world.classes["a1_3_1"].pk


# Suspected list -----------------------------------------------------------------------------

def test_suspected_list_of_the_own_school(world, api_as):
    absent(world)
    rows = api_as("registrar_a1").get("/api/v1/dropouts/suspected/").json()
    assert [(r["pupil"]["name"], r["days"], r["first_day"], r["last_day"]) for r in rows] == [
        ("张小明", 10, absent_days(TODAY, 10)[0].isoformat(), "2025-10-09")]
    school = world.units["a1"].pk
    for user in ["headmaster_a1", "officer_a", "city_officer"]:
        rows = api_as(user).get(f"/api/v1/dropouts/suspected/?school={school}").json()
        assert [r["pupil"]["name"] for r in rows] == ["张小明"], user


# (The admins are refused every business endpoint at the admin area's door: tests/xueji/accounts/test_admin_area.py.)
@pytest.mark.parametrize("user", OUTSIDERS + ["teacher_a1", "central_a3"])
def test_suspected_list_of_another_school_is_404(world, api_as, user):
    absent(world)
    assert api_as(user).get(f"/api/v1/dropouts/suspected/?school={world.units['a1'].pk}").status_code == 404


def test_suspected_list_needs_a_school_for_the_bureau(world, api_as):
    response = api_as("officer_a").get("/api/v1/dropouts/suspected/")
    assert response.status_code == 400 and chinese(response.json()["school"])
    assert api_as("registrar_a1").get("/api/v1/dropouts/suspected/?school=abc").status_code == 400


def test_confirmed_or_explained_pupils_leave_the_suspected_list(world, api_as):
    absent(world)
    log_absences(world.user("registrar_a1"), world.pupils["a1_other"], absent_days(TODAY, 10))
    client = api_as("registrar_a1")
    assert len(client.get("/api/v1/dropouts/suspected/").json()) == 2
    services.confirm_dropout(actor=world.user("registrar_a1"), pupil=world.pupils["a1"], contacts_tried="电话")
    log_absences(world.user("registrar_a1"), world.pupils["a1_other"], [TODAY], explained=True)
    assert client.get("/api/v1/dropouts/suspected/").json() == []


# Schema -------------------------------------------------------------------------------------

def test_every_endpoint_is_in_the_schema(world, api_as):
    schema = api_as("officer_a").get("/api/schema/").content.decode()
    for path in ["/api/v1/dropouts/:", "/api/v1/dropouts/{id}/:", "/api/v1/dropouts/{id}/steps/:",
                 "/api/v1/dropouts/{id}/return/:", "/api/v1/dropouts/suspected/:", "/api/v1/dropouts/ledgers/:"]:
        assert path in schema


def test_schema_has_no_warnings():
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    SchemaGenerator().get_schema(request=None, public=True)
    dropout_messages = [m for m in (*GENERATOR_STATS._warn_cache, *GENERATOR_STATS._error_cache) if "ropout" in str(m)]
    assert dropout_messages == []
