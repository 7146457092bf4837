"""Site.code: a stable, unique code per site (the Open311 jurisdiction_id). Existing
sites get "S" and their zero-padded id, in one UPDATE."""

from django.db import migrations, models
from django.db.models import Value
from django.db.models.functions import Cast, Concat, LPad


def backfill(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    Site.objects.filter(code__isnull=True).update(
        code=Concat(Value("S"), LPad(Cast("id", models.CharField()), 7, Value("0")))
    )


class Migration(migrations.Migration):
    dependencies = [("sites", "0003_site_escalation_minutes")]

    operations = [
        migrations.AddField(
            model_name="site",
            name="code",
            field=models.CharField(
                editable=False, max_length=20, null=True, verbose_name="阵地编码"
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="site",
            name="code",
            field=models.CharField(
                editable=False, max_length=20, unique=True, verbose_name="阵地编码"
            ),
        ),
    ]
