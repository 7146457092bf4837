"""Volunteer.id_number may be missing (NULL): volunteers without an ID number on file
are listed apart by the national records export so they can be completed first."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("volunteers", "0008_statement_level_references")]

    operations = [
        migrations.AlterField(
            model_name="volunteer",
            name="id_number",
            field=models.CharField(
                blank=True, max_length=18, null=True, unique=True, verbose_name="身份证号"
            ),
        ),
    ]
