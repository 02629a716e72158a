# Special education (issue 14): the 专门学校 school type, the special-education schools' class cap,
# and the blind index of the disability placement (送教上门 filtered and counted), filled for the
# records that have a placement (a few per cent: the others keep "", the index of "").

import xueji.encrypted_fields
from django.db import migrations, models


def fill_placement_index(apps, schema_editor):
    Pupil = apps.get_model("xueji", "Pupil")
    field = Pupil._meta.get_field("disability_placement_index")
    rows = Pupil.objects.exclude(disability_placement="").only("id", "disability_placement").iterator(chunk_size=1000)
    for pupil in rows:
        # A plain update: no history event (the index is not tracked) and no other column touched.
        Pupil.objects.filter(pk=pupil.pk).update(
            disability_placement_index=field.lookup_value(str(pupil.disability_placement))
        )


class Migration(migrations.Migration):

    dependencies = [
        ('xueji', '0019_guardian_tracking'),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name='pupil',
            name='pupil_school_status_counts',
        ),
        migrations.AddField(
            model_name='bureausettings',
            name='class_cap_special',
            field=models.PositiveSmallIntegerField(default=12, verbose_name='特殊教育学校班额上限'),
        ),
        migrations.AddField(
            model_name='pupil',
            name='disability_placement_index',
            field=xueji.encrypted_fields.BlindIndexField(blank=True, default='', max_length=64, normalize='code', purpose='pupil.disability_placement', source='disability_placement'),
        ),
        migrations.RunPython(fill_placement_index, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name='unit',
            name='school_type',
            field=models.CharField(blank=True, choices=[('primary', '小学'), ('junior', '初级中学'), ('nine_year', '九年一贯制学校'), ('special', '特殊教育学校'), ('specialized', '专门学校')], max_length=20, verbose_name='办学类型'),
        ),
        migrations.AddIndex(
            model_name='pupil',
            index=models.Index(fields=['school', 'status'], include=('grade', 'gender', 'ethnicity', 'left_behind', 'migrant_child', 'hukou_type', 'disability_index', 'disability_placement_index', 'deleted_at', 'preschool', 'needs_aid', 'school_bus'), name='pupil_school_status_counts'),
        ),
    ]
