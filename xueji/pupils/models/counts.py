"""The pupils on the roll counted per school, grade and value of each column the statistics count,
kept up to date by the database (RollCount).

A bureau's statistics page (reports.statistics) counted its pupils on every request: index-only,
but still every pupil of the scope, so the page's cost grew with the scope (a city of 600,000
pupils: 1.9 s; a province of 10,000,000 would take half a minute). These counts make it grow with
the number of schools instead.

How they are kept: statement-level triggers on the pupil table (one per INSERT, UPDATE, DELETE,
installed by migration xueji/0027 from ``create_triggers_sql``,
with the statement's transition tables, so that a bulk write of a million rows costs one grouped
INSERT, not a million) append each statement's net change as rows of deltas: +1 for each
(school, grade, column, value) of a pupil who came onto the roll or into it, -1 for one who left
it. Rows are only ever inserted by writers, never updated, so two registrars' writes in the same
school never wait for each other on a shared counter row (nor deadlock). The count of a key is the
SUM of its rows, right at every moment in every transaction; ``compact`` (the sweep, every ten
minutes) folds each key's rows into one, so that a read sums about one row per key.

Whatever writes pupils with the triggers off (the benchmarks' bulk loads, which set
session_replication_role = replica) must call ``rebuild`` afterwards.
"""

from django.db import connection, models, transaction

from xueji.codes import COUNTED_BESIDE, ROLL_STATUSES

# The columns counted, as a pupil's (column name, SQL of its value as text). Each is a column the
# statistics count by (reports.statistics.COUNTS): a new dimension there needs its column here and
# a migration that reinstalls the triggers and rebuilds the counts. Booleans count as 'true',
# 'false' and '' for not known (null).
COUNTED_COLUMNS = [
    ("gender", "gender"),
    ("status", "status"),
    ("ethnicity", "ethnicity"),
    ("left_behind", "left_behind"),
    ("migrant_child", "coalesce(migrant_child::text, '')"),
    ("hukou_type", "hukou_type"),
    ("preschool", "coalesce(preschool::text, '')"),
    ("needs_aid", "coalesce(needs_aid::text, '')"),
    ("school_bus", "coalesce(school_bus::text, '')"),
    ("disability_index", "disability_index"),
    ("disability_placement_index", "disability_placement_index"),
]
# Besides the columns: every pupil on the roll counts once as "total"; a 借读 pupil counts only as
# "visiting" (shown beside the roll, never in it).
TOTAL = "total"
VISITING = "visiting"
DIMENSIONS = [TOTAL, VISITING, *(column for column, _sql in COUNTED_COLUMNS)]


class RollCount(models.Model):
    """A delta of the count of pupils of a school and grade whose ``dimension`` (a column, or
    "total" or "visiting") has ``value``. The count is the sum of a key's rows."""

    id = models.BigAutoField(primary_key=True)
    # No foreign key constraint: a delta row is written inside the pupil's own statement, and
    # the pupil's school is already checked there.
    # (rollcount_key below leads with it: no index of its own)
    school = models.ForeignKey("xueji.Unit", on_delete=models.DO_NOTHING, db_constraint=False, db_index=False,
                               related_name="+")
    grade = models.PositiveSmallIntegerField()
    dimension = models.CharField(max_length=32)
    value = models.CharField(max_length=64, blank=True)
    n = models.IntegerField()

    class Meta:
        verbose_name = "在籍人数（按学校、年级）"
        verbose_name_plural = verbose_name
        indexes = [models.Index(fields=["school", "grade", "dimension", "value"], include=["n"],
                                name="rollcount_key")]

    def __str__(self) -> str:
        return f"{self.school_id}/{self.grade}/{self.dimension}={self.value}: {self.n}"


def _counted_rows_sql(source: str, sign: str) -> str:
    """The (school, grade, dimension, value, sign) of every pupil of ``source`` (a table or a
    transition table) on the roll or 借读, one row per dimension it counts in."""
    roll = ", ".join(f"'{status}'" for status in ROLL_STATUSES)
    beside = ", ".join(f"'{status}'" for status in COUNTED_BESIDE)
    values = ", ".join(
        [f"('{TOTAL}', '', false)", f"('{VISITING}', '', true)",
         *(f"('{column}', {sql}, false)" for column, sql in COUNTED_COLUMNS)]
    )
    return (
        f"SELECT p.school_id, p.grade, d.dimension, d.value, {sign} AS n FROM {source} p "
        f"CROSS JOIN LATERAL (VALUES {values}) d(dimension, value, beside) "
        f"WHERE p.deleted_at IS NULL AND (CASE WHEN p.status IN ({roll}) THEN NOT d.beside "
        f"WHEN p.status IN ({beside}) THEN d.beside ELSE false END)"
    )


