"""Demo activities: the county's theme calendar for this year, upcoming activities at
the county, a township and a village with sign-ups (one role full, a waiting list,
approval, a resident registered), a draft, a cancelled one, and a finished one with
its attendance confirmed. Made through the services (every activity has its event
log), then past ones moved back in time. Idempotent: an activity already there (by
site and title) is left as it is."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from apps.volunteers.models import Volunteer

from . import services
from .models import Activity, Signup

THEMES = [
    (1, "迎新春 送温暖", "走访困难群众，写春联、送年货。"),
    (2, "文明过大年", "移风易俗，倡导文明节俭过节。"),
    (3, "学雷锋志愿服务月", "各站至少开展一次学雷锋志愿服务活动。"),
    (4, "清明祭英烈", "组织群众到红色教育基地缅怀先烈。"),
    (5, "劳动最光荣", "宣传身边的劳动模范，开展技能培训。"),
    (6, "端午话传统", "包粽子、讲端午，传承传统文化。"),
    (7, "红色七月", "党的创新理论宣讲进村入户。"),
    (8, "健康乡村行", "义诊、健康讲座，关爱老人和儿童。"),
    (9, "科普惠民", "科技下乡，普及防灾减灾和反诈知识。"),
    (10, "敬老月", "重阳敬老，为高龄、独居老人送服务。"),
    (11, "法治宣传月", "普法讲座、法律咨询进村入户。"),
    (12, "温暖冬日", "冬季安全检查，为困难群众送温暖。"),
]


def _theme_for(county: Any, moment: dt.datetime) -> Any:
    from .models import MonthlyTheme

    local = timezone.localtime(moment)
    return MonthlyTheme.objects.filter(site=county, year=local.year, month=local.month).first()


def seed(ctx: dict[str, Any], log: Any) -> None:
    users = ctx["users"]
    county, town1 = ctx["county"], ctx["townships"][0]
    village1 = ctx["villages"][0][0]
    year = timezone.localdate().year
    for y in (year, year + 1):
        for month, title, guidance in THEMES:
            services.theme_set(
                actor=users["county"], year=y, month=month, title=title, guidance=guidance
            )

    vols = {f"vol{i}": Volunteer.objects.get(user=users[f"vol{i}"]) for i in range(1, 6)}
    base = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0)

    def make(
        actor: str,
        site: Any,
        title: str,
        days: int,
        hours: int,
        roles: list[dict[str, Any]],
        **extra: Any,
    ) -> Activity | None:
        if Activity.objects.filter(site=site, title=title).exists():
            return None
        start = base + dt.timedelta(days=max(days, 2))
        return services.activity_create(
            actor=users[actor],
            site=site,
            roles=roles,
            title=title,
            theme=_theme_for(county, start),
            starts_at=start,
            ends_at=start + dt.timedelta(hours=hours),
            signup_deadline=start - dt.timedelta(hours=12),
            **extra,
        )

    def sign(activity: Activity, *names: str) -> None:
        for name in names:
            services.signup_create(actor=users[name], activity_id=activity.pk, confirm_overlap=True)

    made = 0
    cleanup = make(
        "village1",
        village1,
        "东关社区环境整治",
        5,
        3,
        [{"name": "引导员", "slots": 1}, {"name": "清扫", "slots": 6}],
        category="environment",
        description="清理楼道堆物、绿化带垃圾，倡导垃圾分类。",
        address="东关社区中心广场",
        latitude="37.052100",
        longitude="115.668300",
        points_mode="per_hour",
        points_per_hour=10,
    )
    if cleanup:
        services.activity_publish(actor=users["village1"], activity_id=cleanup.pk)
        sign(cleanup, "vol1", "vol2")  # the guide's one place taken, vol2 waits
        guide = cleanup.roles.get(name="清扫")
        services.signup_create(
            actor=users["vol3"], activity_id=cleanup.pk, role_id=guide.pk, confirm_overlap=True
        )
        made += 1
    clinic = make(
        "town1",
        town1,
        "城关镇健康义诊进社区",
        10,
        4,
        [{"name": "义诊医生", "slots": 2}, {"name": "服务引导", "slots": 3}],
        category="health",
        description="测血压、血糖，健康咨询。欢迎居民前来。",
        address="城关镇卫生院门前广场",
        needs_approval=True,
        residents_allowed=True,
        resident_limit=50,
        points_mode="category",
    )
    if clinic:
        services.activity_publish(actor=users["town1"], activity_id=clinic.pk)
        sign(clinic, "vol4")
        services.registration_create(actor=users["res1"], activity_id=clinic.pk)
        made += 1
    fair = make(
        "county",
        county,
        "全县新时代文明实践集市",
        20,
        6,
        [{"name": "摊位服务", "slots": 10}, {"name": "秩序维护", "slots": 5}],
        category="culture",
        description="各站展示特色服务项目，现场点单。",
        address="县文化广场",
        points_mode="fixed",
        fixed_points=30,
    )
    if fair:
        services.activity_publish(actor=users["county"], activity_id=fair.pk)
        sign(fair, "vol5")
        made += 1
    draft = make(
        "village1",
        village1,
        "青少年读书分享会",
        14,
        2,
        [{"name": "领读", "slots": 2}],
        category="education",
        address="东关社区图书室",
    )
    made += bool(draft)
    rained = make(
        "village1",
        village1,
        "广场露天电影",
        3,
        2,
        [{"name": "放映协助", "slots": 2}],
        category="culture",
        address="东关社区中心广场",
    )
    if rained:
        services.activity_publish(actor=users["village1"], activity_id=rained.pk)
        sign(rained, "vol5")
        services.activity_cancel(
            actor=users["village1"], activity_id=rained.pk, reason="暴雨预警，改期另行通知"
        )
        made += 1
    past = make(
        "village1",
        village1,
        "重阳敬老茶话会",
        3,
        3,
        [{"name": "陪伴聊天", "slots": 4}, {"name": "后勤", "slots": 2}],
        category="elderly",
        description="为社区高龄老人过重阳节。",
        address="东关社区活动室",
    )
    if past:
        services.activity_publish(actor=users["village1"], activity_id=past.pk)
        sign(past, "vol1", "vol2", "vol3", "vol4")
        # Held twelve days ago: move it back, with the presence it recorded.
        start = base - dt.timedelta(days=12)
        end = start + dt.timedelta(hours=3)
        Activity.objects.filter(pk=past.pk).update(
            starts_at=start,
            ends_at=end,
            signup_deadline=start - dt.timedelta(hours=12),
            theme=_theme_for(county, start),
        )
        present = {"vol1": (0, 180), "vol2": (-15, 150), "vol3": (10, 200)}  # vol4 did not come
        for name, (early, minutes) in present.items():
            Signup.objects.filter(activity=past, volunteer=vols[name]).update(
                checked_in_at=start + dt.timedelta(minutes=early),
                checked_out_at=start + dt.timedelta(minutes=early + minutes),
            )
        services.activity_finish(actor=users["village1"], activity_id=past.pk)
        services.attendance_confirm(actor=users["village1"], activity_id=past.pk)
        made += 1
    log(f"活动：月度主题 {len(THEMES) * 2} 个，新建活动 {made} 个")
