"""The figures of the monthly change report (学籍变动月报) of every reporting unit: schools, township
central schools (the regulation's 小学以镇乡中心校为单位) and county bureaus.

For each unit, from the status history (``reports.history``):

- the roll at the start of the month (the end of the day before) and at its end, by status and
  grade, and the 借读 pupils beside it;
- every change of the month by kind and grade, each counted as an increase (+1) when it brings a
  pupil onto the unit's roll, a decrease (−1) when it takes one off, or neither (a suspension, a
  transfer between two schools of the same county): the kind comes from the step's statuses, the
  schools before and after it, and the approved request behind it;
- the check: start + increases − decreases = end. The roll at both ends is read from the order of
  the history; the increases and decreases from what each step recorded it changed (its
  ``from_status``). They agree unless the history contradicts itself (a step recorded later with
  an earlier effective date than steps it did not know of): the report then says by how much,
  for the bureau to look into before it signs;
- the requests approved in the month by kind (information changes, renewals … that change no
  status), and, for schools and central schools, the list of the month's changes by pupil.

Everything is computed for the whole system (or one unit's subtree) in a few statements and
rolled up here on their grouped rows.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

from reports import history
from xueji.accounts.models import Unit, UnitKind
from xueji.approvals.kinds import kind_label
from xueji.codes import GRADE_LABELS, ROLL_STATUSES, PupilStatus
from xueji.collation import pinyin_sort_key

SCHEMA = 1
REPORTING_KINDS = (UnitKind.SCHOOL, UnitKind.CENTRAL_SCHOOL, UnitKind.COUNTY_BUREAU)
# Units whose report lists the month's changes pupil by pupil (a county's would run to hundreds
# of pages in September; it has the breakdown by school instead).
DETAILED_KINDS = (UnitKind.SCHOOL, UnitKind.CENTRAL_SCHOOL)

# The kinds of change, in the order the report lists them: (code, label).
KINDS = [
    ("new_record", "新生建籍"),
    ("late_registration", "补建学籍"),
    ("continued_entry", "升学入学（原学籍延续）"),
    ("transfer_in", "转入"),
    ("transfer_out", "转出"),
    ("transfer_within", "本单位内转学"),
    ("transfer_arrival", "转入报到"),
    ("left_system", "转出（系统外）"),
    ("suspension", "休学"),
    ("resumption", "复学"),
    ("deferral", "缓学"),
    ("dropout", "辍学"),
    ("return", "劝返复学"),
    ("abroad", "出国（出境学习）"),
    ("abroad_return", "回国复学"),
    ("graduation", "毕业"),
    ("cancellation", "注销学籍"),
    ("death", "死亡"),
    ("other_left", "其他离校"),
    ("visiting", "借读"),
    ("reversal", "撤销审批"),
    ("grade_down", "降级（特殊教育学生）"),
    ("deletion", "删除问题学籍"),
    ("other", "其他状态变动"),
]
KIND_LABELS = dict(KINDS)
_KIND_ORDER = {code: index for index, (code, _label) in enumerate(KINDS)}
_LEAVING = {
    PupilStatus.TRANSFERRED_OUT: "left_system", PupilStatus.SUSPENDED: "suspension", PupilStatus.DEFERRED: "deferral",
    PupilStatus.DROPPED_OUT: "dropout", PupilStatus.ABROAD: "abroad", PupilStatus.GRADUATED: "graduation",
    PupilStatus.CANCELLED: "cancellation", PupilStatus.DECEASED: "death", PupilStatus.OTHER_LEFT: "other_left",
    PupilStatus.WITHDRAWN: "other_left", PupilStatus.VISITING: "visiting",
}
_BACK = {PupilStatus.SUSPENDED: "resumption", PupilStatus.DROPPED_OUT: "return", PupilStatus.ABROAD: "abroad_return"}


def month_bounds(month: date) -> tuple[date, date]:
    """The first and the last day of the month ``month`` is in."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def previous_month(today: date) -> date:
    """The first day of the month before ``today``'s."""
    return (today.replace(day=1) - timedelta(days=1)).replace(day=1)


def classify(row: history.ChangeRow, *, before: bool, after: bool) -> str | None:
    """The kind of a status step as seen from a unit (None: not the unit's change to report).
    ``before`` and ``after``: whether the pupil's school was under the unit before and after it."""
    if row.request_kind == "reversal":
        return "reversal"
    if not row.from_status or row.prev_school_id is None:
        if row.to_status == PupilStatus.VISITING:
            return "visiting"
        return "late_registration" if row.request_kind == "late_enrolment" else "new_record"
    if row.prev_school_id != row.school_id:
        if row.request_kind == "enrolment":
            # Junior-middle intake continuing a primary record: the junior school's entrant; the
            # primary school's graduate left its roll at graduation.
            return "continued_entry" if after else None
        if before and after:
            return "transfer_within"
        return "transfer_in" if after else "transfer_out"
    if row.request_kind == "transfer":
        return "transfer_arrival"
    if row.request_kind == "grade_down":
        return "grade_down"
    if row.to_status == PupilStatus.ENROLLED and row.from_status in _BACK:
        return _BACK[row.from_status]
    return _LEAVING.get(row.to_status, "other")


