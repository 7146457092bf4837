"""Demo data for the site tree: 1 county center, 3 townships of 4 villages, bases."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from .models import Site, SiteLevel

COUNTY = "清河县新时代文明实践中心"
TOWNSHIPS: list[tuple[str, list[str]]] = [
    ("城关镇新时代文明实践所", ["东关社区实践站", "西街村实践站", "南湖村实践站", "北坡村实践站"]),
    ("桃源乡新时代文明实践所", ["桃花村实践站", "柳树湾村实践站", "上河村实践站", "下河村实践站"]),
    ("石桥镇新时代文明实践所", ["石桥社区实践站", "青山村实践站", "白水村实践站", "枫林村实践站"]),
]
BASES: list[tuple[str, int | None]] = [
    ("清河县红色教育实践基地", None),  # under the county center
    ("城关镇农耕文化实践基地", 0),  # under the first township
]


def _site(name: str, level: str, parent: Site | None, **extra: Any) -> Site:
    site = Site.objects.filter(name=name, level=level).first()
    if site is None:
        site = Site(name=name, level=level, parent=parent, **extra)
        site.full_clean(exclude=["path", "depth"])
        site.save()
    return site


# The demo network was set up about a year and a half before today.
FOUNDED_DAYS_AGO = 540


def seed(ctx: dict[str, Any], log: Any) -> None:
    started = timezone.now()
    county = _site(
        COUNTY,
        SiteLevel.COUNTY,
        None,
        address="清河县人民路 1 号",
        contact_name="王主任",
        contact_phone="0311-8000001",
    )
    townships, villages = [], []
    for t_index, (t_name, v_names) in enumerate(TOWNSHIPS, start=1):
        town = _site(
            t_name,
            SiteLevel.TOWNSHIP,
            county,
            address=f"{t_name[:3]}政府大院",
            contact_name=f"所长{t_index}",
            contact_phone=f"0311-80001{t_index:02d}",
        )
        townships.append(town)
        villages.append(
            [
                _site(
                    v,
                    SiteLevel.VILLAGE,
                    town,
                    address=f"{t_name[:3]}{v[:-3]}村委会",
                    contact_name=f"站长{t_index}-{i}",
                    contact_phone=f"0311-8{t_index:02d}0{i:03d}",
                )
                for i, v in enumerate(v_names, start=1)
            ]
        )
    for b_name, t_index in BASES:
        _site(b_name, SiteLevel.BASE, county if t_index is None else townships[t_index])
    founded = started - dt.timedelta(days=FOUNDED_DAYS_AGO)
    Site.objects.filter(created_at__gte=started).update(created_at=founded, updated_at=founded)
    ctx.update(county=county, townships=townships, villages=villages)
    log(f"阵地：{Site.objects.count()} 个")
