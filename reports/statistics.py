"""Statistics of a unit's pupils on the roll (在籍) today: by grade, class, gender, ethnicity, status,
left-behind children (留守儿童), migrant workers' children (随迁子女), household type (户口性质),
disability and how pupils with one are taught (item 41: 送教上门 among them), preschool education,
need of aid and of the school bus (the national form's items 36, 44, 48) and open problem records (问题学籍), with a breakdown by the units below (a city's
counties, a county's schools) or, for a school, by class.

Counted in PostgreSQL: one grouped statement for the main figures (by school, grade and ethnicity,
or by grade, class and ethnicity for a school, each other dimension a FILTER count), one for the
借读 pupils beside the roll and one for problem records. Python only adds up their grouped rows.
The pupils are those of ``pupils_visible_to(user)`` under the unit: the same scope as the lists.
"""

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connections, router
from django.db.models import Count, Q
from django.utils import timezone

from xueji.accounts.models import Unit, UnitKind, User
from xueji.codes import (
    GRADE_LABELS,
    ROLL_STATUSES,
    Disability,
    DisabilityPlacement,
    Ethnicity,
    Gender,
    HukouType,
    LeftBehind,
    PupilStatus,
)
from xueji.pupils.models import ProblemRecord, RollCount, SchoolClass, disability_index, disability_placement_index
from xueji.pupils.models.counts import TOTAL, VISITING
from xueji.pupils.scoping import pupils_visible_to, sees_every_pupil_under

# The national form's yes-no items counted (xueji.pupils.national_form, 36, 44 and 48): (field, the
# dimension's title, the breakdown's header for the pupils who say yes).
YES_NO_ITEMS = [
    ("preschool", "是否受过学前教育", "受过学前教育"),
    ("needs_aid", "是否需要申请资助", "需要申请资助"),
    ("school_bus", "是否需要乘坐校车", "需要乘坐校车"),
]

# The placements of pupils with a disability (the empty "不适用" is everyone else).
PLACEMENTS = [code for code in DisabilityPlacement.values if code]

# What is counted: (key, column, value), a pupil on the roll counting under the key when its column
# holds the value (None: not known, null). Counted two ways with the same meaning (unit_statistics):
# from the kept counts per school and grade (RollCount: a column counted here must be one of its
# COUNTED_COLUMNS), or from the pupils themselves, one FILTER count each. Every column here, the
# class aside, is in Pupil's index pupil_school_status_counts, so that the latter reads its pupils
# from the index alone: a new dimension needs its column added there too.
COUNTS = [
    ("total", TOTAL, ""),
    *[(f"gender_{code}", "gender", code) for code in Gender.values],
    *[(f"status_{code}", "status", code) for code in ROLL_STATUSES],
    *[(f"left_behind_{code}", "left_behind", code) for code in LeftBehind.values],
    ("migrant_1", "migrant_child", True),
    ("migrant_0", "migrant_child", False),
    *[(f"hukou_{code}", "hukou_type", code) for code in HukouType.values],
    ("hukou_", "hukou_type", ""),
    # The national form's yes-no items (null: not yet known, counted as 未填写).
    *[(f"{key}_{code}", key, value) for key, _title, _yes in YES_NO_ITEMS
      for code, value in (("1", True), ("0", False), ("", None))],
    # Disability is encrypted: counted by its blind index (one per code, computed on first use).
    *[(f"disability_{code}", "disability_index", lambda code=code: disability_index(code))
      for code in Disability.values],
    # How the pupils with a disability are taught (item 41): 随班就读, 送教上门 (counted as such,
    # 2025 办法), in a special-education school. Encrypted too: by its blind index.
    *[(f"placement_{code}", "disability_placement_index", lambda code=code: disability_placement_index(code))
      for code in PLACEMENTS],
]


def _condition(column: str, value) -> Q:
    """The pupils counted under a COUNTS entry, as a filter of Pupil."""
    if column == TOTAL:
        return Q()
    if value is None:
        return Q(**{f"{column}__isnull": True})
    return Q(**{column: value() if callable(value) else value})


