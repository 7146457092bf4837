"""Points API: balance, the ledger (own / in scope), settlement runs (staff only)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from apps.accounts.models import User
from apps.points.models import EntryKind
from apps.points.settlement import settle
from apps.volunteers.models import Volunteer

from .factories import assessed_order, local


@pytest.fixture
def settled(
    tree: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, vol_t2: Volunteer, item: Any
) -> dict[str, Any]:
    """vol 2.5 h and vol_b 1 h at village1 (town1); vol_t2 2 h at village2 (town2)."""
    assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=tree.town1,
        assessed_at=local(2024, 3, 1, 15),
        hours=[(vol, "2.5"), (vol_b, "1")],
    )
    assessed_order(
        item=item,
        site=tree.village2,
        resident=cast.res9,
        assessed_site=tree.town2,
        assessed_at=local(2024, 3, 1, 16),
        hours=[(vol_t2, "2")],
    )
    run = settle(dt.date(2024, 3, 1))
    return {"run": run}


def ledger_volunteers(client: APIClient, query: str = "") -> list[int]:
    resp = client.get(f"/api/v1/points/ledger/{query}")
    assert resp.status_code == 200, resp.content
    return sorted(e["volunteer"] for e in resp.json()["results"])


def test_balance_shape_and_figures(
    api_as: Any, cast: Any, vol: Volunteer, fund: Any, settled: dict[str, Any]
) -> None:
    fund(vol, 5)
    resp = api_as(cast.vol1).get("/api/v1/points/balance/")
    assert resp.status_code == 200
    body = resp.json()
    assert {"balance", "lifetime_earned", "hours", "star_level"} <= set(body)
    assert (body["balance"], body["lifetime_earned"], body["hours"], body["star_level"]) == (
        30,
        25,
        "2.5",
        0,
    )
    assert body["hours_to_next_star"] == "97.5"


def test_balance_of_a_volunteer_with_no_account_yet(api_as: Any, cast: Any, vol: Volunteer) -> None:
    body = api_as(cast.vol1).get("/api/v1/points/balance/").json()
    assert (body["balance"], body["lifetime_earned"], body["hours"], body["star_level"]) == (
        0,
        0,
        "0.0",
        0,
    )


def test_balance_for_a_non_volunteer_is_404(api_as: Any, cast: Any, db: Any) -> None:
    resp = api_as(cast.res1).get("/api/v1/points/balance/")
    assert (resp.status_code, resp.json()["code"]) == (404, "not_a_volunteer")
    assert APIClient().get("/api/v1/points/balance/").status_code in (401, 403)


def test_ledger_is_own_entries_for_a_volunteer(
    api_as: Any, cast: Any, vol: Volunteer, settled: dict[str, Any]
) -> None:
    resp = api_as(cast.vol1).get("/api/v1/points/ledger/")
    entries = resp.json()["results"]
    assert len(entries) == 1
    e = entries[0]
    assert (e["volunteer"], e["amount"], e["kind"], e["hours"], e["memo"], e["run"]) == (
        vol.pk,
        25,
        EntryKind.SERVICE,
        "2.5",
        "陪老人就医",
        settled["run"].pk,
    )
    assert e["source_key"].endswith(f":volunteer:{vol.pk}")


def test_ledger_for_staff_is_volunteers_in_scope(
    api_as: Any,
    cast: Any,
    vol: Volunteer,
    vol_b: Volunteer,
    vol_t2: Volunteer,
    settled: dict[str, Any],
) -> None:
    assert ledger_volunteers(api_as(cast.town1)) == sorted([vol.pk, vol_b.pk])
    assert ledger_volunteers(api_as(cast.village1)) == [vol.pk]
    assert ledger_volunteers(api_as(cast.town2)) == [vol_t2.pk]
    assert ledger_volunteers(api_as(cast.county)) == sorted([vol.pk, vol_b.pk, vol_t2.pk])
    assert ledger_volunteers(api_as(cast.res1)) == []
    assert ledger_volunteers(api_as(cast.nobody)) == []


def test_ledger_narrowed_to_one_volunteer(
    api_as: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, settled: dict[str, Any]
) -> None:
    assert ledger_volunteers(api_as(cast.town1), f"?volunteer={vol_b.pk}") == [vol_b.pk]
    for outsider in (cast.town2, cast.vol1, cast.res9):
        resp = api_as(outsider).get(f"/api/v1/points/ledger/?volunteer={vol_b.pk}")
        assert resp.status_code == 404, outsider


def test_ledger_query_count_does_not_grow_with_page_size(
    api_as: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, fund: Any
) -> None:
    for n in range(12):
        fund(vol if n % 2 else vol_b, n + 1)
    counts = {}
    for user in (cast.vol1, cast.town1):
        for size in (2, 12):
            # A fresh user object each time: scoping caches the roles on it.
            client = api_as(User.objects.get(pk=user.pk))
            with CaptureQueriesContext(connection) as ctx:
                resp = client.get(f"/api/v1/points/ledger/?page_size={size}")
            assert resp.status_code == 200
            expected_rows = min(size, 6 if user == cast.vol1 else 12)
            assert len(resp.json()["results"]) == expected_rows
            counts[(user.username, size)] = len(ctx.captured_queries)
    assert counts[("vol1", 2)] == counts[("vol1", 12)], counts
    assert counts[("town1", 2)] == counts[("town1", 12)], counts


def test_settlement_runs_are_for_staff(api_as: Any, cast: Any, settled: dict[str, Any]) -> None:
    run = settled["run"]
    for staff in (cast.county, cast.town1, cast.town2):
        resp = api_as(staff).get("/api/v1/settlements/")
        assert resp.status_code == 200
        [got] = resp.json()["results"]
        assert (
            got["id"],
            got["settlement_date"],
            got["status"],
            got["entries_created"],
            got["points_credited"],
            got["hours_credited"],
            got["volunteers_credited"],
            got["orders_seen"],
        ) == (run.pk, "2024-03-01", "succeeded", 3, 55, "5.5", 3, 2)
    for outsider in (cast.res1, cast.vol1, cast.nobody):
        resp = api_as(outsider).get("/api/v1/settlements/")
        assert (resp.status_code, resp.json()["code"]) == (404, "not_found"), outsider
