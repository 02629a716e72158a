# The audit log is append-only: a trigger refuses every UPDATE and DELETE of its rows. Written by
# hand rather than with pgtrigger, whose triggers can be skipped per session (pgtrigger.ignore):
# this one cannot be switched off by the application. (TRUNCATE, a table-level statement of
# database administrators and of the test suite's flush, is not a row change; in production the
# application's database role should hold no TRUNCATE privilege on it.)
from django.db import migrations

SQL = """
CREATE OR REPLACE FUNCTION xueji_audit_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '审计日志只能追加，不能修改或删除（%）', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER xueji_audit_append_only
    BEFORE UPDATE OR DELETE ON xueji_auditentry
    FOR EACH ROW EXECUTE FUNCTION xueji_audit_append_only();
"""
REVERSE = """
DROP TRIGGER IF EXISTS xueji_audit_append_only ON xueji_auditentry;
DROP FUNCTION IF EXISTS xueji_audit_append_only();
"""


class Migration(migrations.Migration):
    dependencies = [("xueji", "0002_load_divisions")]
    operations = [migrations.RunSQL(SQL, REVERSE)]
