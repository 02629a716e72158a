"""Helpers of the 学籍核查 and paper-archive tests: the world's first semester (its audit window is
1–30 September 2026), roll-calls dated inside it, and an approved change with labelled proof."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import time_machine

from archives.rollcall import services as rollcall
from xueji.approvals.models import Attachment, ChangeRequest
from xueji.pupils.models import Semester

START = date(2026, 9, 1)
IN_WINDOW = date(2026, 9, 10)  # a Thursday, a school day
LAST_DAY = date(2026, 9, 30)
AFTER = date(2026, 10, 1)
TZ = ZoneInfo("Asia/Shanghai")


def semester(world) -> Semester:
    year = world.classes["a1_3_1"].school_year
    return Semester.objects.get_or_create(
        school_year=year, term=Semester.Term.FIRST, defaults={"start_date": START, "end_date": date(2027, 1, 22)}
    )[0]


def frozen(day: date, hour: int = 10):
    """The clock stopped on ``day`` (pages and services read today from it)."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, tzinfo=TZ), tick=False)


def open_call(world, class_key: str = "a1_3_1", user: str = "teacher_a1", day: date = IN_WINDOW):
    semester(world)
    return rollcall.rollcall_open(actor=world.user(user), school_class=world.classes[class_key], today=day)


def mark_all(world, roll_call, user: str = "teacher_a1", day: date = IN_WINDOW, **by_name):
    """Everyone present unless named: by_name maps a name to (present, reason, note)."""
    marks = []
    for entry in roll_call.entries.all():
        present, reason, note = by_name.get(entry.name, (True, "", ""))
        marks.append(rollcall.EntryMark(entry.pk, present, reason, note))
    rollcall.rollcall_entries_mark(actor=world.user(user), roll_call=roll_call, marks=marks, today=day)


def approved_change(world, pupil, kind: str = "suspension", labels=("医务证明书", "医务证明书", ""), finished=None):
    """An approved request of the pupil with proof files under ``labels`` (as the kinds store them)."""
    change = ChangeRequest.objects.create(
        kind=kind, pupil=pupil, status="approved", started_by=world.user("registrar_a1"),
        started_unit=pupil.school, payload={}, finished_at=finished or datetime(2026, 10, 12, 10, tzinfo=TZ),
    )
    for label in labels:
        # The file itself is not read here: only its label makes the checklist.
        Attachment.objects.create(request=change, file="private/proof.pdf", original_name="proof.pdf",
                                  content_type="application/pdf", size=10, label=label, uploaded_by=world.user("registrar_a1"))
    return change
