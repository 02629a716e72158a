"""The roll as it stood on a past date, and the status changes of a month, read from the status
history (``StatusChange``) rather than from today's table.

A pupil's status and school on a day are those of the last step of the status history effective on
or before that day (by effective date, then by the order the steps were recorded). The grade on a
day comes from the record's field history (pghistory's ``PupilEvent``): the last snapshot taken
by the end of that day, else the first one (a record created after its entry date had that grade
when it was created).

Three statements answer a month for the whole system or for one unit's subtree, whatever its
size; the roll-up to schools, central schools and counties is done by ``reports.monthly`` on
their grouped rows. Nothing here is scoped to a user: these are the scheduler's and the report
service's reads, and what they return is stored as a report that the selectors then scope.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from xueji.accounts.models import Unit
from xueji.approvals.models import ChangeRequest, RequestParty
from xueji.codes import COUNTED_BESIDE, ROLL_STATUSES
from xueji.pupils.models import Pupil, StatusChange
from xueji.pupils.models.pupils import PupilEvent



def day_start(day: date) -> datetime:
    """Midnight at the start of ``day`` in the project's time zone (Asia/Shanghai)."""
    return timezone.make_aware(datetime.combine(day, time.min))


@dataclass(frozen=True)
class SnapshotRow:
    school_id: int
    status: str
    grade: int
    count: int


@dataclass(frozen=True)
class ChangeRow:
    """One step of a status history effective in the month, with the school before it."""

    id: int
    pupil_id: int
    name: str
    student_number: str
    effective_date: date
    from_status: str
    to_status: str
    school_id: int
    prev_school_id: int | None
    prev_status: str | None
    request_kind: str
    reason: str
    grade: int


@dataclass(frozen=True)
class DeletionRow:
    """A record deleted as a problem record (删除) in the month, with its state at the month's end."""

    pupil_id: int
    name: str
    student_number: str
    deleted_on: date
    school_id: int
    status: str
    grade: int


def _tables() -> dict[str, str]:
    return {
        "sc": StatusChange._meta.db_table, "pupil": Pupil._meta.db_table, "unit": Unit._meta.db_table,
        "event": PupilEvent._meta.db_table, "request": ChangeRequest._meta.db_table,
        "party": RequestParty._meta.db_table,
    }


# The grade of pupil {pupil} at the moment {cutoff}: the last snapshot before it, else the first.
_GRADE_AT = """COALESCE(
    (SELECT e.grade FROM {event} e WHERE e.pgh_obj_id = {pupil} AND e.pgh_created_at < {cutoff}
      ORDER BY e.pgh_created_at DESC, e.pgh_id DESC LIMIT 1),
    (SELECT e.grade FROM {event} e WHERE e.pgh_obj_id = {pupil} ORDER BY e.pgh_created_at, e.pgh_id LIMIT 1),
    {fallback})"""


def _subtree_pupil_ids(root: Unit | None) -> tuple[str, dict]:
    """A SELECT of the ids of the pupils that ever had a step at a school under ``root`` (of every
    pupil with a step when None), once each.

    The schools as an array, not a join: joined, PostgreSQL read every status step of the
    province to keep the county's (1.5 s at 10,000,000 pupils); with the array it takes them
    from the steps' school index (0.16 s)."""
    t = _tables()
    if root is None:
        return f"SELECT DISTINCT s.pupil_id FROM {t['sc']} s", {}
    return (
        f"""SELECT DISTINCT s.pupil_id FROM {t['sc']} s WHERE s.school_id = ANY(ARRAY(
                SELECT u.id FROM {t['unit']} u WHERE u.path LIKE %(root_path)s))""",
        {"root_path": root.path + "%"},
    )


def _subtree_pupils(root: Unit | None) -> tuple[str, dict]:
    """A condition on ``sc.pupil_id``: pupils that ever had a step at a school under ``root``."""
    if root is None:
        return "TRUE", {}
    pupil_ids, params = _subtree_pupil_ids(root)
    return f"sc.pupil_id IN ({pupil_ids})", params


