"""Starting a transfer from the pupil: the registrar looks the pupil up first (学籍号 and name),
then chooses among the receiving school's classes of the pupil's grade that have room; the proof
files chosen are kept with the form's draft, so a refused submit never asks for them again."""

from datetime import date

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from tests.factories import SchoolClassFactory, SchoolYearFactory
from tests.transfers.conftest import PDF, proof
from xueji.accounts.models import AuditEntry, BureauSettings
from xueji.approvals.models import ChangeRequest
from xueji.files.models import PendingUpload
from xueji.files.pending import pending_checked, pending_keep, pending_list
from xueji.pupils.models import Semester

TODAY = "2026-10-12 10:00 +0800"


@pytest.fixture
def registrar(world, login):
    with time_machine.travel(TODAY):
        yield login(world.user("registrar_b1"))


def look_up(client, pupil, name=None):
    return client.post("/transfers/new/", {"step": "lookup", "number": pupil.student_number, "name": name or pupil.name})


def apply(client, draft, **data):
    return client.post("/transfers/new/", {"step": "apply", "draft": draft, **data})


def test_the_form_starts_with_the_lookup_and_no_class(registrar):
    response = registrar.get("/transfers/new/")
    form = response.context["form"]
    assert response.context["step"] == "lookup" and set(form.fields) == {"number", "name"}
    assert "转入班级" not in response.content.decode()


def test_the_lookup_shows_the_grade_and_only_that_grades_classes_with_room(world, registrar):
    BureauSettings.objects.create(bureau=world.units["county_b"], class_cap_primary=1)
    b1 = world.units["b1"]
    full = world.classes["b1_3_1"]  # holds 刘思远: full at a cap of 1
    room = SchoolClassFactory(school=b1, grade=3, number=2)
    other_grade = SchoolClassFactory(school=b1, grade=4, number=1)
    next_year = SchoolClassFactory(school=b1, grade=3, number=3,
                                   school_year=SchoolYearFactory(start_year=2027, start_date=date(2027, 9, 1),
                                                                 end_date=date(2028, 8, 31)))
    response = look_up(registrar, world.pupils["a1"])
    assert response.context["step"] == "apply"
    found = response.context["found"]
    assert (found["name"], found["grade_label"], found["from_school_name"]) == ("张小明", "三年级", "农安县实验小学")
    offered = [pk for pk, _ in response.context["form"].fields["target_class"].choices if pk]
    assert offered == [room.pk]
    assert full.pk not in offered and other_grade.pk not in offered and next_year.pk not in offered
    body = response.content.decode()
    assert "三年级" in body and "转入班级（三年级，仅列出还有空位的班级）" in body
    # A class not offered is refused if posted anyway.
    draft = response.context["draft"]
    refused = apply(registrar, draft, grounds="job", target_class=full.pk, files=[proof()])
    assert "target_class" in refused.context["form"].errors and not ChangeRequest.objects.exists()


def test_no_class_with_room_is_said(world, registrar):
    BureauSettings.objects.create(bureau=world.units["county_b"], class_cap_primary=1)
    response = look_up(registrar, world.pupils["a1"])
    assert "本校三年级没有还有空位的班级" in response.content.decode()


def test_a_pupil_found_is_audited_and_a_miss_is_answered_as_before(world, registrar):
    look_up(registrar, world.pupils["a1"])
    assert AuditEntry.objects.filter(action="pupil.lookup", object_id=str(world.pupils["a1"].pk), result="ok").exists()
    missed = look_up(registrar, world.pupils["a1"], name="错名字")
    assert missed.context["step"] == "lookup" and missed.context["form"].non_field_errors()


