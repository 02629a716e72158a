"""The enrolment API end to end: upload (refused whole, then accepted), status and errors,
classes, submission, the bureau's return with a reason per pupil through the requests API, and
identity confirmation; another school's registrar sees none of it."""

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile

from enrollment.intake.models import EnrolmentEntry
from tests.enrollment.conftest import SUBMITTING, admit, filled_template, new_pupil_row
from xueji.pupils.models import Pupil

pytestmark = pytest.mark.usefixtures("collecting")


def test_upload_status_errors_and_the_whole_chain(world, api_as):
    rows = [new_pupil_row(2), new_pupil_row(3)]
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    registrar = api_as("registrar_a1")
    assert registrar.get("/api/v1/enrollment/template/").status_code == 200

    rows[1].data["health"] = "77"
    refused = registrar.post("/api/v1/enrollment/imports/", {"file": SimpleUploadedFile("x.xlsx", filled_template(rows))}, format="multipart")
    assert refused.status_code == 201 and refused.json()["status"] == "failed"
    detail = registrar.get(f"/api/v1/enrollment/imports/{refused.json()['id']}/").json()
    assert [(e["row"], e["column"]) for e in detail["errors"]] == [(3, "健康状况")]
    assert api_as("registrar_b1").get(f"/api/v1/enrollment/imports/{refused.json()['id']}/").status_code == 404

    rows[1].data["health"] = "10"
    done = registrar.post("/api/v1/enrollment/imports/", {"file": SimpleUploadedFile("x.xlsx", filled_template(rows))}, format="multipart")
    assert done.json()["status"] == "done" and done.json()["created_count"] == 2
    entries = registrar.get("/api/v1/enrollment/entries/").json()["results"]
    assert len(entries) == 2
    assert api_as("registrar_b1").get("/api/v1/enrollment/entries/").json()["results"] == []

    assert registrar.post("/api/v1/enrollment/classes/", {"action": "create", "count": 1}, format="json").json() == {"done": 1}
    assert registrar.post("/api/v1/enrollment/classes/", {"action": "balance"}, format="json").json() == {"done": 2}
    with time_machine.travel(SUBMITTING, tick=False):
        registrar = api_as("registrar_a1")  # ten days on: the first token (8 hours) has expired
        batch = registrar.post("/api/v1/enrollment/submit/", {}, format="json")
        assert batch.status_code == 201, batch.content
        batch_id = batch.json()["id"]
        assert api_as("headmaster_a1").post(f"/api/v1/requests/{batch_id}/decide/", {"decision": "approve"}, format="json").status_code == 200
        returned = api_as("officer_a").post(
            f"/api/v1/requests/{batch_id}/decide/",
            {"decision": "reject", "comment": "请核对", "returns": {str(entries[0]["id"]): "出生地有误"}}, format="json",
        )
    assert returned.status_code == 200, returned.content
    statuses = {e["id"]: (e["status"], e["return_reason"]) for e in registrar.get("/api/v1/enrollment/entries/").json()["results"]}
    assert statuses[entries[0]["id"]] == ("returned", "出生地有误")


def test_identity_confirmation_through_the_api_is_scoped(world, api_as):
    pupil = world.pupils["b1"]
    number = pupil.student_number
    assert api_as("officer_a").post("/api/v1/enrollment/identity/", {"pupils": [pupil.pk]}, format="json").json() == {"confirmed": 0}
    assert api_as("registrar_a1").post("/api/v1/enrollment/identity/", {"pupils": [pupil.pk]}, format="json").status_code == 403
    assert api_as("officer_a").post("/api/v1/enrollment/identity/", {"pupils": "x"}, format="json").status_code == 400
    assert Pupil.objects.get(pk=pupil.pk).student_number == number


def test_only_registrars_upload(world, api_as):
    response = api_as("officer_a").post("/api/v1/enrollment/imports/", {"file": SimpleUploadedFile("x.xlsx", b"x")}, format="multipart")
    assert response.status_code == 403 and "学籍管理员" in response.content.decode()
    assert not EnrolmentEntry.objects.exists()
