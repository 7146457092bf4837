"""Demo accounts. Every account's password is demo12345."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from .models import Role, RoleName, User

DEMO_PASSWORD = "demo12345"  # noqa: S105 - documented demo password


def _user(username: str, *, mobile: str, real_name: str, superuser: bool = False) -> User:
    user = User.objects.filter(username=username).first()
    if user is None:
        user = User(
            username=username,
            mobile=mobile,
            real_name=real_name,
            is_superuser=superuser,
            is_staff=superuser,
        )
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user


# When each demo account was opened, in days before the seeding: staff first, then
# the volunteers (before they applied, see volunteers.demo) and the residents.
JOINED_DAYS_AGO = {
    "admin": 530,
    "county": 520,
    "town1": 500,
    "town2": 495,
    "village1": 480,
    "editor": 470,
    "vol1": 430,
    "vol2": 310,
    "vol3": 190,
    "vol4": 70,
    "vol5": 28,
    "res1": 160,
    "res2": 95,
    "res3": 62,
    "res9": 41,
}


def seed(ctx: dict[str, Any], log: Any) -> None:
    started = timezone.now()
    county, townships, villages = ctx["county"], ctx["townships"], ctx["villages"]
    village1 = villages[0][0]
    people: list[tuple[str, str, str, list[tuple[str, Any]]]] = [
        ("admin", "13900000000", "系统管理员", []),
        ("county", "13900000001", "县中心管理员", [(RoleName.COUNTY_ADMIN, county)]),
        ("town1", "13900000011", "城关镇工作人员", [(RoleName.STAFF, townships[0])]),
        ("town2", "13900000012", "桃源乡工作人员", [(RoleName.STAFF, townships[1])]),
        ("village1", "13900000021", "东关社区站长", [(RoleName.STAFF, village1)]),
        ("editor", "13900000031", "融媒体中心编辑", [(RoleName.EDITOR, county)]),
    ]
    names = ["张丽", "李强", "王芳", "赵磊", "陈静"]
    for i in range(1, 6):
        people.append(
            (
                f"vol{i}",
                f"1370000000{i}",
                names[i - 1],
                [(RoleName.VOLUNTEER, village1), (RoleName.RESIDENT, village1)],
            )
        )
    elders = ["刘大爷", "孙奶奶", "周阿姨"]
    for i in range(1, 4):
        people.append((f"res{i}", f"1360000000{i}", elders[i - 1], [(RoleName.RESIDENT, village1)]))
    people.append(("res9", "13600000009", "吴大娘", [(RoleName.RESIDENT, villages[1][0])]))

    users: dict[str, User] = {}
    for username, mobile, real_name, roles in people:
        user = _user(username, mobile=mobile, real_name=real_name, superuser=username == "admin")
        for role, site in roles:
            Role.objects.get_or_create(user=user, site=site, role=role)
        users[username] = user
    for username, days in JOINED_DAYS_AGO.items():
        joined = started - dt.timedelta(days=days, hours=days % 7)
        fresh = User.objects.filter(username=username, date_joined__gte=started)
        if fresh.update(date_joined=joined):
            Role.objects.filter(user__username=username).update(created_at=joined)
    ctx["users"] = users
    log(f"账号：{User.objects.count()} 个（密码均为 {DEMO_PASSWORD}）")