def test_files_survive_a_refused_submit(world, registrar):
    draft = look_up(registrar, world.pupils["a1"]).context["draft"]
    refused = apply(registrar, draft, grounds="", target_class=world.classes["b1_3_1"].pk, files=[proof("户口簿.pdf")])
    assert refused.status_code == 200 and "grounds" in refused.context["form"].errors
    body = refused.content.decode()
    assert "已选的文件需要重新选择" not in body and "无需重新选择" in body and "户口簿.pdf" in body
    assert [f.original_name for f in refused.context["kept"]] == ["户口簿.pdf"]
    # Sent again with the grounds and no file chosen: the kept file is the proof.
    done = apply(registrar, draft, grounds="job", target_class=world.classes["b1_3_1"].pk)
    assert done.status_code == 302
    change = ChangeRequest.objects.get(kind="transfer")
    assert [a.original_name for a in change.attachments.all()] == ["户口簿.pdf"]
    assert change.pupil == world.pupils["a1"] and change.payload["to_class"] == world.classes["b1_3_1"].pk
    assert not PendingUpload.objects.exists()


def test_files_survive_a_refusal_of_the_service(world, registrar):
    """Mid-semester only a job or a residence move transfers: the service refuses, the file stays."""
    Semester.objects.create(term=1, school_year=world.classes["b1_3_1"].school_year,
                            start_date=date(2026, 9, 1), end_date=date(2027, 1, 20))
    draft = look_up(registrar, world.pupils["a1"]).context["draft"]
    refused = apply(registrar, draft, grounds="other", target_class=world.classes["b1_3_1"].pk, files=[proof("证明.pdf")])
    assert "学期中途原则上不办理转学" in refused.content.decode()
    assert [f.original_name for f in refused.context["kept"]] == ["证明.pdf"]
    assert apply(registrar, draft, grounds="job", target_class=world.classes["b1_3_1"].pk).status_code == 302


def test_a_bad_file_is_refused_and_the_good_ones_kept(world, registrar):
    draft = look_up(registrar, world.pupils["a1"]).context["draft"]
    bad = SimpleUploadedFile("病毒.exe", b"MZ\x90\x00" * 10)
    refused = apply(registrar, draft, grounds="job", target_class=world.classes["b1_3_1"].pk, files=[proof("调令.pdf"), bad])
    assert "不是 PDF、JPG 或 PNG 文件" in refused.content.decode()
    assert [f.original_name for f in refused.context["kept"]] == ["调令.pdf"] and not ChangeRequest.objects.exists()


def test_without_any_file_the_form_asks_for_one(world, registrar):
    draft = look_up(registrar, world.pupils["a1"]).context["draft"]
    refused = apply(registrar, draft, grounds="job", target_class=world.classes["b1_3_1"].pk)
    assert refused.context["form"].errors["files"] == ["请上传证明材料。"]
    assert "无需重新选择" not in refused.content.decode()  # nothing was kept, so nothing is claimed


def test_only_a_bad_file_is_not_said_to_be_kept(world, registrar):
    draft = look_up(registrar, world.pupils["a1"]).context["draft"]
    bad = SimpleUploadedFile("空.pdf", b"")
    body = apply(registrar, draft, target_class=world.classes["b1_3_1"].pk, files=[bad]).content.decode()
    assert "已上传的证明材料已保存" not in body and "已选的文件需要重新选择" in body


def test_a_kept_file_can_be_taken_off(world, registrar):
    draft = look_up(registrar, world.pupils["a1"]).context["draft"]
    kept = apply(registrar, draft, grounds="", files=[proof("错的.pdf")]).context["kept"]
    response = apply(registrar, draft, grounds="job", remove="1", remove_file=[kept[0].pk])
    assert response.context["kept"] == [] and not ChangeRequest.objects.exists()


def test_a_draft_is_the_users_own(world):
    owner, other = world.user("registrar_b1"), world.user("registrar_a1")
    draft = "0" * 32
    assert pending_keep(user=owner, draft=draft, uploads=[proof()]) == []
    assert pending_list(user=other, draft=draft) == [] and pending_checked(user=other, draft=draft) == []
    [checked] = pending_checked(user=owner, draft=draft)
    assert checked.content == PDF and checked.original_name == "户口簿.pdf"