def roll_as_of(day: date, root: Unit | None = None) -> list[SnapshotRow]:
    """Pupils on the roll (and 借读) at the end of ``day``, counted by school, status and grade;
    of the whole system, or of the schools under ``root``. Records deleted (删除) by then are not
    counted."""
    return rolls_as_of([day], root)[day]


def rolls_as_of(days: list[date], root: Unit | None = None) -> dict[date, list[SnapshotRow]]:
    """``roll_as_of`` of several days at once (a month's report wants its start and its end):
    {day: rows}.

    Each pupil who ever had a step under ``root`` is looked at once per day, pupil by pupil
    (LATERAL): its last step by then, one backward probe of statuschange_pupil_steps, and for a
    pupil on a roll its grade by then, one of pupilevent_grade_history; both from the index alone,
    the pupils' own rows not read. Per pupil, so that the cost is linear in the county's pupils
    whatever PostgreSQL estimates (their snapshots aggregated and joined, a county's 67,000 pupils
    estimated as one made a nested loop that aggregated them all again for each: minutes). The
    deleted, a few thousand in a province, come first from their partial index
    (pupil_deleted_at), joined as a list."""
    days = sorted(set(days))
    if not days:
        return {}
    t = _tables()
    deleted = list(Pupil.objects.filter(deleted_at__lt=day_start(days[-1] + timedelta(days=1)))
                   .values_list("pk", "deleted_at"))
    pupils, params = _subtree_pupil_ids(root)
    params |= {
        "days": days, "cutoffs": [day_start(day + timedelta(days=1)) for day in days],
        "deleted_ids": [pk for pk, _at in deleted], "deleted_at": [at for _pk, at in deleted],
        "statuses": [str(s) for s in ROLL_STATUSES + COUNTED_BESIDE], "path": (root.path if root else "") + "%",
    }
    grade = _GRADE_AT.format(event=t["event"], pupil="pp.pupil_id", cutoff="dd.cutoff",
                             fallback=f"(SELECT p.grade FROM {t['pupil']} p WHERE p.id = pp.pupil_id)")
    sql = f"""
        WITH pupils AS (
            SELECT pp.pupil_id, x.deleted_at FROM ({pupils}) pp
            LEFT JOIN unnest(%(deleted_ids)s::bigint[], %(deleted_at)s::timestamptz[]) x(id, deleted_at)
                   ON x.id = pp.pupil_id
        )
        SELECT dd.day, s.school_id, s.to_status, {grade}, COUNT(*)
        FROM pupils pp
        CROSS JOIN unnest(%(days)s::date[], %(cutoffs)s::timestamptz[]) dd(day, cutoff)
        CROSS JOIN LATERAL (
            SELECT sc.school_id, sc.to_status FROM {t['sc']} sc
            WHERE sc.pupil_id = pp.pupil_id AND sc.effective_date <= dd.day
            ORDER BY sc.effective_date DESC, sc.id DESC LIMIT 1
        ) s
        JOIN {t['unit']} u ON u.id = s.school_id
        WHERE s.to_status = ANY(%(statuses)s) AND (pp.deleted_at IS NULL OR pp.deleted_at >= dd.cutoff)
          AND u.path LIKE %(path)s
        GROUP BY 1, 2, 3, 4
    """
    rolls = {day: [] for day in days}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for day, *row in cursor.fetchall():
            rolls[day].append(SnapshotRow(*row))
    return rolls


