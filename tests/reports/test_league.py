"""PK台: child sites ranked by the documented score, last period's rank beside it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.orders.models import OrderAssignment, ServiceOrder
from apps.reports.league import league_table
from apps.reports.rollup import rollup_range
from tests.orders.factories import ServiceItemFactory, VolunteerFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def order(
    site: Any,
    item: Any,
    resident: Any,
    day: dt.date,
    *,
    accept: int | None,
    done: bool = False,
    cancelled: bool = False,
    score: int | None = None,
    served: list[tuple[Any, str]] = (),
) -> ServiceOrder:  # type: ignore[assignment]
    """An order placed at 09:00 on ``day``; accepted after ``accept`` minutes; done at
    11:00; rated at 12:00; assessed (approved) at 15:00 when anyone served hours."""
    created = at(day, 9)
    stamps: dict[str, Any] = {"created_at": created, "status_changed_at": created}
    status = "submitted"
    if cancelled:
        status, stamps["closed_at"] = "cancelled", at(day, 9, 30)
    if accept is not None:
        status, stamps["accepted_at"] = "accepted", created + dt.timedelta(minutes=accept)
    if done:
        status, stamps["completed_at"] = "completed", at(day, 11)
    if score is not None:
        status, stamps["score"], stamps["rated_at"] = "rated", score, at(day, 12)
    if served:
        status, stamps["assessed_at"], stamps["assessment_approved"] = "assessed", at(day, 15), True
    o = ServiceOrder.objects.create(
        service=item,
        site=site,
        handling_site=site,
        resident=resident,
        placed_by=resident,
        address="地址",
        contact_mobile="13600000001",
        preferred_start=created,
        preferred_end=created + dt.timedelta(hours=2),
        status=status,
        **stamps,
    )
    ServiceOrder.objects.filter(pk=o.pk).update(**stamps)
    for vol, hours in served:
        OrderAssignment.objects.create(
            order=o,
            volunteer=vol,
            status="accepted",
            assigned_at=created,
            responded_at=stamps["accepted_at"],
            checked_in_at=at(day, 10),
            checked_out_at=at(day, 11),
            reported_hours=Decimal(hours),
            confirmed_hours=Decimal(hours),
        )
    return o


@pytest.fixture
def league_data(tree: Any, cast: Any) -> dt.date:
    """Day D: town1 (village1) 3 completed of 4 ended, ratings 5, 4, 3, accepted in
    10 minutes, 6 hours by 2 volunteers; town2 (village2) 2 of 2, one 5, accepted in an
    hour, 2 hours by 1 volunteer; a base with a perfect order (left out). Day D−1: town2
    does better than town1."""
    day = timezone.localdate() - dt.timedelta(days=3)
    prev = day - dt.timedelta(days=1)
    item1 = ServiceItemFactory(site=tree.town1, title="健康义诊")
    item2 = ServiceItemFactory(site=tree.town2, title="农技科普")
    item_base = ServiceItemFactory(site=tree.county, title="红色讲解")
    a = VolunteerFactory(site=tree.village1)
    b = VolunteerFactory(site=tree.village1)
    c = VolunteerFactory(site=tree.village2)
    v1, v2, r = tree.village1, tree.village2, cast.res1
    order(v1, item1, r, day, accept=10, done=True, score=5, served=[(a, "2.0")])
    order(v1, item1, r, day, accept=10, done=True, score=4, served=[(a, "2.0")])
    order(v1, item1, r, day, accept=10, done=True, score=3, served=[(b, "2.0")])
    order(v1, item1, r, day, accept=None, cancelled=True)
    order(v2, item2, r, day, accept=60, done=True, score=5, served=[(c, "2.0")])
    order(v2, item2, r, day, accept=60, done=True)
    order(tree.base, item_base, r, day, accept=1, done=True, score=5, served=[(c, "8.0")])
    # The day before: town1 slow and cancelled, town2 fine.
    order(v1, item1, r, prev, accept=None, cancelled=True)
    order(v1, item1, r, prev, accept=300, done=True, score=2)
    order(v2, item2, r, prev, accept=5, done=True, score=5, served=[(c, "1.0")])
    rollup_range(prev, day)
    return day


def test_league_ranks_by_the_documented_score(league_data: dt.date, tree: Any) -> None:
    day = league_data
    rows = league_table(tree.county, day, day)
    assert [r.site.pk for r in rows] == [tree.town1.pk, tree.town2.pk]  # no base
    town1, town2 = rows
    # town1: 100 × (0.4 × 3/4 + 0.3 × 4.0/5 + 0.2 × (6 h / 2 volunteers) ÷ 3 + 0.1 × 1)
    assert town1.figures.completion_rate == 0.75
    assert town1.figures.average_rating == 4.0
    assert town1.hours_per_volunteer == 3.0
    assert town1.accept_median == 10
    assert town1.score == 84.0
    # town2: 100 × (0.4 × 1 + 0.3 × 5/5 + 0.2 × 2/3 + 0.1 × 0 (the slowest)) = 83.3
    assert town2.hours_per_volunteer == 2.0 and town2.accept_median == 60
    assert town2.score == 83.3
    assert (town1.rank, town2.rank) == (1, 2)
    # The day before, town2 led.
    assert (town1.previous_rank, town2.previous_rank) == (2, 1)


def test_league_api(league_data: dt.date, tree: Any, cast: Any, api_as: Any) -> None:
    day = league_data.isoformat()
    body = api_as(cast.county).get(f"/api/v1/reports/sites/?from={day}&to={day}").json()
    assert body["site"]["id"] == tree.county.pk
    results = body["results"]
    assert [(r["site"]["id"], r["rank"], r["previous_rank"], r["score"]) for r in results] == [
        (tree.town1.pk, 1, 2, 84.0),
        (tree.town2.pk, 2, 1, 83.3),
    ]
    assert results[0]["completion_rate"] == 0.75
    # A township's league ranks its points; town2 cannot see town1's.
    own = api_as(cast.town2).get(f"/api/v1/reports/sites/?from={day}&to={day}").json()
    assert [r["site"]["id"] for r in own["results"]] == [tree.village2.pk]
    assert (
        api_as(cast.town2)
        .get(f"/api/v1/reports/sites/?site={tree.town1.pk}&from={day}&to={day}")
        .status_code
        == 404
    )


def test_league_of_an_empty_period_ranks_by_path_with_last_periods_ranks(
    league_data: dt.date, tree: Any
) -> None:
    day = league_data + dt.timedelta(days=1)  # nothing on this day; the previous is D
    assert all(r.score == 0 for r in league_table(tree.county, day, day))
    rows = league_table(tree.county, day, day)
    assert [r.previous_rank for r in rows] == [1, 2]
    far = league_table(
        tree.county, league_data - dt.timedelta(days=30), league_data - dt.timedelta(days=30)
    )
    assert all(r.score == 0 for r in far)
