"""Demo report history: four months of orders across every village of the demo county,
settled and rolled up, so the dashboard, league table and bulletins have something to
show. Synthetic history with back-dated timestamps, written in bulk (the live demo
orders of every state are made through the services by apps.orders.demo).
Idempotent: history orders carry ``history-<n>`` keys and are made once."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.utils import timezone

from apps.accounts.models import Role, RoleName, User
from apps.orders.models import OrderAssignment, OrderEvent, ServiceItem, ServiceOrder
from apps.points.demo import settle_as_nightly
from apps.points.models import SettlementRun
from apps.volunteers.demo import demo_id_number
from apps.volunteers.models import Volunteer, VolunteerEvent, VolunteerSkill

from .models import SiteDailyStat
from .rollup import rollup_days

HISTORY_DAYS = 120
EXTRA_ITEMS = [  # township items: one per township, so the menus differ
    ("文明家风故事会", "culture"),
    ("防电信诈骗宣传", "legal"),
    ("果园剪枝帮扶", "science"),
]


def _volunteers_for(village: Any, index: int) -> list[Volunteer]:
    existing = list(Volunteer.objects.filter(site=village, status="approved").order_by("pk")[:3])
    if existing:
        return existing
    made = []
    for k in range(2):
        username = f"hv{village.pk}_{k}"
        user, _ = User.objects.get_or_create(
            username=username,
            defaults={
                "real_name": f"{village.name[:2]}志愿者{k + 1}",
                "password": make_password(None),
                "mobile": f"158{village.pk:04d}{k:04d}",
            },
        )
        vol = Volunteer.objects.create(
            user=user,
            site=village,
            real_name=user.real_name,
            mobile=user.mobile,
            id_number=demo_id_number(200 + index * 2 + k, "19850615"),
            emergency_contact_name="家属",
            emergency_contact_phone="13500009999",
            status="approved",
            number=None,
        )
        vol.number = f"ZY{vol.pk:010d}"
        vol.save(update_fields=["number"])
        VolunteerSkill.objects.create(
            volunteer=vol, category=["elderly", "health", "culture"][k % 3]
        )
        Role.objects.get_or_create(user=user, site=village, role=RoleName.VOLUNTEER)
        event = VolunteerEvent.objects.create(
            volunteer=vol, from_status="pending", to_status="approved", note="演示数据"
        )
        # They joined before the history begins (their first orders are that old).
        applied = timezone.now() - dt.timedelta(days=HISTORY_DAYS + 30 + 7 * k)
        approved = applied + dt.timedelta(days=2)
        User.objects.filter(pk=user.pk).update(date_joined=applied - dt.timedelta(days=1))
        Volunteer.objects.filter(pk=vol.pk).update(
            applied_at=applied, reviewed_at=approved, updated_at=approved
        )
        VolunteerEvent.objects.filter(pk=event.pk).update(created_at=approved)
        Role.objects.filter(user=user).update(created_at=approved)
        made.append(vol)
    return made


def seed(ctx: dict[str, Any], log: Any) -> None:
    if ServiceOrder.objects.filter(idempotency_key__startswith="history-").exists():
        _settle_and_roll(log)
        return
    rng = random.Random(20261123)  # noqa: S311 - demo data, same history on every machine
    county = ctx["county"]
    for town, (title, category) in zip(ctx["townships"], EXTRA_ITEMS, strict=False):
        extra, made = ServiceItem.objects.get_or_create(
            site=town,
            title=title,
            defaults={
                "category": category,
                "description": "乡镇实践所常设服务项目。",
                "points_per_hour": 10,
            },
        )
        if made:  # on the menu before the history begins
            since = timezone.now() - dt.timedelta(days=HISTORY_DAYS + 60)
            ServiceItem.objects.filter(pk=extra.pk).update(created_at=since, updated_at=since)
    county_items = list(ServiceItem.objects.filter(site=county, is_active=True))
    today = timezone.localdate()
    tz = timezone.get_current_timezone()
    # Everything in the history happened before today began (minus the two hours a
    # booking lasts), whatever the hour the demo is seeded at.
    history_ends = dt.datetime.combine(today, dt.time(0), tz) - dt.timedelta(hours=2)
    orders: list[ServiceOrder] = []
    plan: list[tuple[ServiceOrder, Volunteer, dict[str, Any]]] = []
    n = 0
    for t_index, villages in enumerate(ctx["villages"]):
        town = ctx["townships"][t_index]
        # Townships differ in how busy and how well rated they are: a league table.
        busyness = [2.2, 1.4, 0.9][t_index % 3]
        for v_index, village in enumerate(villages):
            vols = _volunteers_for(village, t_index * 20 + v_index)
            resident, _ = User.objects.get_or_create(
                username=f"hr{village.pk}",
                defaults={
                    "real_name": f"{village.name[:2]}居民",
                    "password": make_password(None),
                    "mobile": f"159{village.pk:04d}0000",
                },
            )
            _role, joined = Role.objects.get_or_create(
                user=resident, site=village, role=RoleName.RESIDENT
            )
            if joined:  # a resident of the history: registered before it began
                since = timezone.now() - dt.timedelta(days=HISTORY_DAYS + 20)
                User.objects.filter(pk=resident.pk).update(date_joined=since)
                Role.objects.filter(pk=_role.pk).update(created_at=since)
            items = county_items + list(
                ServiceItem.objects.filter(site_id__in=[town.pk, village.pk], is_active=True)
            )
            for back in range(HISTORY_DAYS, 0, -1):
                day = today - dt.timedelta(days=back)
                for _ in range(int(rng.random() * busyness + rng.random() * 0.6)):
                    n += 1
                    item = rng.choice(items)
                    created = dt.datetime.combine(
                        day, dt.time(8 + rng.randrange(10), rng.randrange(60)), tz
                    )
                    roll = rng.random()
                    accepted = created + dt.timedelta(
                        minutes=rng.choice([4, 9, 14, 25, 50, 100, 200, 400, 900]) * (1 + t_index)
                    )
                    hours = Decimal(str(rng.choice([1, 1.5, 2, 2.5, 3])))
                    # The volunteer arrives at the booked start and the order completes
                    # at check-out (a few minutes past the hours, as on a real visit);
                    # rated that evening, assessed a few days later.
                    started = accepted + dt.timedelta(hours=rng.choice([1, 3, 18, 26, 46]))
                    completed = started + dt.timedelta(hours=float(hours), minutes=5)
                    rated = completed + dt.timedelta(hours=rng.choice([1, 3, 6]))
                    if rated > history_ends or created + dt.timedelta(hours=5) > history_ends:
                        # Would finish after the history ends (this morning): only the
                        # live demo orders reach today.
                        continue
                    assessed = completed + dt.timedelta(days=rng.choice([1, 2, 3]))
                    low_item = item.title == "垃圾分类入户宣传"  # flagged for rework
                    score = rng.choice(
                        [2, 3, 3, 4]
                        if low_item
                        else [3, 4, 5, 5, 5]
                        if t_index == 0
                        else [3, 4, 4, 5]
                    )
                    o = ServiceOrder(
                        service=item,
                        site=village,
                        handling_site=village,
                        resident=resident,
                        placed_by=resident,
                        idempotency_key=f"history-{n}",
                        address=f"{village.name}{rng.randrange(1, 60)}号",
                        contact_mobile=resident.mobile,
                        preferred_start=started,
                        preferred_end=started + dt.timedelta(hours=2),
                        volunteers_needed=1,
                        created_at=created,
                        status_changed_at=created,
                    )
                    if roll < 0.13:  # cancelled or rejected before any dispatch
                        o.preferred_start = min(created + dt.timedelta(hours=20), history_ends)
                        o.preferred_end = o.preferred_start + dt.timedelta(hours=2)
                    if roll < 0.08:
                        o.status, o.closed_at, o.close_reason = (
                            "cancelled",
                            created + dt.timedelta(hours=3),
                            "不需要了",
                        )
                        outcome = "cancelled"
                    elif roll < 0.13:
                        o.status, o.closed_at, o.close_reason = (
                            "rejected",
                            created + dt.timedelta(hours=5),
                            "超出服务范围",
                        )
                        outcome = "rejected"
                    else:
                        o.dispatched_at = created + (accepted - created) / 2
                        o.accepted_at, o.started_at, o.completed_at = (
                            accepted,
                            started,
                            completed,
                        )
                        o.score, o.rated_at = score, rated
                        o.assessment_queue = "township"
                        if assessed.date() < today:
                            o.status, o.assessed_at, o.assessment_approved = (
                                "assessed",
                                assessed,
                                True,
                            )
                            o.assessed_site = town
                            o.closed_at = assessed
                        else:
                            o.status = "rated"
                        outcome = o.status
                    waited = (o.dispatched_at or o.closed_at or created) - created
                    if (
                        rng.random() < 0.04
                        and outcome != "cancelled"
                        and waited > dt.timedelta(hours=2)
                    ):
                        # Escalated when it waited past the two-hour limit undispatched.
                        o.escalated_at = created + dt.timedelta(hours=2)
                        o.handling_site = town
                    orders.append(o)
                    plan.append(
                        (
                            o,
                            rng.choice(vols),
                            {"hours": hours, "outcome": outcome, "created": created},
                        )
                    )
    ServiceOrder.objects.bulk_create(orders, batch_size=500)
    # auto_now_add stamped "now" on insert: write the back-dated times.
    for o, _vol, info in plan:
        o.created_at = info["created"]
        o.status_changed_at = o.closed_at or o.rated_at or info["created"]
    ServiceOrder.objects.bulk_update(orders, ["created_at", "status_changed_at"], batch_size=500)
    assignments, events = [], []
    for o, vol, info in plan:
        events.append(
            OrderEvent(
                order=o,
                action="place",
                from_status="",
                to_status="submitted",
                code="historical",
                created_at=o.created_at,
            )
        )
        if o.escalated_at is not None:
            events.append(
                OrderEvent(
                    order=o,
                    action="escalate",
                    from_status="submitted",
                    to_status="submitted",
                    note="超过派单时限，自动上报",
                    created_at=o.escalated_at,
                )
            )
        if info["outcome"] in ("cancelled", "rejected"):
            events.append(
                OrderEvent(
                    order=o,
                    action=info["outcome"][:-2] if info["outcome"] == "cancelled" else "reject",
                    from_status="submitted",
                    to_status=info["outcome"],
                    note=o.close_reason,
                    created_at=o.closed_at,
                )
            )
            continue
        assignments.append(
            OrderAssignment(
                order=o,
                volunteer=vol,
                status="accepted",
                assigned_at=o.dispatched_at,
                responded_at=o.accepted_at,
                checked_in_at=o.started_at,
                checked_out_at=o.completed_at,
                reported_hours=info["hours"],
                confirmed_hours=info["hours"] if o.status == "assessed" else None,
                summary="按时完成服务。",
            )
        )
        for action, frm, to, at in (
            ("dispatch", "submitted", "dispatched", o.dispatched_at),
            ("accept", "dispatched", "accepted", o.accepted_at),
            ("start", "accepted", "in_service", o.started_at),
            ("complete", "in_service", "completed", o.completed_at),
            ("rate", "completed", "rated", o.rated_at),
        ):
            events.append(
                OrderEvent(
                    order=o, action=action, from_status=frm, to_status=to, note="", created_at=at
                )
            )
        if o.status == "assessed":
            events.append(
                OrderEvent(
                    order=o,
                    action="assess",
                    from_status="rated",
                    to_status="assessed",
                    code="assessed_ok",
                    created_at=o.assessed_at,
                )
            )
    OrderAssignment.objects.bulk_create(assignments, batch_size=1000)
    OrderEvent.objects.bulk_create(events, batch_size=2000)
    log(f"历史订单：{len(orders)} 张（近 {HISTORY_DAYS} 天）")
    _settle_and_roll(log)


def _settle_and_roll(log: Any) -> None:
    today = timezone.localdate()
    settled = set(
        SettlementRun.objects.filter(status="succeeded").values_list("settlement_date", flat=True)
    )
    rolled = set(SiteDailyStat.objects.values_list("day", flat=True).distinct())
    days = [today - dt.timedelta(days=b) for b in range(HISTORY_DAYS, 0, -1)]
    for day in days:
        if day not in settled:
            settle_as_nightly(day)
    todo = [d for d in days if d not in rolled]
    rollup_days(todo)
    log(f"统计日汇总：{len(todo)} 天已重建")