def changes_between(start: date, end: date, root: Unit | None = None) -> list[ChangeRow]:
    """Every step of a status history effective from ``start`` to ``end`` (both included), with
    the school and status of the step before it (in the order of the history, which may start
    before the month), the kind of the approved request behind it, and the pupil's grade once it
    was recorded. Of the whole system, or the steps into or out of a school under ``root``."""
    t = _tables()
    # The end of the day the step took effect, or of the day it was recorded if that was later (a
    # junior-middle entrant approved on 20 September for 1 September is in grade 7 by then).
    cutoff = "(GREATEST(h.effective_date, (h.created_at AT TIME ZONE %(tz)s)::date) + 1)::timestamp AT TIME ZONE %(tz)s"
    grade = _GRADE_AT.format(event=t["event"], pupil="h.pupil_id", cutoff=cutoff, fallback="p.grade")
    subtree = ""
    # Only the pupils who ever had a step under root can have one into or out of it: the month's
    # steps of the rest of the province are not read (at 10,000,000 pupils: 1.5 s for a county).
    pupils_condition, params = _subtree_pupils(root)
    params.update({"start": start, "end": end, "tz": settings.TIME_ZONE})
    if root is not None:
        subtree = f"""AND EXISTS (SELECT 1 FROM {t['unit']} u WHERE u.id IN (h.school_id, h.prev_school_id)
                                   AND u.path LIKE %(root_path)s)"""
        params["root_path"] = root.path + "%"
    sql = f"""
        WITH active AS (
            SELECT DISTINCT sc.pupil_id FROM {t['sc']} sc
            WHERE sc.effective_date BETWEEN %(start)s AND %(end)s AND {pupils_condition}
        ), h AS (
            SELECT sc.id, sc.pupil_id, sc.effective_date, sc.from_status, sc.to_status, sc.school_id, sc.reason,
                   sc.change_request_id, sc.created_at,
                   LAG(sc.school_id) OVER w AS prev_school_id, LAG(sc.to_status) OVER w AS prev_status
            FROM {t['sc']} sc JOIN active a ON a.pupil_id = sc.pupil_id
            WHERE sc.effective_date <= %(end)s
            WINDOW w AS (PARTITION BY sc.pupil_id ORDER BY sc.effective_date, sc.id)
        )
        SELECT h.id, h.pupil_id, p.name, p.student_number, h.effective_date, h.from_status, h.to_status,
               h.school_id, h.prev_school_id, h.prev_status, COALESCE(r.kind, ''), h.reason, {grade}
        FROM h
        JOIN {t['pupil']} p ON p.id = h.pupil_id
        LEFT JOIN {t['request']} r ON r.id = h.change_request_id
        WHERE h.effective_date >= %(start)s {subtree}
        ORDER BY h.effective_date, h.id
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [ChangeRow(*row) for row in cursor.fetchall()]


def deletions_between(start: date, end: date, root: Unit | None = None) -> list[DeletionRow]:
    """Records deleted as problem records (删除) from ``start`` to ``end``, each with its school,
    status and grade at the end of the month as the status history has them."""
    t = _tables()
    cutoff = day_start(end + timedelta(days=1))
    grade = _GRADE_AT.format(event=t["event"], pupil="p.id", cutoff="%(cutoff)s", fallback="p.grade")
    sql = f"""
        SELECT p.id, p.name, p.student_number, (p.deleted_at AT TIME ZONE %(tz)s)::date, l.school_id, l.to_status,
               {grade}
        FROM {t['pupil']} p
        JOIN LATERAL (
            SELECT sc.school_id, sc.to_status FROM {t['sc']} sc
            WHERE sc.pupil_id = p.id AND sc.effective_date <= %(end)s
            ORDER BY sc.effective_date DESC, sc.id DESC LIMIT 1
        ) l ON TRUE
        JOIN {t['unit']} u ON u.id = l.school_id
        WHERE p.deleted_at >= %(from)s AND p.deleted_at < %(cutoff)s AND u.path LIKE %(path)s
        ORDER BY p.deleted_at, p.id
    """
    params = {"from": day_start(start), "cutoff": cutoff, "end": end, "tz": settings.TIME_ZONE,
              "path": (root.path if root else "") + "%"}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [DeletionRow(*row) for row in cursor.fetchall()]


def approved_requests_between(start: date, end: date, root: Unit | None = None) -> list[tuple[int, str, str]]:
    """The requests approved (办结) from ``start`` to ``end``: (request id, kind, path of a party
    unit), one row per party, for the parties under ``root``."""
    t = _tables()
    sql = f"""
        SELECT r.id, r.kind, u.path
        FROM {t['request']} r
        JOIN {t['party']} rp ON rp.request_id = r.id
        JOIN {t['unit']} u ON u.id = rp.unit_id
        WHERE r.status = 'approved' AND r.finished_at >= %(from)s AND r.finished_at < %(to)s AND u.path LIKE %(path)s
    """
    params = {"from": day_start(start), "to": day_start(end + timedelta(days=1)), "path": (root.path if root else "") + "%"}
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
