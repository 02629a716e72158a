"""Pupils' names sort in pinyin order (xueji.collation): the name column, and its copy in the
history table, take the ICU collation zh-x-icu; the indexes on the column (the list's order among
them) are rebuilt in it by the ALTER.

PostgreSQL will not change the type of a column that a trigger's WHEN clause names (the history
trigger compares OLD.name and NEW.name), so the pupil table's triggers are dropped and created
again, as they were, around the change: one statement, inside the migration's transaction.
"""

from django.db import migrations, models

COLLATION = "zh-x-icu"


def _alter(table: str, collation: str) -> str:
    collate = f'COLLATE "{collation}"' if collation else ""
    return f"""
DO $$
DECLARE
    item record;
    definitions text[] := '{{}}';
    definition text;
BEGIN
    FOR item IN SELECT tgname, pg_get_triggerdef(oid) AS def FROM pg_trigger
                WHERE tgrelid = '{table}'::regclass AND NOT tgisinternal LOOP
        definitions := definitions || item.def;
        EXECUTE format('DROP TRIGGER %I ON {table}', item.tgname);
    END LOOP;
    ALTER TABLE {table} ALTER COLUMN name TYPE varchar(50) {collate};
    FOREACH definition IN ARRAY definitions LOOP
        EXECUTE definition;
    END LOOP;
END $$;
"""


class Migration(migrations.Migration):

    dependencies = [
        ('xueji', '0018_national_form_items'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunSQL(
                    _alter("xueji_pupil", COLLATION) + _alter("xueji_pupilevent", COLLATION),
                    reverse_sql=_alter("xueji_pupil", "") + _alter("xueji_pupilevent", ""),
                ),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name='pupil',
                    name='name',
                    field=models.CharField(db_collation=COLLATION, max_length=50, verbose_name='姓名'),
                ),
                migrations.AlterField(
                    model_name='pupilevent',
                    name='name',
                    field=models.CharField(db_collation=COLLATION, max_length=50, verbose_name='姓名'),
                ),
            ],
        ),
    ]
