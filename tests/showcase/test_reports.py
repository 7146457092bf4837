"""Posts published per site and month (apps.reports.showcase), checked against raw
counts of the posts, and shown on the dashboard and the bulletin."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from apps.reports.showcase import posts_per_site_month, posts_total
from apps.showcase.models import ShowcasePost

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _at(post: ShowcasePost, moment: dt.datetime) -> None:
    ShowcasePost.objects.filter(pk=post.pk).update(published_at=moment)


def test_counts_match_the_raw_posts(make_post: Any, tree: Any) -> None:
    moments = [
        ("village1", dt.datetime(2026, 10, 3, 9, tzinfo=TZ)),
        ("village1", dt.datetime(2026, 10, 31, 23, 30, tzinfo=TZ)),  # still October locally
        ("village1", dt.datetime(2026, 11, 1, 0, 10, tzinfo=TZ)),  # October 31st in UTC
        ("town1", dt.datetime(2026, 11, 15, 10, tzinfo=TZ)),
        ("county", dt.datetime(2026, 11, 20, 10, tzinfo=TZ)),
        ("village1", dt.datetime(2026, 12, 2, 10, tzinfo=TZ)),  # outside the range
    ]
    for site, moment in moments:
        _at(make_post("published", site=site), moment)
    _at(make_post("unpublished"), dt.datetime(2026, 10, 5, tzinfo=TZ))  # withdrawn
    make_post("editor_review")  # not published
    rows = posts_per_site_month(tree.county, dt.date(2026, 10, 1), dt.date(2026, 11, 30))
    got = Counter({(r.site_id, r.month): r.posts for r in rows})
    raw: Counter[tuple[int, dt.date]] = Counter()
    for post in ShowcasePost.objects.filter(status="published"):
        local = post.published_at.astimezone(TZ)
        if dt.date(2026, 10, 1) <= local.date() <= dt.date(2026, 11, 30):
            raw[(post.site_id, local.date().replace(day=1))] += 1
    assert got == raw
    assert got[(tree.village1.pk, dt.date(2026, 10, 1))] == 2
    assert got[(tree.village1.pk, dt.date(2026, 11, 1))] == 1
    assert posts_total(rows) == 5
    town = posts_per_site_month(tree.town1, dt.date(2026, 10, 1), dt.date(2026, 11, 30))
    assert posts_total(town) == 4 and {r.site_id for r in town} == {tree.village1.pk, tree.town1.pk}
    assert posts_per_site_month(tree.town2, dt.date(2026, 10, 1), dt.date(2026, 11, 30)) == []


def test_dashboard_and_bulletin_show_them(
    login_as: Any, make_post: Any, cast: Any, tree: Any
) -> None:
    post = make_post("published")
    day = post.published_at.astimezone(TZ).date()
    query = f"site={tree.county.pk}&from={day.replace(day=1).isoformat()}&to={day.isoformat()}"
    client = login_as(cast.county)
    for url in (f"/reports/?{query}", f"/reports/bulletin/?{query}"):
        html = client.get(url).content.decode()
        assert 'id="showcase-table"' in html, url
        assert tree.village1.name in html