def _kept_value(value) -> str:
    """A COUNTS entry's value as RollCount keeps it (text; booleans 'true'/'false', null '')."""
    if callable(value):
        return value()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# The dimensions as the page and the API list them: (key, title, [(count key, label)]).
DIMENSIONS = [
    ("gender", "性别", [(f"gender_{c}", label) for c, label in Gender.choices]),
    ("status", "学籍状态", [(f"status_{c}", PupilStatus(c).label) for c in ROLL_STATUSES]),
    ("left_behind", "留守儿童", [(f"left_behind_{c}", label) for c, label in LeftBehind.choices]),
    ("migrant_child", "进城务工人员随迁子女", [("migrant_1", "随迁子女"), ("migrant_0", "非随迁子女")]),
    ("hukou_type", "户口性质", [*((f"hukou_{c}", label) for c, label in HukouType.choices), ("hukou_", "未填写")]),
    ("disability", "残疾类型", [(f"disability_{c}", label) for c, label in Disability.choices]),
    ("disability_placement", "残疾学生就读方式", [(f"placement_{c}", DisabilityPlacement(c).label) for c in PLACEMENTS]),
    *[(key, title, [(f"{key}_1", "是"), (f"{key}_0", "否"), (f"{key}_", "未填写")]) for key, title, _yes in YES_NO_ITEMS],
]
# The columns of the breakdown table: (count key or special, header).
BREAKDOWN_COLUMNS = [
    ("total", "在籍"),
    ("gender_1", "男"),
    ("gender_2", "女"),
    *[(f"status_{c}", PupilStatus(c).label) for c in ROLL_STATUSES],
    ("left_behind", "留守儿童"),
    ("migrant_1", "随迁子女"),
    ("hukou_1", "农业户口"),
    ("disabled", "残疾"),
    (f"placement_{DisabilityPlacement.HOME_TEACHING}", "送教上门"),
    *[(f"{key}_1", yes) for key, _title, yes in YES_NO_ITEMS],
    ("visiting", "借读（不计入在籍）"),
    ("problems", "待处理问题学籍"),
]


@dataclass
class Line:
    """One row of a breakdown: a unit, a grade or a class, with its counts."""

    key: str
    label: str
    counts: dict = field(default_factory=lambda: defaultdict(int))
    url_unit: int | None = None  # a unit one may drill down into
    current: bool = True  # a class of the latest school year (empty ones are still listed)

    def add(self, row: dict) -> None:
        for name, _column, _value in COUNTS:
            self.counts[name] += row[name]

    def value(self, column: str) -> int:
        counts = self.counts
        if column == "left_behind":
            return counts[f"left_behind_{LeftBehind.ONE_PARENT}"] + counts[f"left_behind_{LeftBehind.BOTH_PARENTS}"]
        if column == "disabled":
            return counts["total"] - counts[f"disability_{Disability.NONE}"]
        return counts[column]

    def values(self) -> list[int]:
        return [self.value(column) for column, _header in BREAKDOWN_COLUMNS]


def breakdown_level(unit: Unit) -> str:
    """What a unit's statistics are broken down by."""
    if unit.kind == UnitKind.SCHOOL:
        return "class"
    if unit.kind in (UnitKind.COUNTY_BUREAU, UnitKind.CENTRAL_SCHOOL):
        return "school"
    return "child"  # a city's counties, a province's cities (and schools they run directly)


BREAKDOWN_TITLES = {"class": "按班级", "school": "按学校", "child": "按下级单位"}


