"""Demo menu and orders: menu items at the county, a township and villages, and orders
in every state at 东关社区, all made through the services (so every order has its
event timeline). Idempotent: each demo order carries an Idempotency-Key, and an order
already there is left as it is."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from PIL import Image

from apps.volunteers.models import Volunteer

from . import services
from .demo_times import Moment, retime_order, retime_sent_messages
from .models import OrderAssignment, ServiceItem, ServiceOrder

# (site key, title, category, description, hours, points per hour, volunteers)
ITEMS = [
    (
        "county",
        "党的创新理论宣讲进村入户",
        "theory",
        "宣讲团成员用群众听得懂的话讲政策、讲变化。",
        "1.5",
        12,
        1,
    ),
    (
        "county",
        "法律援助咨询",
        "legal",
        "律师志愿者解答婚姻家庭、土地流转、劳动报酬等法律问题。",
        "2",
        15,
        1,
    ),
    ("town1", "健康义诊", "health", "测血压、测血糖，健康咨询和用药指导。", "3", 10, 2),
    ("town1", "广场文艺演出", "culture", "戏曲、歌舞、快板，丰富群众文化生活。", "2", 10, 3),
    (
        "village1",
        "助老上门服务",
        "elderly",
        "为独居、高龄老人打扫卫生、代购代办、陪伴聊天。",
        "2",
        10,
        1,
    ),
    (
        "village1",
        "青少年课后辅导",
        "education",
        "辅导作业、读书分享，周末和寒暑假开展。",
        "2",
        10,
        1,
    ),
    ("village1", "垃圾分类入户宣传", "environment", "上门讲解垃圾分类，发放宣传资料。", "1", 8, 1),
    ("village2", "农业技术科普讲座", "science", "果树修剪、病虫害防治等实用技术。", "2", 10, 1),
]


def _photo(name: str) -> SimpleUploadedFile:
    buf = io.BytesIO()
    Image.new("RGB", (640, 480), (183, 28, 28)).save(buf, format="JPEG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/jpeg")


def seed(ctx: dict[str, Any], log: Any) -> None:
    users = ctx["users"]
    county, town1 = ctx["county"], ctx["townships"][0]
    village1, village2 = ctx["villages"][0][0], ctx["villages"][1][0]
    publishers = {
        "county": (county, users["county"]),
        "town1": (town1, users["town1"]),
        "village1": (village1, users["village1"]),
        "village2": (village2, users["county"]),
    }
    items: dict[str, ServiceItem] = {}
    for key, title, category, description, hours, points, needed in ITEMS:
        site, actor = publishers[key]
        item = ServiceItem.objects.filter(site=site, title=title).first()
        if item is None:
            item = services.service_item_create(
                actor=actor,
                site=site,
                title=title,
                category=category,
                description=description,
                duration_hours=Decimal(hours),
                points_per_hour=points,
                volunteers_needed=needed,
            )
            # On the menu since well before the history of orders (reports.demo).
            since = timezone.now() - dt.timedelta(days=400)
            ServiceItem.objects.filter(pk=item.pk).update(created_at=since, updated_at=since)
        items[title] = item

    vols = {f"vol{i}": Volunteer.objects.get(user=users[f"vol{i}"]) for i in range(1, 6)}
    staff = users["village1"]
    tomorrow = timezone.localtime().replace(
        hour=9, minute=0, second=0, microsecond=0
    ) + dt.timedelta(days=1)

    now = timezone.now()
    made: list[tuple[int, list[Moment]]] = []

    def flow(
        key: str,
        resident: str,
        title: str,
        day: int,
        steps: list[Callable[[int], Any]],
        moments: list[Moment],
        note: str = "",
    ) -> None:
        start = tomorrow + dt.timedelta(days=day)
        order, created = services.order_place(
            actor=users[resident],
            service=items[title],
            address=f"{village1.name}{day + 3}号院",
            contact_mobile=users[resident].mobile,
            preferred_start=start,
            preferred_end=start + dt.timedelta(hours=2),
            note=note,
            idempotency_key=f"demo-{key}",
        )
        if created:
            for step in steps:
                step(order.pk)
            # Made "now" through the services; then moved to when it happened.
            retime_order(order.pk, moments, now=now)
            made.append((order.pk, moments))

    def dispatch(*names: str) -> Callable[[int], Any]:
        return lambda pk: services.order_dispatch(
            order_id=pk, actor=staff, volunteer_ids=[vols[n].pk for n in names]
        )

    def act(fn: Any, who: str, **kw: Any) -> Callable[[int], Any]:
        actor = vols[who].user if who in vols else users[who]
        return lambda pk: fn(order_id=pk, actor=actor, **kw)

    def due(pk: int) -> None:
        # Demo orders are booked for tomorrow; the served ones are moved to "now" so
        # check-in (open an hour before the preferred start) is allowed.
        now = timezone.now()
        ServiceOrder.objects.filter(pk=pk).update(
            preferred_start=now, preferred_end=now + dt.timedelta(hours=4)
        )

    def served_for(hours: str) -> Callable[[int], Any]:
        # Reported hours may not exceed the time checked in: the demo's check-ins are
        # moved back by the hours served.
        def run(pk: int) -> None:
            OrderAssignment.objects.filter(order_id=pk, checked_in_at__isnull=False).update(
                checked_in_at=timezone.now() - dt.timedelta(hours=float(hours))
            )

        return run

    def serve(
        who: str, hours: str, summary: str, photo: bool = False
    ) -> list[Callable[[int], Any]]:
        return [
            act(services.order_accept, who),
            due,
            act(services.order_start, who),
            served_for(hours),
            act(
                services.order_complete,
                who,
                hours=Decimal(hours),
                summary=summary,
                photos=[_photo(f"{who}.jpg")] if photo else [],
            ),
        ]

    def placed_ago(minutes: int) -> Callable[[int], Any]:
        # A nudge is offered only after the documented wait: the order was placed earlier.
        def run(pk: int) -> None:
            then = timezone.now() - dt.timedelta(minutes=minutes)
            ServiceOrder.objects.filter(pk=pk).update(created_at=then, status_changed_at=then)

        return run

    rate = services.order_rate
    # Each order's moments: when each of its events happened, (days ago, "HH:MM") or a
    # timedelta before now. Open dispatches and undispatched orders stay recent (an
    # unanswered dispatch lapses after an hour, an undispatched order escalates after
    # two); served orders check in at their preferred start and out after the hours.
    ago = dt.timedelta
    flow(
        "submitted",
        "res1",
        "助老上门服务",
        0,
        [placed_ago(45), act(services.order_nudge, "res1")],
        [ago(minutes=50), ago(minutes=12)],
        note="老人腿脚不便，请上门打扫卫生。",
    )
    flow(
        "escalated",
        "res2",
        "法律援助咨询",
        1,
        [act(services.order_escalate, "village1", reason="本站暂无法律专业志愿者")],
        [ago(minutes=95), ago(minutes=60)],
        note="想咨询宅基地继承的问题。",
    )
    flow(
        "dispatched",
        "res3",
        "青少年课后辅导",
        2,
        [dispatch("vol3")],
        [ago(hours=2, minutes=10), ago(minutes=25)],
    )
    flow(
        "accepted",
        "res1",
        "健康义诊",
        3,
        [
            dispatch("vol1", "vol5"),
            act(services.order_accept, "vol1"),
            act(services.order_accept, "vol5"),
        ],
        [(2, "08:40"), (2, "09:20"), (2, "09:45"), (2, "10:30")],
    )
    flow(
        "in_service",
        "res2",
        "助老上门服务",
        0,
        [
            dispatch("vol1"),
            act(services.order_accept, "vol1"),
            due,
            act(services.order_start, "vol1"),
        ],
        [(1, "18:20"), (1, "18:50"), (1, "19:15"), ago(minutes=40)],
    )
    flow(
        "completed",
        "res3",
        "垃圾分类入户宣传",
        0,
        [dispatch("vol4"), *serve("vol4", "1", "入户讲解 12 户，发放资料 30 份。", photo=True)],
        [(6, "08:10"), (6, "08:45"), (6, "09:20"), (5, "09:00"), (5, "10:05")],
    )
    flow(
        "lapsed",
        "res2",
        "青少年课后辅导",
        0,
        [dispatch("vol3"), *serve("vol3", "2", "辅导三名小学生完成作业。")],
        # Not rated within 7 days: the hourly lapse moved it on to assessment.
        [(13, "16:20"), (13, "17:00"), (13, "19:30"), (12, "16:00"), (12, "18:05"), (5, "19:00")],
    )
    flow(
        "rated",
        "res1",
        "助老上门服务",
        0,
        [
            dispatch("vol1"),
            *serve("vol1", "2", "为刘大爷打扫房间、代购药品。", photo=True),
            act(rate, "res1", score=5, comment="小张很细心，谢谢！"),
        ],
        [(9, "08:30"), (9, "09:05"), (9, "09:40"), (8, "09:00"), (8, "11:10"), (8, "15:20")],
    )
    flow(
        "assessed",
        "res3",
        "法律援助咨询",
        0,
        [
            dispatch("vol2"),
            *serve("vol2", "1.5", "解答赡养纠纷问题并指导写协议。"),
            act(rate, "res3", score=4, comment="讲得很清楚。"),
            act(services.order_assess, "town1", approved=True, hours={}, comment="情况属实。"),
        ],
        [
            (16, "10:15"),
            (16, "10:50"),
            (16, "11:30"),
            (15, "14:00"),
            (15, "15:35"),
            (15, "19:10"),
            (14, "10:20"),
        ],
    )
    flow(
        "disputed",
        "res2",
        "垃圾分类入户宣传",
        0,
        [
            dispatch("vol4"),
            *serve("vol4", "3", "入户宣传。"),
            act(rate, "res2", score=2, comment="来了不到一小时就走了。"),
            act(services.order_dispute, "res2", text="志愿者只待了不到一小时，却报了 3 小时。"),
        ],
        [
            (4, "08:00"),
            (4, "08:30"),
            (4, "09:00"),
            (3, "09:00"),
            (3, "12:05"),
            (3, "12:40"),
            (3, "12:45"),
        ],
    )
    flow(
        "cancelled",
        "res3",
        "助老上门服务",
        4,
        [act(services.order_cancel, "res3", reason="家人回来了，不需要了。")],
        [(2, "19:30"), (2, "21:05")],
    )
    flow(
        "rejected",
        "res1",
        "青少年课后辅导",
        5,
        [act(services.order_reject, "village1", reason="辅导对象不在本站服务范围。")],
        [(3, "10:00"), (3, "11:20")],
    )
    services.orders_lapse_unrated()
    for pk, moments in made:  # again, with the lapse the line above wrote
        retime_order(pk, moments, now=now)
    if made:
        # The messages go out when this transaction commits (the deliveries' own
        # on-commit hooks, registered before this one).
        transaction.on_commit(retime_sent_messages)
    log(f"服务菜单：{ServiceItem.objects.count()} 项，订单：{ServiceOrder.objects.count()} 张")
