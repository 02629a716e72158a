# The GB/T 2260 divisions, from python-stdnum's cn/loc table (see xueji/accounts/divisions.py).
from django.db import migrations


def load(apps, schema_editor):
    from xueji.accounts.divisions import load_divisions

    load_divisions(apps.get_model("xueji", "Division"))


class Migration(migrations.Migration):
    dependencies = [("xueji", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
