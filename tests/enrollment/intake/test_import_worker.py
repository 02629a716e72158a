"""A big upload is checked by a real Celery worker on the real broker, with its progress kept in
the database; running the same upload twice imports it once."""

import time

import time_machine
from celery.contrib.testing.worker import start_worker

from enrollment.intake import services
from enrollment.intake.models import EnrolmentEntry, EnrolmentImport
from tests.conftest import transactional
from tests.enrollment.conftest import COLLECTING, admit, filled_template, new_pupil_row
from xueji.celery import app


@transactional
def test_big_upload_runs_on_a_worker_and_reports_progress(world):
    from datetime import date, timedelta

    count = services.BACKGROUND_ROWS + 20
    rows = [new_pupil_row(i + 2, birth=date(2019, 9, 1) + timedelta(days=i % 360)) for i in range(count)]
    admit(world.units["a1"], rows, by=world.user("officer_a"))
    content = filled_template(rows)
    with time_machine.travel(COLLECTING), start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        upload = services.import_start(actor=world.user("registrar_a1"), school=world.units["a1"], intake_year=2026,
                                       grade=1, file_name="大文件.xlsx", content=content)
        assert upload.status == EnrolmentImport.Status.QUEUED and upload.total_rows == count
        deadline = time.monotonic() + 60
        while EnrolmentImport.objects.get(pk=upload.pk).status != "done" and time.monotonic() < deadline:
            time.sleep(0.2)
    upload.refresh_from_db()
    assert (upload.status, upload.progress, upload.created_count) == ("done", 100, count)
    assert EnrolmentEntry.objects.filter(source=upload).count() == count
    # Delivered twice (acks_late after a lost worker): the second run changes nothing.
    assert services.import_run(upload.pk) is False
    assert EnrolmentEntry.objects.count() == count
