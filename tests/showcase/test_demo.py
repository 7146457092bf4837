"""The demo county's showcase: posts in every review state, published ones in the
feed, the editor's account; a rerun adds none."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from apps.accounts.models import Role
from apps.showcase.models import PostStatus, ShowcasePost

pytestmark = pytest.mark.django_db


def test_demo_showcase(client: Any) -> None:
    call_command("seed_demo", stdout=StringIO())
    assert set(ShowcasePost.objects.values_list("status", flat=True)) == set(PostStatus.values)
    assert Role.objects.filter(
        user__username="editor", role="editor", site__level="county"
    ).exists()
    feed = client.get("/showcase/feed.json").json()
    published = ShowcasePost.objects.filter(status="published")
    assert len(feed["items"]) == published.count() >= 4
    assert published.filter(activity__isnull=False).exists()
    assert all(p.events.filter(action="publish").exists() for p in published)
    before = ShowcasePost.objects.count()
    call_command("seed_demo", stdout=StringIO())
    assert ShowcasePost.objects.count() == before