@dataclass
class _Tally:
    """What one unit's report counts, filled row by row."""

    start: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))  # status -> grade -> n
    end: dict = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    kinds: dict = field(default_factory=lambda: defaultdict(
        lambda: {"count": 0, "in": 0, "out": 0, "by_grade": defaultdict(int)}))  # kind -> counts
    requests: dict = field(default_factory=lambda: defaultdict(set))  # kind -> request ids
    details: list = field(default_factory=list)

    def count_change(self, kind: str, grade: int, delta: int) -> None:
        entry = self.kinds[kind]
        entry["count"] += 1
        entry["by_grade"][grade] += 1
        if delta > 0:
            entry["in"] += 1
        elif delta < 0:
            entry["out"] += 1


class _Units:
    """The reporting units of a subtree, and the units each school lies under."""

    def __init__(self, root: Unit | None):
        queryset = Unit.objects.all() if root is None else Unit.objects.filter(path__startswith=root.path)
        fields = ("id", "name", "kind", "path", "code", "school_type", "parent_id")
        self.by_id = {unit.pk: unit for unit in queryset.only(*fields)}
        self.reporting = {pk: unit for pk, unit in self.by_id.items() if unit.kind in REPORTING_KINDS}

    def above(self, school_id: int | None) -> list[int]:
        """The reporting units (ids) a school lies under, itself included; none for a school
        outside the subtree."""
        unit = self.by_id.get(school_id)
        if unit is None:
            return []
        return [pk for pk in unit.ancestor_ids if pk in self.reporting]

    def grades_under(self) -> dict[int, set[int]]:
        """The grades the schools under each reporting unit teach (its columns, even where no one
        is counted)."""
        taught: dict[int, set[int]] = defaultdict(set)
        for unit in self.by_id.values():
            if unit.kind == UnitKind.SCHOOL:
                for pk in self.above(unit.pk):
                    taught[pk].update(unit.grades)
        return taught

    def name(self, school_id: int | None) -> str:
        unit = self.by_id.get(school_id)
        return unit.name if unit is not None else ""


def compute(month: date, root: Unit | None = None) -> dict[int, dict]:
    """The report figures of every reporting unit under ``root`` (of all of them when None) for
    the month ``month`` is in: {unit id: figures}."""
    start, end = month_bounds(month)
    tree = _Units(root)
    wanted = set(tree.reporting)
    tallies = {pk: _Tally() for pk in wanted}
    other_school_names = {}

    sides = {start - timedelta(days=1): "start", end: "end"}
    for day, rows in history.rolls_as_of(list(sides), root).items():
        for row in rows:
            for pk in tree.above(row.school_id):
                if pk in tallies:
                    getattr(tallies[pk], sides[day])[row.status][row.grade] += row.count

    changes = history.changes_between(start, end, root)
    missing = {r.prev_school_id for r in changes if r.prev_school_id} | {r.school_id for r in changes}
    missing -= set(tree.by_id)
    other_school_names.update(Unit.objects.filter(pk__in=missing).values_list("pk", "name"))
    for row in changes:
        before_units, after_units = set(tree.above(row.prev_school_id)), set(tree.above(row.school_id))
        for pk in (before_units | after_units) & wanted:
            before, after = pk in before_units, pk in after_units
            kind = classify(row, before=before, after=after)
            if kind is None:
                continue
            was_on_roll = before and row.from_status in ROLL_STATUSES
            is_on_roll = after and row.to_status in ROLL_STATUSES
            delta = int(is_on_roll) - int(was_on_roll)
            tally = tallies[pk]
            tally.count_change(kind, row.grade, delta)
            if tree.reporting[pk].kind in DETAILED_KINDS:
                other = ""
                if kind in ("transfer_in", "transfer_out", "continued_entry"):
                    other_id = row.prev_school_id if after else row.school_id
                    other = tree.name(other_id) or other_school_names.get(other_id, "")
                tally.details.append(_detail(row.effective_date, row, kind, delta, row.grade, other, row.reason))

    for row in history.deletions_between(start, end, root):
        for pk in set(tree.above(row.school_id)) & wanted:
            if row.status not in ROLL_STATUSES:
                continue
            tallies[pk].count_change("deletion", row.grade, -1)
            if tree.reporting[pk].kind in DETAILED_KINDS:
                tallies[pk].details.append(_detail(row.deleted_on, row, "deletion", -1, row.grade, "", "删除问题学籍"))

    for request_id, kind, path in history.approved_requests_between(start, end, root):
        ids = [int(part) for part in path.strip("/").split("/") if part]
        for pk in set(ids) & wanted:
            tallies[pk].requests[kind].add(request_id)

    taught = tree.grades_under()
    figures = {pk: _figures(tree.reporting[pk], start, end, tallies[pk], taught[pk]) for pk in wanted}
    for pk in wanted:
        unit = tree.reporting[pk]
        if unit.kind in (UnitKind.COUNTY_BUREAU, UnitKind.CENTRAL_SCHOOL):
            # The schools under it in the order of the tree, a central school's after its line.
            figures[pk]["by_unit"] = [
                _unit_line(tree.reporting[child], figures[child])
                for child in sorted(figures, key=lambda c: tree.reporting[c].path)
                if child != pk and tree.reporting[child].path.startswith(unit.path)
            ]
    return figures