def _append_sql(parts: list[str]) -> str:
    """INSERT the net deltas of ``parts`` (each from _counted_rows_sql), keys that net to zero
    left out: an update that changes nothing counted writes nothing."""
    return (
        f"INSERT INTO xueji_rollcount (school_id, grade, dimension, value, n) "
        f"SELECT school_id, grade, dimension, value, sum(n) FROM ({' UNION ALL '.join(parts)}) delta "
        f"GROUP BY school_id, grade, dimension, value HAVING sum(n) <> 0"
    )


# The three triggers, by operation: (operation, REFERENCING clause, old rows, new rows).
TRIGGERS = [
    ("insert", "REFERENCING NEW TABLE AS new_pupils", False, True),
    ("update", "REFERENCING OLD TABLE AS old_pupils NEW TABLE AS new_pupils", True, True),
    ("delete", "REFERENCING OLD TABLE AS old_pupils", True, False),
]


def create_triggers_sql() -> str:
    """The pupil table's three statement triggers and their functions. Written by hand (a migration
    holds them, frozen) rather than with pgtrigger, whose triggers a session can skip
    (``pgtrigger.ignore``, which the encryption rewrite uses to write no history): the counts
    must follow every write, a rewrite of the blind indexes they count by included."""
    statements = []
    for operation, referencing, old, new in TRIGGERS:
        name = f"xueji_roll_counts_{operation}"
        statements.append(
            f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"{trigger_function_sql(old=old, new=new)} END; $$;\n"
            f"CREATE TRIGGER {name} AFTER {operation.upper()} ON xueji_pupil {referencing} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {name}();"
        )
    return "\n".join(statements)


DROP_TRIGGERS_SQL = "\n".join(
    f"DROP TRIGGER IF EXISTS xueji_roll_counts_{operation} ON xueji_pupil; "
    f"DROP FUNCTION IF EXISTS xueji_roll_counts_{operation}();"
    for operation, *_ in TRIGGERS
)


def trigger_function_sql(old: bool, new: bool) -> str:
    """The body of the statement trigger for INSERT (new), UPDATE (old and new) or DELETE (old)."""
    parts = []
    if new:
        parts.append(_counted_rows_sql("new_pupils", "1"))
    if old:
        parts.append(_counted_rows_sql("old_pupils", "-1"))
    return _append_sql(parts) + "; RETURN NULL;"


def compact() -> int:
    """Fold each key's delta rows into one (keys netting to zero disappear); the number of rows
    removed. Safe beside writers and another compaction: each folds exactly the rows its DELETE
    removed, and a reader sees the rows before or after, whose sums are equal."""
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH folded AS (SELECT school_id, grade, dimension, value FROM xueji_rollcount "
            "                GROUP BY school_id, grade, dimension, value HAVING count(*) > 1), "
            "gone AS (DELETE FROM xueji_rollcount r USING folded f WHERE r.school_id = f.school_id "
            "         AND r.grade = f.grade AND r.dimension = f.dimension AND r.value = f.value "
            "         RETURNING r.school_id, r.grade, r.dimension, r.value, r.n), "
            "kept AS (INSERT INTO xueji_rollcount (school_id, grade, dimension, value, n) "
            "         SELECT school_id, grade, dimension, value, sum(n) FROM gone "
            "         GROUP BY school_id, grade, dimension, value HAVING sum(n) <> 0 RETURNING 1) "
            "SELECT (SELECT count(*) FROM gone) - (SELECT count(*) FROM kept)"
        )
        return cursor.fetchone()[0]


REBUILD_SQL = (
    # Writers wait while the counts are recounted (SHARE: reads go on), so that none is lost.
    "LOCK TABLE xueji_pupil IN SHARE MODE; DELETE FROM xueji_rollcount; "
    + _append_sql([_counted_rows_sql("xueji_pupil", "1")])
)


def rebuild() -> None:
    """Count every pupil again (after a load with the triggers off, or to check the counts)."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(REBUILD_SQL)