def unit_statistics(user: User, unit: Unit) -> dict:
    """The statistics of ``unit`` (one the caller checked the user may see), as plain data for
    the page, the API and the spreadsheet."""
    pupils = pupils_visible_to(user).filter(school__path__startswith=unit.path, deleted_at__isnull=True)
    level = breakdown_level(unit)
    if level != "class" and sees_every_pupil_under(user, unit):
        rows, ethnicity, visiting = _kept_counts(unit, level)
    else:
        rows, ethnicity, visiting = _pupil_counts(pupils, level)
    problems = (
        ProblemRecord.objects.filter(resolution="", pupil__in=pupils).order_by()
        .values_list("pupil__school_id", "pupil__grade", "pupil__school_class_id", "kind").annotate(n=Count("id"))
    )

    total = Line("total", "合计")
    by_grade: dict[int, Line] = {}
    for row in rows:
        total.add(row)
        by_grade.setdefault(row["grade"], Line(str(row["grade"]), GRADE_LABELS[row["grade"]])).add(row)
    lines, place = _breakdown(unit, level, rows)
    for row in visiting:
        for line in (total, by_grade.get(row["grade"]), place(row)):
            if line is not None:
                line.counts["visiting"] += row["n"]
    problem_kinds: dict[str, int] = defaultdict(int)
    for school_id, grade, class_id, kind, n in problems:
        problem_kinds[kind] += n
        row = {"school_id": school_id, "grade": grade, "school_class_id": class_id}
        for line in (total, by_grade.get(grade), place(row)):
            if line is not None:
                line.counts["problems"] += n
    if level == "class":
        # Classes of earlier school years and "no class" only when someone is counted in them.
        lines = [line for line in lines if line.current or any(line.counts.values())]

    dimensions = [
        {"key": "grade", "title": "年级",
         "items": [{"code": line.key, "label": line.label, "count": line.counts["total"]}
                   for _grade, line in sorted(by_grade.items())]},
    ]
    for key, title, items in DIMENSIONS:
        dimensions.append({"key": key, "title": title, "items": [
            {"code": name.split("_")[-1], "label": label, "count": total.counts[name]} for name, label in items
        ]})
    dimensions.append({"key": "ethnicity", "title": "民族", "items": [
        {"code": code, "label": Ethnicity(code).label if code in Ethnicity.values else code, "count": n}
        for code, n in sorted(ethnicity.items(), key=lambda item: (-item[1], item[0]))
    ]})
    dimensions.append({"key": "problems", "title": "待处理的问题学籍", "items": [
        {"code": code, "label": label, "count": problem_kinds.get(code, 0)} for code, label in ProblemRecord.Kind.choices
    ]})
    return {
        "unit": {"id": unit.pk, "name": unit.name, "kind": unit.kind, "kind_label": unit.get_kind_display()},
        "as_of": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
        "total": total,
        "dimensions": dimensions,
        "by_grade": [line for _grade, line in sorted(by_grade.items())],
        "level": level,
        "breakdown_title": BREAKDOWN_TITLES[level],
        "breakdown": lines,
        "columns": BREAKDOWN_COLUMNS,
    }


def _pupil_counts(pupils, level: str) -> tuple[list[dict], dict[str, int], list[dict]]:
    """The counts of ``pupils`` (a queryset) grouped by school and grade, or by grade and class
    for a school: the grouped rows of COUNTS, the pupils per ethnicity, and the 借读 pupils'
    grouped rows (``n``). One pass over the pupils, read from pupil_school_status_counts."""
    group = ("grade", "school_class_id") if level == "class" else ("school_id", "grade")
    # Ethnicity is grouped by rather than counted with a FILTER of its own (56 codes): one pass
    # over the pupils answers everything, at the cost of a few more grouped rows.
    # COUNT(school_id), never null: a column of that index, where the id is not.
    counts = {name: Count("school", filter=_condition(column, value)) for name, column, value in COUNTS}
    rows = list(pupils.filter(status__in=ROLL_STATUSES).order_by().values(*group, "ethnicity").annotate(**counts))
    ethnicity: dict[str, int] = defaultdict(int)
    for row in rows:
        ethnicity[row["ethnicity"]] += row["total"]
    visiting = list(pupils.filter(status=PupilStatus.VISITING).order_by().values(*group).annotate(n=Count("school")))
    return rows, ethnicity, visiting