def _detail(day: date, row, kind: str, delta: int, grade: int, other_school: str, reason: str) -> dict:
    return {
        "date": day.isoformat(), "pupil_id": row.pupil_id, "name": row.name, "student_number": row.student_number,
        "grade": grade, "kind": kind, "label": KIND_LABELS[kind], "delta": delta, "other_school": other_school,
        "reason": reason or "",
    }


def _side(counts: dict) -> dict:
    """One end of the month: the roll by status and grade, its totals, and 借读 beside it."""
    by_status = {}
    by_grade: dict[str, int] = defaultdict(int)
    for status in ROLL_STATUSES:
        grades = {str(g): n for g, n in sorted(counts.get(status, {}).items()) if n}
        by_status[str(status)] = {"total": sum(grades.values()), "by_grade": grades}
        for g, n in grades.items():
            by_grade[g] += n
    visiting = counts.get(PupilStatus.VISITING, {})
    return {
        "total": sum(by_grade.values()),
        "by_status": by_status,
        "by_grade": dict(sorted(by_grade.items(), key=lambda item: int(item[0]))),
        "visiting": sum(visiting.values()),
        "visiting_by_grade": {str(g): n for g, n in sorted(visiting.items()) if n},
    }


def _figures(unit: Unit, start: date, end: date, tally: _Tally, taught: set[int]) -> dict:
    first, last = _side(tally.start), _side(tally.end)
    changes = [
        {"kind": kind, "label": KIND_LABELS[kind], "count": entry["count"], "in": entry["in"], "out": entry["out"],
         "by_grade": {str(g): n for g, n in sorted(entry["by_grade"].items())}}
        for kind, entry in sorted(tally.kinds.items(), key=lambda item: _KIND_ORDER[item[0]])
    ]
    increases = sum(c["in"] for c in changes)
    decreases = sum(c["out"] for c in changes)
    expected = first["total"] + increases - decreases
    grades = set(first["by_grade"]) | set(last["by_grade"]) | {g for c in changes for g in c["by_grade"]}
    grades |= {str(g) for g in taught}
    figures = {
        "schema": SCHEMA,
        "unit": {"id": unit.pk, "name": unit.name, "kind": unit.kind, "kind_label": unit.get_kind_display(),
                 "code": unit.code or ""},
        "month": start.strftime("%Y-%m"),
        "period": {"start": start.isoformat(), "end": end.isoformat()},
        "grades": sorted(int(g) for g in grades),
        "statuses": [{"code": str(s), "label": PupilStatus(s).label} for s in ROLL_STATUSES],
        "start": first,
        "end": last,
        "changes": changes,
        "totals": {"in": increases, "out": decreases, "changes": sum(c["count"] for c in changes)},
        "check": {
            "start": first["total"], "in": increases, "out": decreases, "expected_end": expected, "end": last["total"],
            "difference": last["total"] - expected, "ok": last["total"] == expected,
        },
        "requests": [
            {"kind": kind, "label": kind_label(kind), "count": len(ids)}
            for kind, ids in sorted(tally.requests.items(), key=lambda item: (-len(item[1]), item[0]))
        ],
    }
    if unit.kind in DETAILED_KINDS:
        figures["details"] = sorted(tally.details, key=lambda d: (d["date"], pinyin_sort_key(d["name"]), d["pupil_id"]))
    return figures


def _unit_line(unit: Unit, figures: dict) -> dict:
    check = figures["check"]
    return {"id": unit.pk, "name": unit.name, "kind": unit.kind, "start": check["start"], "in": check["in"],
            "out": check["out"], "end": check["end"], "ok": check["ok"]}


def grade_label(grade) -> str:
    return GRADE_LABELS.get(int(grade), str(grade))
