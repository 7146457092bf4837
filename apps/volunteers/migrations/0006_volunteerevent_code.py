"""Volunteer events name the system's own step with a ``code`` (rendered in the
reader's language); ``note`` keeps only a person's words. The application note the
service used to write becomes the code."""

from django.db import migrations, models


def convert(apps, schema_editor):
    VolunteerEvent = apps.get_model("volunteers", "VolunteerEvent")
    VolunteerEvent.objects.filter(code="", note="提交申请").update(code="applied", note="")


class Migration(migrations.Migration):
    dependencies = [
        ("volunteers", "0005_point_candidates_index"),
    ]

    operations = [
        migrations.AddField(
            model_name="volunteerevent",
            name="code",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RunPython(convert, migrations.RunPython.noop, elidable=True),
    ]