def _kept_counts(unit: Unit, level: str) -> tuple[list[dict], dict[str, int], list[dict]]:
    """The same as _pupil_counts for every pupil under ``unit``, from the counts kept per school
    and grade (RollCount), summed in PostgreSQL per line of the breakdown: a county's schools, or
    a city's or province's children (the unit right below ``unit`` in each school's path; the
    rows' ``school_id`` is then that unit's id, which _breakdown places as its own line). The cost
    follows the number of schools, not of pupils."""
    # The schools as an array, so that PostgreSQL reads their rows from the counts' index (joined
    # to the units on their path, it read the whole table for a county: 110 ms instead of 26).
    schools = "r.school_id = ANY(ARRAY(SELECT id FROM xueji_unit WHERE path LIKE %s))"
    if level == "school":
        statement = (
            f"SELECT r.school_id, r.grade, r.dimension, r.value, sum(r.n) FROM xueji_rollcount r WHERE {schools}"
        )
        params = [unit.path + "%"]
    else:
        statement = (
            "SELECT split_part(substr(u.path, %s), '/', 1)::int, r.grade, r.dimension, r.value, sum(r.n) "
            f"FROM xueji_rollcount r JOIN xueji_unit u ON u.id = r.school_id WHERE {schools}"
        )
        params = [len(unit.path) + 1, unit.path + "%"]
    # The replica when the router sends this request's reads there (xueji.db_routing).
    with connections[router.db_for_read(RollCount)].cursor() as cursor:
        cursor.execute(statement + " GROUP BY 1, 2, 3, 4 HAVING sum(r.n) <> 0", params)
        kept = cursor.fetchall()
    names_of: dict[tuple[str, str], list[str]] = defaultdict(list)
    for name, column, value in COUNTS:
        names_of[(column, _kept_value(value))].append(name)
    rows: dict[tuple[int, int], dict] = {}
    ethnicity: dict[str, int] = defaultdict(int)
    visiting = []
    for line_id, grade, dimension, value, n in kept:
        if dimension == VISITING:
            visiting.append({"school_id": line_id, "grade": grade, "n": n})
            continue
        if dimension == "ethnicity":
            ethnicity[value] += n
        row = rows.get((line_id, grade))
        if row is None:
            row = rows[(line_id, grade)] = {"school_id": line_id, "grade": grade, **{name: 0 for name, *_ in COUNTS}}
        for name in names_of.get((dimension, value), ()):
            row[name] += n
    return list(rows.values()), ethnicity, visiting


def _breakdown(unit: Unit, level: str, rows: list[dict]):
    """The lines below the unit, each with the counts of the rows under it, and a function that
    finds the line of a grouped row (school, grade, class): its classes for a school, its schools
    (however deep) for a county or a central school, its children for a city or a province.
    Units without pupils are kept, so that an empty school shows as 0."""
    if level == "class":
        classes = list(SchoolClass.objects.filter(school=unit).select_related("school_year"))
        latest_year = max((c.school_year.start_year for c in classes), default=None)
        classes.sort(key=lambda c: (c.grade, -c.school_year.start_year, c.number))
        by_class = {c.pk: Line(str(c.pk), _class_label(c, latest_year), current=c.school_year.start_year == latest_year)
                    for c in classes}
        unassigned = Line("none", "未分班", current=False)
        for row in rows:
            by_class.get(row["school_class_id"], unassigned).add(row)

        def place(row: dict) -> Line:
            return by_class.get(row["school_class_id"], unassigned)

        return [*by_class.values(), unassigned], place
    if level == "school":
        units = Unit.objects.filter(path__startswith=unit.path, kind=UnitKind.SCHOOL)
    else:
        units = unit.children.all()
    units = list(units.order_by("path").only("id", "name", "path"))
    by_unit = {u.pk: Line(str(u.pk), u.name, url_unit=u.pk) for u in units}
    # Every unit under the unit, to the line it counts in (the line whose unit it lies under, or
    # its own): rows are grouped by school, or by the line's unit itself (_kept_counts).
    under = Unit.objects.filter(path__startswith=unit.path).values_list("pk", "path")
    owner = {}
    for school_id, path in under:
        ids = [int(part) for part in path.strip("/").split("/") if part]
        owner[school_id] = next((by_unit[pk] for pk in ids if pk in by_unit), None)
    for row in rows:
        line = owner.get(row["school_id"])
        if line is not None:
            line.add(row)

    def place(row: dict) -> Line | None:
        return owner.get(row["school_id"])

    return list(by_unit.values()), place


def _class_label(school_class: SchoolClass, latest_year: int | None) -> str:
    if school_class.school_year.start_year == latest_year:
        return school_class.name
    return f"{school_class.name}（{school_class.school_year}）"