def test_abandoned_drafts_are_swept_after_a_day(world, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage

    from xueji.files.tasks import sweep_pending_uploads

    with time_machine.travel(TODAY):
        pending_keep(user=world.user("registrar_b1"), draft="1" * 32, uploads=[proof()])
    name = PendingUpload.objects.get().file.name
    with time_machine.travel("2026-10-13 09:59 +0800"):
        assert sweep_pending_uploads() == 0
    with time_machine.travel("2026-10-13 10:01 +0800"), django_capture_on_commit_callbacks(execute=True):
        assert sweep_pending_uploads() == 1
    assert not PendingUpload.objects.exists() and not default_storage.exists(name)


def test_a_rejected_transfer_comes_back_at_the_form_with_its_pupil(world, registrar):
    from tests.transfers.conftest import start
    from xueji.approvals.services import request_decide

    with time_machine.travel(TODAY):
        old = start(world, "a1", to="b1", grounds="job")
        request_decide(actor=world.user("headmaster_b1"), request_id=old.pk, approve=False, comment="材料不全")
    response = registrar.get(f"/transfers/new/?resubmit={old.pk}")
    assert response.context["step"] == "apply" and response.context["found"]["name"] == "张小明"
    draft = response.context["draft"]
    assert response.context["form"].initial["grounds"] == "job"
    # The form posts to its own address, ?resubmit= and all.
    done = registrar.post(f"/transfers/new/?resubmit={old.pk}", {"step": "apply", "draft": draft, "grounds": "job",
                                                                 "target_class": world.classes["b1_3_1"].pk,
                                                                 "files": [proof()]})
    assert done.status_code == 302
    assert ChangeRequest.objects.get(resubmission_of=old).pupil == world.pupils["a1"]


def test_the_api_looks_the_pupil_up_as_the_page_does(world, api_as):
    BureauSettings.objects.create(bureau=world.units["county_b"], class_cap_primary=2)
    room = SchoolClassFactory(school=world.units["b1"], grade=3, number=2)
    SchoolClassFactory(school=world.units["b1"], grade=4, number=1)
    pupil = world.pupils["a1"]
    client = api_as("registrar_b1")
    with time_machine.travel(TODAY):
        found = client.post("/api/v1/transfers/lookup/", {"number": pupil.student_number, "name": pupil.name}, format="json")
        missed = client.post("/api/v1/transfers/lookup/", {"number": pupil.student_number, "name": "错名字"}, format="json")
    assert found.status_code == 200, found.json()
    body = found.json()
    assert (body["name"], body["grade"], body["grade_label"], body["from_school_name"]) == ("张小明", 3, "三年级", "农安县实验小学")
    assert body["classes"] == [{"id": world.classes["b1_3_1"].pk, "name": "三年级（1）班", "seats_left": 1},
                               {"id": room.pk, "name": "三年级（2）班", "seats_left": 2}]
    assert missed.status_code == 400 and pupil.school.name not in missed.content.decode()
    # Only a registrar looks up for a transfer in.
    assert api_as("headmaster_b1").post("/api/v1/transfers/lookup/", {"number": pupil.student_number,
                                                                      "name": pupil.name}, format="json").status_code == 403


def test_the_sweep_is_scheduled(settings):
    from xueji.celery import app

    assert "xueji.files.tasks.sweep_pending_uploads" in {e["task"] for e in settings.CELERY_BEAT_SCHEDULE.values()}
    app.loader.import_default_modules()
    assert "xueji.files.tasks.sweep_pending_uploads" in app.tasks


def test_a_draft_whose_lookup_expired_keeps_its_files_through_a_new_lookup(world, registrar):
    draft = look_up(registrar, world.pupils["a1"]).context["draft"]
    session = registrar.session
    session["transfer_drafts"] = {}  # the lookup forgotten (another tab's lookups pushed it out)
    session.save()
    expired = apply(registrar, draft, grounds="job", files=[proof("调令.pdf")])
    assert expired.context["step"] == "lookup" and "查找结果已过期" in expired.content.decode()
    assert expired.context["draft"] == draft
    again = registrar.post("/transfers/new/", {"step": "lookup", "draft": draft, "number": world.pupils["a1"].student_number,
                                               "name": world.pupils["a1"].name})
    assert again.context["draft"] == draft and [f.original_name for f in again.context["kept"]] == ["调令.pdf"]
