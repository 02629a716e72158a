# Encrypts the enrolment entries and admission list rows written before encryption at rest (the ID
# numbers; the entries' data and guardians JSON, now their JSON text) and fills the blind indexes,
# in batches of 1,000 rows. A value already encrypted is left as it is, so the migration also
# finishes a run that was interrupted. Key rotation (manage.py encryption_rotate) finds these
# columns by itself: it walks every model's encrypted fields.

from django.db import migrations

MODELS = ["EnrolmentEntry", "AdmissionEntry"]


def encrypt_existing(apps, schema_editor):
    from xueji.encryption_rewrite import rewrite_table, table_spec

    for name in MODELS:
        rewrite_table(table_spec(apps.get_model("enrollment", name)), batch_size=1000)


class Migration(migrations.Migration):
    dependencies = [("enrollment", "0006_encrypted_entries")]

    operations = [migrations.RunPython(encrypt_existing, migrations.RunPython.noop, elidable=True)]
