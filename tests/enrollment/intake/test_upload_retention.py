"""Uploaded enrolment files: encrypted in the database, their bytes deleted 30 days (a setting)
after the import finished by the nightly task, keeping the hash, the counts and the errors; the
import's page then says so in Chinese and still lists the errors."""

import importlib
from io import BytesIO

import pytest
import time_machine
from django.apps import apps
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook

from enrollment.intake.models import EnrolmentImport
from enrollment.intake.retention import import_content, rotate_import_contents
from enrollment.tasks import expire_import_files
from tests.enrollment.conftest import admit, filled_template, new_pupil_row

pytestmark = pytest.mark.usefixtures("collecting")  # uploaded on 2026-09-10


def upload(client, content: bytes):
    return client.post("/enrolment/upload/?grade=1", {"file": SimpleUploadedFile("新生.xlsx", content)})


def failed_upload(world, login):
    rows = [new_pupil_row(2), new_pupil_row(3)]
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    rows[1].data["ethnicity"] = "99"  # not a code: the file is refused
    client = login(world.user("registrar_a1"))
    content = filled_template(rows)
    upload(client, content)
    return client, EnrolmentImport.objects.get(), content, rows


def test_the_file_is_encrypted_in_the_database(world, login):
    client, row, content, rows = failed_upload(world, login)
    stored = bytes(row.content)
    assert not stored.startswith(b"PK") and rows[0].data["name"].encode() not in stored and content[:200] not in stored
    assert import_content(row) == content
    annotated = client.get(f"/enrolment/imports/{row.pk}/errors.xlsx")
    assert annotated.status_code == 200 and load_workbook(BytesIO(annotated.content))["学生信息"]


def test_the_file_is_deleted_30_days_after_the_import_keeping_hash_counts_and_errors(world, login):
    client, row, _, _ = failed_upload(world, login)
    errors, digest = row.errors, row.file_sha256

    with time_machine.travel("2026-10-09 23:00 +0800", tick=False):  # 29.5 days: still kept
        assert expire_import_files() == 0
        client = login(world.user("registrar_a1"))  # a new session: the last one idled out
        assert client.get(f"/enrolment/imports/{row.pk}/errors.xlsx").status_code == 200

    with time_machine.travel("2026-10-10 10:01 +0800", tick=False):  # 30 days and a minute
        assert expire_import_files() == 1
        client = login(world.user("registrar_a1"))
        assert expire_import_files() == 0  # idempotent
        row.refresh_from_db()
        assert bytes(row.content) == b"" and row.content_deleted_at is not None
        assert row.errors == errors and row.file_sha256 == digest and row.total_rows == 2 and row.status == "failed"

        page = client.get(f"/enrolment/imports/{row.pk}/").content.decode()
        assert "原文件已在导入完成 30 天后按规定删除" in page
        assert "第 3 行" in page  # the list of errors stays
        assert "errors.xlsx" not in page  # no download offered
        response = client.get(f"/enrolment/imports/{row.pk}/errors.xlsx", follow=True)
        assert response.status_code == 200 and "按规定删除" in response.content.decode()


def test_a_done_import_keeps_refusing_the_same_file_after_its_bytes_are_gone(world, login, settings):
    settings.ENROLMENT_FILE_RETENTION_DAYS = 1  # to stay within the weeks when schools upload
    rows = [new_pupil_row(2)]
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    client = login(world.user("registrar_a1"))
    content = filled_template(rows)
    upload(client, content)
    row = EnrolmentImport.objects.get()
    assert row.status == "done" and row.created_count == 1

    with time_machine.travel("2026-09-12 10:00 +0800", tick=False):
        assert expire_import_files() == 1
        row.refresh_from_db()
        assert row.created_count == 1 and bytes(row.content) == b""
        client = login(world.user("registrar_a1"))
        response = upload(client, content)
        assert "导入过" in client.get(response["Location"]).content.decode()
        assert EnrolmentImport.objects.count() == 1


def test_the_retention_is_a_setting(world, login, settings):
    settings.ENROLMENT_FILE_RETENTION_DAYS = 7
    failed_upload(world, login)
    with time_machine.travel("2026-09-16 10:00 +0800", tick=False):
        assert expire_import_files() == 0
    with time_machine.travel("2026-09-17 10:01 +0800", tick=False):
        assert expire_import_files() == 1
    assert "enrollment.tasks.expire_import_files" in {
        entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
    }


def test_files_stored_in_plain_before_are_encrypted_by_the_migration(world, login):
    _, row, content, _ = failed_upload(world, login)
    EnrolmentImport.objects.filter(pk=row.pk).update(content=content)  # as before encryption
    row.refresh_from_db()
    assert import_content(row) == content  # still readable meanwhile

    migration = importlib.import_module("enrollment.migrations.0005_upload_retention")
    migration.encrypt_stored_files(apps, None)
    migration.encrypt_stored_files(apps, None)  # again: nothing changes
    row.refresh_from_db()
    assert not bytes(row.content).startswith(b"PK") and import_content(row) == content
    assert rotate_import_contents() == 0  # already under the current key
