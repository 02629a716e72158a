"""A hostile admission list is a hostile file all the same: every file of the corpus
(tests/enrollment/corpus/) that is not merely another layout than the enrolment template is
refused by the upload page and the API with the safe reader's reason, and nothing is written."""

import html
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from enrollment.admission.models import AdmissionEntry
from tests.enrollment.corpus.make_corpus import HOSTILE_FILES, expected_refusal
from xueji.accounts.models import AuditEntry

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (CORPUS / name).read_bytes(), XLSX)


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_upload_page_refuses_the_hostile_file(world, login, name):
    code, message = expected_refusal(name)
    client = login(world.user("officer_a"))
    audited = AuditEntry.objects.count()

    response = client.post(reverse("enrollment:admission_upload"), {"intake_year": 2026, "file": upload(name)})

    assert response.status_code == 200
    errors = response.context["form"].errors.as_data()["file"]
    assert [error.code for error in errors] == [code] * len(errors)
    assert message in html.unescape(response.content.decode())
    assert not AdmissionEntry.objects.exists()
    assert AuditEntry.objects.count() == audited


@pytest.mark.parametrize("name", HOSTILE_FILES)
def test_api_refuses_the_hostile_file(world, api_as, name):
    code, message = expected_refusal(name)
    client = api_as("officer_a")
    audited = AuditEntry.objects.count()

    response = client.post(reverse("enrollment_api:api-admission-import"),
                           {"intake_year": 2026, "file": upload(name)}, format="multipart")

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert message in response.json()["detail"]
    assert response.json()["errors"] == []
    assert not AdmissionEntry.objects.exists()
    assert AuditEntry.objects.count() == audited
