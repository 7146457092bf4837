"""Order events say what happened as ``code`` + ``params`` (apps.orders.timeline) and
keep ``note`` for what a person typed. Existing rows whose note is one of the common
system sentences are converted; any other old note stays and is shown as it is."""

import re

from django.db import migrations, models

# The sentences the services wrote before codes, and how to read them back.
PATTERNS = [
    ("lapse_rating", re.compile(r"^完成 7 天未评价，转入考核$"), "auto_assess_after_7_days"),
    ("cancel", re.compile(r"^群众取消$"), "cancelled_by_resident"),
    ("nudge", re.compile(r"^第 (?P<count>\d+) 次催单$"), "nudged"),
    ("start", re.compile(r"^(?P<name>[^\s：；]+) 签到$"), "checked_in"),
    ("accept", re.compile(r"^(?P<name>[^\s：；]+) 接单$"), "accepted"),
    (
        "accept",
        re.compile(r"^(?P<name>[^\s：；]+) 接单（(?P<accepted>\d+)/(?P<needed>\d+)）$"),
        "accepted_n_of_m",
    ),
    ("dispatch", re.compile(r"^派给：(?P<names>[^；]*)(?:；(?P<note>.*))?$"), "dispatched_to"),
]
INTEGERS = {"count", "accepted", "needed"}
BATCH = 2000


def convert(apps, schema_editor):
    OrderEvent = apps.get_model("orders", "OrderEvent")
    actions = sorted({action for action, _, _ in PATTERNS})
    rows = (
        OrderEvent.objects.filter(code="", action__in=actions)
        .exclude(note="")
        .only("pk", "action", "note")
        .order_by("pk")
    )
    changed = []
    # In batches over an iterator: memory stays flat however long the history is.
    for event in rows.iterator(chunk_size=BATCH):
        for action, pattern, code in PATTERNS:
            match = pattern.match(event.note) if action == event.action else None
            if match is None:
                continue
            values = match.groupdict()
            note = values.pop("note", None) or ""
            params = {k: int(v) if k in INTEGERS else v for k, v in values.items()}
            if "names" in params:
                params["names"] = [n for n in params["names"].split("、") if n]
            event.code, event.params, event.note = code, params, note
            changed.append(event)
            break
        if len(changed) >= BATCH:
            OrderEvent.objects.bulk_update(changed, ["code", "params", "note"])
            changed = []
    if changed:
        OrderEvent.objects.bulk_update(changed, ["code", "params", "note"])


class Migration(migrations.Migration):
    dependencies = [
        ("orders", "0007_volunteer_load"),
    ]

    operations = [
        migrations.AddField(
            model_name="orderevent",
            name="code",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name="orderevent",
            name="params",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.RunPython(convert, migrations.RunPython.noop, elidable=True),
    ]
