"""The demo county's activities: a year's themes, activities in every state, the
finished one with confirmed attendance waiting for the settlement; a rerun adds none."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from apps.activities import selectors
from apps.activities.models import Activity, MonthlyTheme, Signup

pytestmark = pytest.mark.django_db


def test_demo_activities() -> None:
    call_command("seed_demo", stdout=StringIO())
    assert MonthlyTheme.objects.count() == 24
    statuses = set(Activity.objects.values_list("status", flat=True))
    assert statuses == {"draft", "published", "cancelled", "finished"}
    assert Signup.objects.filter(status="waitlisted").exists()
    assert Signup.objects.filter(attendance="no_show").count() == 1
    rows = list(selectors.confirmed_attendance_for_settlement())
    assert len(rows) == 3 and all(r["points"] > 0 for r in rows)
    before = (Activity.objects.count(), Signup.objects.count())
    call_command("seed_demo", stdout=StringIO())
    assert (Activity.objects.count(), Signup.objects.count()) == before
