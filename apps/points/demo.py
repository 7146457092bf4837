"""Demo points: a rewards shop (爱心超市) at each township with everyday rewards, the
demo county's assessed orders settled, and one pending redemption to hand over."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from apps.orders.models import ServiceOrder

from .models import Redemption, Reward, SettlementRun
from .services import reward_redeem
from .settlement import settle

SHOP: list[tuple[str, str, int, int, int | None]] = [
    ("香皂", "日用洗护香皂一块", 8, 200, None),
    ("洗衣粉", "500 克装", 15, 100, None),
    ("大米", "本地优质大米 5 斤", 30, 60, 2),
    ("食用油", "花生油 1.8 升", 40, 40, 1),
    ("土鸡蛋", "本村合作社散养土鸡蛋 20 枚", 25, 50, 2),
    ("红薯粉条", "本地农家手工粉条 1 斤", 18, 80, None),
]


def settle_as_nightly(day: dt.date) -> SettlementRun:
    """Settle a past ``day`` with the times the nightly run (01:30 the next morning,
    beat's schedule) would have given its entries."""
    next_morning = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(1, 30))
    at = min(timezone.make_aware(next_morning), timezone.now() - dt.timedelta(minutes=1))
    return settle(day, at=at)


def seed(ctx: dict[str, Any], log: Any) -> None:
    for town in ctx["townships"]:
        for name, description, cost, stock, limit in SHOP:
            Reward.objects.get_or_create(
                site=town,
                name=name,
                defaults=dict(
                    description=description,
                    points_cost=cost,
                    stock=stock,
                    per_volunteer_limit=limit,
                ),
            )

    # Settle every day on which a demo order was assessed (idempotent: a rerun adds
    # nothing), so volunteers have real balances and history.
    days = sorted(
        {
            timezone.localtime(at).date()
            for at in ServiceOrder.objects.filter(
                status="assessed", assessed_at__isnull=False
            ).values_list("assessed_at", flat=True)
        }
    )
    settled = set(
        SettlementRun.objects.filter(status="succeeded").values_list("settlement_date", flat=True)
    )
    for day in days:
        if day not in settled:  # a rerun would add nothing, but would log another run
            settle_as_nightly(day)

    vol2 = ctx["users"]["vol2"]
    if not Redemption.objects.filter(volunteer__user=vol2).exists():
        soap = Reward.objects.filter(site=ctx["townships"][0], name="香皂").first()
        if soap is not None:
            try:
                reward_redeem(actor=vol2, reward_id=soap.pk, idempotency_key="demo-vol2-soap")
            except Exception as exc:  # noqa: BLE001 - demo only: no points yet is fine
                log(f"（演示兑换跳过：{exc}）")
    log(
        f"兑换商品：{Reward.objects.count()} 件；结算日期：{len(days)} 天；"
        f"兑换记录：{Redemption.objects.count()} 条"
    )
