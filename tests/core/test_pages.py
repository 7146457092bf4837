"""``EstimatedCountPaginator``: exact totals for short lists, the planner's estimate for
long ones (cached, so the next page counts nothing), and no error on a filter that
matches nothing by construction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.core import pages
from apps.sites.models import Site, SiteLevel

pytestmark = pytest.mark.django_db


@pytest.fixture
def sites():
    county = Site.objects.create(name="县", level=SiteLevel.COUNTY)
    for i in range(30):
        Site.objects.create(name=f"镇{i}", level=SiteLevel.TOWNSHIP, parent=county)
    return Site.objects.order_by("pk")


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("estimates are PostgreSQL's (other databases count exactly)")


def count_of(qs):
    with CaptureQueriesContext(connection) as ctx:
        total = pages.EstimatedCountPaginator(qs, 10).count
    return total, [q["sql"] for q in ctx.captured_queries]


def test_a_short_list_is_counted_exactly(postgres, sites):
    total, queries = count_of(sites)
    assert total == 31
    assert len(queries) == 1 and "COUNT(*)" in queries[0]
    assert f"LIMIT {pages.EXACT_COUNT_UP_TO + 1}" in queries[0]
    # Not cached: the next count counts again (an exact total must not go stale).
    assert count_of(sites)[0] == 31
    Site.objects.create(name="镇新", level=SiteLevel.TOWNSHIP, parent=sites.first())
    assert count_of(sites)[0] == 32


def test_a_long_list_is_estimated_once_then_read_from_the_cache(postgres, sites, monkeypatch):
    monkeypatch.setattr(pages, "EXACT_COUNT_UP_TO", 5)
    with connection.cursor() as cur:
        cur.execute("ANALYZE sites_site")
    total, queries = count_of(sites.filter(level=SiteLevel.TOWNSHIP))
    assert total >= 6  # never below the exact bound
    assert any(q.startswith("EXPLAIN") for q in queries)
    again, queries = count_of(sites.filter(level=SiteLevel.TOWNSHIP))
    assert again == total and queries == []
    # Another filter is another key.
    _, queries = count_of(sites.filter(level=SiteLevel.COUNTY))
    assert queries


def test_a_list_empty_by_construction_counts_zero(postgres, sites):
    total, queries = count_of(sites.filter(pk__in=[]))
    assert total == 0 and queries == []
