"""Demo volunteers: vol1…vol5 approved at village1 with skills, teams and service
records (vol1 past the one-star line), plus one pending application for the queue."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from apps.accounts.demo import JOINED_DAYS_AGO
from apps.accounts.models import Role, RoleName, User

from .idcard import id_check_digit
from .models import (
    ServiceRecord,
    Team,
    TeamKind,
    TeamMembership,
    Volunteer,
    VolunteerEvent,
    VolunteerSkill,
    VolunteerStatus,
    availability_bit,
)
from .services import volunteers_recompute_hours


def demo_id_number(seq: int, birth: str = "19800101") -> str:
    """A valid (checksummed) ID number; ``seq`` picks the 3-digit sequence part."""
    first17 = f"130101{birth}{seq % 1000:03d}"
    return first17 + id_check_digit(first17)


SKILLS = [
    ["health", "elderly"],
    ["legal", "theory"],
    ["culture", "education"],
    ["environment", "sports"],
    ["science", "elderly"],
]
# (title, hours) per volunteer: vol1 gets 104 h in total, past the one-star line.
RECORDS = {
    1: [("健康义诊进社区", 4)] * 14 + [("助老上门服务", 4)] * 12,
    2: [("法律咨询进村", 3)] * 4,
    3: [("广场文艺演出", 2.5)] * 3,
}


# A volunteer applied this many days after opening their account and was approved
# this many days after applying; the teams were formed this long ago.
APPLIED_AFTER_DAYS = 3
APPROVED_AFTER_DAYS = 2
TEAMS_FORMED_DAYS_AGO = 300


def _applied(username: str, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(days=JOINED_DAYS_AGO[username] - APPLIED_AFTER_DAYS, hours=-2)


def seed(ctx: dict[str, Any], log: Any) -> None:
    now = timezone.now()
    village1 = ctx["villages"][0][0]
    town1 = ctx["townships"][0]
    users: dict[str, User] = ctx["users"]
    weekend = sum(availability_bit(d, p) for d in (5, 6) for p in range(3))
    evenings = sum(availability_bit(d, 2) for d in range(5))
    volunteers = []
    for i in range(1, 6):
        user = users[f"vol{i}"]
        vol = Volunteer.objects.filter(user=user).first()
        if vol is None:
            vol = Volunteer.objects.create(
                user=user,
                site=village1,
                real_name=user.real_name,
                mobile=user.mobile,
                id_number=demo_id_number(i),
                specialties=["护理", "法律", "二胡", "环保宣传", "科普讲解"][i - 1],
                service_area="东关社区及周边",
                availability=weekend | (evenings if i % 2 else 0),
                emergency_contact_name="家属",
                emergency_contact_phone=f"1350000100{i}",
                status=VolunteerStatus.APPROVED,
                reviewed_by=users["village1"],
                reviewed_at=timezone.now(),
                number=None,
            )
            vol.number = f"ZY{vol.pk:010d}"
            vol.save(update_fields=["number"])
            VolunteerSkill.objects.bulk_create(
                [VolunteerSkill(volunteer=vol, category=c) for c in SKILLS[i - 1]]
            )
            # Applied a few days after joining, approved by the station two days later.
            applied = _applied(user.username, now)
            approved = applied + dt.timedelta(days=APPROVED_AFTER_DAYS, hours=3)
            Volunteer.objects.filter(pk=vol.pk).update(
                applied_at=applied, reviewed_at=approved, updated_at=approved
            )
            event = VolunteerEvent.objects.create(
                volunteer=vol,
                actor=users["village1"],
                from_status=VolunteerStatus.PENDING,
                to_status=VolunteerStatus.APPROVED,
                note="资料齐全，审核通过。",
            )
            VolunteerEvent.objects.filter(pk=event.pk).update(created_at=approved)
            Role.objects.filter(user=user, site=village1, role=RoleName.VOLUNTEER).update(
                created_at=approved
            )
            vol.refresh_from_db()
        Role.objects.get_or_create(user=user, site=village1, role=RoleName.VOLUNTEER)
        volunteers.append(vol)

    teams = [
        ("东关社区卫生健康服务队", village1, TeamKind.STANDING, "health", [0, 4]),
        ("东关社区法律服务队", village1, TeamKind.STANDING, "legal", [1]),
        ("城关镇“红马甲”助老特色服务队", town1, TeamKind.SPECIAL, "elderly", [0, 2, 4]),
    ]
    for name, site, kind, category, members in teams:
        team, made = Team.objects.get_or_create(
            site=site, name=name, defaults={"kind": kind, "category": category}
        )
        formed = now - dt.timedelta(days=TEAMS_FORMED_DAYS_AGO)
        if made:
            Team.objects.filter(pk=team.pk).update(created_at=formed)
        for pos, idx in enumerate(members):
            membership, made = TeamMembership.objects.get_or_create(
                team=team, volunteer=volunteers[idx], defaults={"is_leader": pos == 0}
            )
            if made:  # joined the day after the team formed or after their approval
                since = max(formed, volunteers[idx].reviewed_at or formed)
                TeamMembership.objects.filter(pk=membership.pk).update(
                    joined_at=since + dt.timedelta(days=1)
                )

    today = timezone.localdate()
    for i, items in RECORDS.items():
        for n, (title, hours) in enumerate(items):
            record, made = ServiceRecord.objects.get_or_create(
                source_key=f"demo:vol{i}:{n}",
                defaults=dict(
                    volunteer=volunteers[i - 1],
                    site=village1,
                    service_date=today - dt.timedelta(days=7 * (n + 1)),
                    title=title,
                    hours=Decimal(str(hours)),
                    recorded_by=users["village1"],
                ),
            )
            if made:  # recorded by the station the morning after the service
                next_morning = dt.datetime.combine(record.service_date, dt.time(10, 0))
                ServiceRecord.objects.filter(pk=record.pk).update(
                    created_at=timezone.make_aware(next_morning) + dt.timedelta(days=1)
                )
    volunteers_recompute_hours(volunteer_ids=[v.pk for v in volunteers])

    # One pending application in village1's approval queue (res2 wants to help).
    res2 = users["res2"]
    if not Volunteer.objects.filter(user=res2).exists():
        Volunteer.objects.create(
            user=res2,
            site=village1,
            real_name=res2.real_name,
            mobile=res2.mobile,
            id_number=demo_id_number(90, "19550305"),
            specialties="剪纸",
            availability=weekend,
            emergency_contact_name="儿子",
            emergency_contact_phone="13500002002",
        )
        Volunteer.objects.filter(user=res2).update(
            applied_at=now - dt.timedelta(days=3, hours=5),
            updated_at=now - dt.timedelta(days=3, hours=5),
        )
    log(f"志愿者：{Volunteer.objects.count()} 名，服务队：{Team.objects.count()} 支")
