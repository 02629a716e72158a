"""The demo data of the paper archive, the semester audit and an overdue hand-over
(demo/archives.py): every state on the pages, and loading again adds nothing."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from archives.handover.models import ArchiveHandover
from archives.paper import services as paper
from archives.paper.models import PaperFile, PaperMark
from archives.rollcall import services as rollcall
from archives.rollcall.models import RollCall, RollCallEntry
from xueji.accounts.models import Unit

LOADED = datetime(2026, 12, 4, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


def counts():
    return tuple(model.objects.count() for model in (PaperFile, PaperMark, RollCall, RollCallEntry, ArchiveHandover))


@pytest.mark.django_db
def test_demo_paper_archive_audit_and_overdue_handover(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "private"
    with time_machine.travel(LOADED, tick=True):
        call_command("load_demo")
        loaded = counts()
        call_command("load_demo")
        assert counts() == loaded

        a1, a3 = Unit.objects.get(code="2122012201"), Unit.objects.get(code="2122012203")
        total, classes, lacking = paper.school_completeness(a1)
        assert total.complete > 0 and total.with_missing > 0 and total.unchecked > 0
        assert {c.label for c in classes if c.complete} and all(not c.complete for c in classes if c.label.startswith("六"))
        assert any(item.key == "info_sheet" for c in lacking for item in c.missing)

        semester = rollcall.semester_for(LOADED.date())
        [row_a1, row_a3] = rollcall.progress([a1, a3], semester)
        assert row_a3.not_done == 0 and row_a3.done > 0
        assert row_a1.open == 1 and row_a1.not_started == 2 and row_a1.done == len(row_a1.classes) - 3
        teacher_call = RollCall.objects.get(school_class__head_teacher__username="teacher_a1", semester=semester)
        assert teacher_call.status == "open" and teacher_call.entries.filter(present__isnull=True).exists()
        work = {e.outcome: e.name for e in rollcall.work_of_school(a1, semester)}
        assert work["late_registration"] == "王小虎" and "dropout" in work and "transfer" in work
        assert RollCallEntry.objects.get(outcome="dropout").absence_recorded

        overdue = ArchiveHandover.objects.get(received_at__isnull=True, sent_at__isnull=True, due_date__lt=LOADED.date())
        assert overdue.to_school == a1 and overdue.from_school == a3
        assert (LOADED.date() - overdue.due_date).days > 0
