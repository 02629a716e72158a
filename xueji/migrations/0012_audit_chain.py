# The audit log's hash chain. Each entry stores the hash of the entry before it (prev_hash) and its
# own (entry_hash) = SHA-256 over prev_hash, a newline and a canonical text of the entry's content;
# chain_seq numbers the chain 1, 2, 3 … A BEFORE INSERT trigger computes all three, so no code path
# (the ORM, bulk_create, raw SQL) can write an entry outside the chain; xueji/accounts/audit_chain.py
# recomputes them independently (manage.py audit_verify).
#
# SHA-256, not SM3: PostgreSQL has no SM3 function (pgcrypto neither), and the trigger must hash
# inside the database. The chain's purpose (any change, insertion or deletion of an entry shows)
# holds with either.
#
# Serialised: the trigger takes a transaction-level advisory lock before it reads the chain's last
# entry, so two transactions cannot both chain onto the same entry; chain_seq is unique besides.
# The cost: every transaction that writes an audit entry holds that lock until it commits, so such
# transactions run one after another from their first audit entry on (benchmarks/audit_chain.py
# measures the inserts/s a few concurrent connections reach). The trigger reads the last entry with
# a fresh snapshot, which READ COMMITTED (Django's default) gives each statement; a REPEATABLE READ
# transaction that writes an entry may fail on the unique chain_seq, never fork the chain.
#
# The backfill chains the entries that exist, in the order (at, id), as the tables' owner: it lifts
# the append-only trigger of 0003 for its own UPDATE, inside this migration's transaction only.
from django.db import migrations, models

CANONICAL_SQL = """
-- The canonical text of an entry, version 1: every field as <length>:<text>, "~" for NULL, joined
-- with "|" (lengths in characters make it unambiguous whatever the text holds). Times in UTC with
-- microseconds. xueji/accounts/audit_chain.py builds the same text in Python.
CREATE OR REPLACE FUNCTION xueji_audit_canonical(e xueji_auditentry) RETURNS text AS $$
    SELECT 'v1|' || array_to_string(ARRAY(
        SELECT CASE WHEN v IS NULL THEN '~' ELSE char_length(v) || ':' || v END
        FROM unnest(ARRAY[
            e.chain_seq::text, e.id::text,
            to_char(e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
            e.user_id::text, e.username, e.role, e.unit_id::text, e.unit_path, host(e.ip),
            e.action, e.object_type, e.object_id, e.object_repr, e.result, e.detail
        ]) WITH ORDINALITY AS field(v, n) ORDER BY n
    ), '|')
$$ LANGUAGE sql IMMUTABLE;

CREATE OR REPLACE FUNCTION xueji_audit_hash(prev text, e xueji_auditentry) RETURNS text AS $$
    SELECT encode(sha256(convert_to(prev || E'\\n' || xueji_audit_canonical(e), 'UTF8')), 'hex')
$$ LANGUAGE sql IMMUTABLE;
"""

BACKFILL_SQL = """
ALTER TABLE xueji_auditentry DISABLE TRIGGER xueji_audit_append_only;
DO $$
DECLARE
    e xueji_auditentry;
    seq bigint := 0;
    prev text := repeat('0', 64);
BEGIN
    FOR e IN SELECT * FROM xueji_auditentry ORDER BY at, id LOOP
        seq := seq + 1;
        e.chain_seq := seq;
        e.prev_hash := prev;
        e.entry_hash := xueji_audit_hash(prev, e);
        UPDATE xueji_auditentry SET chain_seq = e.chain_seq, prev_hash = e.prev_hash, entry_hash = e.entry_hash
            WHERE id = e.id;
        prev := e.entry_hash;
    END LOOP;
END $$;
ALTER TABLE xueji_auditentry ENABLE TRIGGER xueji_audit_append_only;
"""

TRIGGER_SQL = """
CREATE OR REPLACE FUNCTION xueji_audit_chain() RETURNS trigger AS $$
DECLARE
    last_entry record;
BEGIN
    -- One chain, one writer at a time, until the writer's transaction ends (see the migration).
    PERFORM pg_advisory_xact_lock(7423116101);
    SELECT chain_seq, entry_hash INTO last_entry FROM xueji_auditentry ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := COALESCE(last_entry.chain_seq, 0) + 1;
    NEW.prev_hash := COALESCE(last_entry.entry_hash, repeat('0', 64));
    NEW.entry_hash := xueji_audit_hash(NEW.prev_hash, NEW);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER xueji_audit_chain
    BEFORE INSERT ON xueji_auditentry
    FOR EACH ROW EXECUTE FUNCTION xueji_audit_chain();
"""

REVERSE_TRIGGER_SQL = """
DROP TRIGGER IF EXISTS xueji_audit_chain ON xueji_auditentry;
DROP FUNCTION IF EXISTS xueji_audit_chain();
"""
REVERSE_CANONICAL_SQL = """
DROP FUNCTION IF EXISTS xueji_audit_hash(text, xueji_auditentry);
DROP FUNCTION IF EXISTS xueji_audit_canonical(xueji_auditentry);
"""


class Migration(migrations.Migration):
    dependencies = [("xueji", "0011_accounts_two_factor_tokens_three_admins")]

    operations = [
        migrations.CreateModel(
            name="AuditChainCheck",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="检查时间")),
                ("intact", models.BooleanField(verbose_name="完整")),
                ("entries", models.BigIntegerField(default=0, verbose_name="已核对条数")),
                ("last_hash", models.CharField(blank=True, max_length=64, verbose_name="最后一条的哈希")),
                ("broken_entry_id", models.BigIntegerField(blank=True, null=True, verbose_name="断点记录编号")),
                ("broken_entry_at", models.DateTimeField(blank=True, null=True, verbose_name="断点记录时间")),
                ("problem", models.CharField(blank=True, max_length=300, verbose_name="问题")),
            ],
            options={
                "verbose_name": "审计日志完整性检查",
                "verbose_name_plural": "审计日志完整性检查",
                "ordering": ["-at", "-id"],
            },
        ),
        # Nullable first, for the backfill; then NOT NULL and unique.
        migrations.AddField(
            model_name="auditentry",
            name="chain_seq",
            field=models.BigIntegerField(null=True, editable=False, verbose_name="链序号"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="entry_hash",
            field=models.CharField(db_default="", editable=False, max_length=64, verbose_name="本条哈希"),
        ),
        migrations.AddField(
            model_name="auditentry",
            name="prev_hash",
            field=models.CharField(db_default="", editable=False, max_length=64, verbose_name="前一条的哈希"),
        ),
        migrations.RunSQL(CANONICAL_SQL, REVERSE_CANONICAL_SQL),
        migrations.RunSQL(BACKFILL_SQL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="auditentry",
            name="chain_seq",
            field=models.BigIntegerField(db_default=0, editable=False, unique=True, verbose_name="链序号"),
        ),
        migrations.RunSQL(TRIGGER_SQL, REVERSE_TRIGGER_SQL),
    ]
