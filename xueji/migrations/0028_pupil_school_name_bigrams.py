import django.contrib.postgres.fields
import django.contrib.postgres.indexes
import django.contrib.postgres.operations
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    """The two-character name index led by the school (btree_gin lets a GIN index hold the
    school's id beside the name's pairs), so that a county's or a city's search reads only the
    matches of its schools."""

    dependencies = [
        ('xueji', '0027_roll_counts'),
    ]

    operations = [
        # btree_gin is a trusted extension: the database's owner may create it.
        django.contrib.postgres.operations.BtreeGinExtension(),
        migrations.RemoveIndex(model_name='pupil', name='pupil_name_bigrams'),
        migrations.AddIndex(
            model_name='pupil',
            index=django.contrib.postgres.indexes.GinIndex(models.F('school'), models.Func(models.Func(django.db.models.functions.text.Substr(models.Func(models.F('name'), models.Value('(.)'), models.Value('\\1\\1'), models.Value('g'), function='regexp_replace'), 2), models.Value('(..)'), models.Value('\\1,'), models.Value('g'), function='regexp_replace'), models.Value(','), function='string_to_array', output_field=django.contrib.postgres.fields.ArrayField(base_field=models.TextField(), size=None)), name='pupil_school_name_bigrams'),
        ),
    ]
