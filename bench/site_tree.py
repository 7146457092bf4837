"""Subtree queries on a 1,000-site tree (PostgreSQL).

    .venv/bin/python bench/site_tree.py

Builds 1 county, 30 townships, 960 villages and 30 bases (1,021 sites) (once), then times the
subtree and scoping queries and prints PostgreSQL's plan for the subtree query.
"""

from __future__ import annotations

import statistics
import time

from _setup import setup

setup()

from django.db import connection  # noqa: E402

from apps.sites.models import Site, SiteLevel  # noqa: E402

TOWNSHIPS, VILLAGES_PER_TOWNSHIP = 30, 32


def build() -> None:
    if Site.objects.count() >= 1000:
        return
    with connection.cursor() as cur:  # start over: children are PROTECTed, so truncate
        cur.execute("TRUNCATE sites_site RESTART IDENTITY CASCADE")
    county = Site(name="基准县中心", level=SiteLevel.COUNTY)
    county.save()
    for t in range(TOWNSHIPS):
        town = Site(name=f"乡镇{t}", level=SiteLevel.TOWNSHIP, parent=county)
        town.save()
        for v in range(VILLAGES_PER_TOWNSHIP):
            Site(name=f"村{t}-{v}", level=SiteLevel.VILLAGE, parent=town).save()
        Site(name=f"基地{t}", level=SiteLevel.BASE, parent=town).save()
    with connection.cursor() as cur:
        cur.execute("ANALYZE sites_site")


def timed(fn, runs: int = 200) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95)]


build()
total = Site.objects.count()
town = Site.objects.filter(level=SiteLevel.TOWNSHIP).order_by("path")[7]
county = Site.objects.get(level=SiteLevel.COUNTY)
print(f"sites: {total}")
for label, site in (("township subtree", town), ("county subtree", county)):
    n = site.subtree().count()
    med, p95 = timed(lambda s=site: list(s.subtree().values_list("id", flat=True)))
    print(f"{label}: {n} rows, median {med:.2f} ms, p95 {p95:.2f} ms")
sql, params = town.subtree().values_list("id", flat=True).query.sql_with_params()
with connection.cursor() as cur:
    cur.execute("EXPLAIN ANALYZE " + sql, params)
    print("plan (township subtree):")
    for (line,) in cur.fetchall():
        print("  " + line)
