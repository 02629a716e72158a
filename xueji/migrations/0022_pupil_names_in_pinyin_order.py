"""Pupils' names sort in pinyin order (xueji.collation): every record gets its stored sort key,
name_sort, a string whose byte order (the "C" collation) is pinyin order, and the list's index
takes it in place of the name's code-point order. A key rather than an ICU collation: the
embedded PostgreSQL of `make run` is built without ICU, and the order must not depend on the
server. The existing records are filled in batches; new and changed names get their key where
the name is cleaned (xueji.pupils.rules)."""

from django.db import migrations, models

BATCH = 2000


def fill_name_sort(apps, schema_editor):
    # The app's own key: the stored keys and the new ones must be one order.
    from xueji.collation import name_sort_key

    Pupil = apps.get_model("xueji", "Pupil")
    last = 0
    while True:
        batch = list(Pupil.objects.filter(pk__gt=last).order_by("pk").only("pk", "name")[:BATCH])
        if not batch:
            return
        for pupil in batch:
            pupil.name_sort = name_sort_key(pupil.name)
        # name_sort is among the untracked fields: no history entries.
        Pupil.objects.bulk_update(batch, ["name_sort"])
        last = batch[-1].pk


class Migration(migrations.Migration):

    dependencies = [
        ('xueji', '0021_transfer_papers_and_pending_uploads'),
    ]

    operations = [
        migrations.AddField(
            model_name='pupil',
            name='name_sort',
            field=models.CharField(blank=True, db_collation='C', editable=False, max_length=500),
        ),
        migrations.RunPython(fill_name_sort, migrations.RunPython.noop),
        migrations.AlterModelOptions(
            name='pupil',
            options={'ordering': ['school_id', 'grade', 'school_class_id', 'name_sort', 'name', 'id'], 'verbose_name': '学生', 'verbose_name_plural': '学生'},
        ),
        migrations.RemoveIndex(
            model_name='pupil',
            name='pupil_list_order',
        ),
        migrations.AddIndex(
            model_name='pupil',
            index=models.Index(fields=['school', 'grade', 'school_class', 'name_sort', 'name', 'id'], name='pupil_list_order'),
        ),
    ]
