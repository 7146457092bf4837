"""iCalendar feeds, parsed with the icalendar package: a site's published activities
(public) and a volunteer's sign-ups behind a secret, resettable address."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from icalendar import Calendar

from apps.activities import services

from .conftest import make_activity

pytestmark = pytest.mark.django_db


def _events(body: bytes) -> dict[str, Any]:
    cal = Calendar.from_ical(body)
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_site_feed_is_public_and_lists_published_only(cast: Any, tree: Any, client: Any) -> None:
    published = make_activity(
        cast.village1,
        tree.village1,
        title="公开活动",
        latitude=Decimal("39.9"),
        longitude=Decimal("116.4"),
    )
    make_activity(cast.village1, tree.village1, title="草稿", publish=False)
    cancelled = make_activity(cast.village1, tree.village1, title="取消了")
    services.activity_cancel(actor=cast.village1, activity_id=cancelled.pk, reason="下雨")
    response = client.get(f"/activities/calendar/site/{tree.village1.pk}.ics")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    events = _events(response.content)
    assert set(events) == {"公开活动", "取消了"}
    event = events["公开活动"]
    assert event.decoded("dtstart") == published.starts_at
    assert event.decoded("dtend") == published.ends_at
    assert str(event["location"]) == published.address
    assert str(event["status"]) == "CONFIRMED" and str(events["取消了"]["status"]) == "CANCELLED"
    assert event["geo"].latitude == pytest.approx(39.9)
    assert str(event["uid"]).startswith(f"activity-{published.pk}@")
    assert client.get("/activities/calendar/site/999999.ics").status_code == 404


def test_volunteer_feed_is_secret_and_resettable(
    cast: Any, tree: Any, vol1: Any, login_as: Any, api_as: Any, client: Any
) -> None:
    mine = make_activity(cast.village1, tree.village1, title="我报名的")
    make_activity(cast.village1, tree.village1, title="没报名的")
    services.signup_create(actor=cast.vol1, activity_id=mine.pk)
    url = api_as(cast.vol1).get("/api/v1/me/activity-calendar/").json()["url"]
    path = url.split("testserver", 1)[1]
    client.logout()
    assert set(_events(client.get(path).content)) == {"我报名的"}
    new_url = api_as(cast.vol1).post("/api/v1/me/activity-calendar/").json()["url"]
    assert new_url != url
    assert client.get(path).status_code == 404
    assert client.get(new_url.split("testserver", 1)[1]).status_code == 200
    page = login_as(cast.vol1).get("/activities/calendar/").content.decode()
    assert new_url in page
    assert api_as(cast.res1).get("/api/v1/me/activity-calendar/").status_code == 403
