"""The national system's file of G numbers is read like every upload: each hostile file of the
corpus (tests/enrollment/corpus/) that is not merely another layout than the enrolment template
is refused by the import page and the API with the safe reader's reason; no number changes and
nothing is logged as an import."""

import html
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.enrollment.corpus.make_corpus import HOSTILE_FILES, expected_refusal
from xueji.accounts.models import AuditEntry
from xueji.pupils.models import Pupil, StudentNumber

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (CORPUS / name).read_bytes(), XLSX)


def numbers_now() -> tuple[int, list[tuple[int, str]]]:
    return StudentNumber.objects.count(), list(Pupil.objects.order_by("pk").values_list("pk", "student_number"))


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_import_page_refuses_the_hostile_file(world, login, name):
    code, message = expected_refusal(name)
    client = login(world.user("registrar_a1"))
    before, audited = numbers_now(), AuditEntry.objects.count()

    response = client.post(reverse("enrollment:national_numbers_import"), {"file": upload(name)})

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["file"]
    assert [error.code for error in errors] == [code] * len(errors)
    assert message in html.unescape(response.content.decode())
    assert numbers_now() == before
    assert AuditEntry.objects.count() == audited


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_api_refuses_the_hostile_file(world, api_as, name):
    code, message = expected_refusal(name)
    client = api_as("officer_a")
    before, audited = numbers_now(), AuditEntry.objects.count()

    response = client.post(reverse("enrollment_api:api-national-numbers"), {"file": upload(name)}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert message in response.json()["detail"]
    assert response.json()["errors"] == []
    assert numbers_now() == before
    assert AuditEntry.objects.count() == audited
