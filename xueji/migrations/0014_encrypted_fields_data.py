# Encrypts the values written before encryption at rest (pupils, guardians and their history
# events) and fills the blind indexes, in batches of 1,000 rows. A value already encrypted is left
# as it is, so the migration also finishes a run that was interrupted. The event tables are
# append-only by a trigger; xueji.encryption_rewrite ignores it for these statements only (the
# history keeps the same values, now encrypted).

from django.db import migrations

MODELS = ["Pupil", "PupilEvent", "Guardian", "GuardianEvent"]


def encrypt_existing(apps, schema_editor):
    from xueji.encryption_rewrite import rewrite_table, table_spec

    for name in MODELS:
        rewrite_table(table_spec(apps.get_model("xueji", name)), batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("xueji", "0013_encrypted_fields")]

    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=True)]
