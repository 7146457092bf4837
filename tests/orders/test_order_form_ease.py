"""The order form: the resident's own saved address, the end time suggested from the
item's duration, and the volunteer count shown."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from apps.accounts.models import ResidentProfile
from apps.orders.models import ServiceOrder

from .conftest import window

pytestmark = pytest.mark.django_db


def test_profile_address_is_saved_and_prefilled(login_as: Any, cast: Any, m: Any) -> None:
    client = login_as(cast.res1)
    r = client.post(
        "/accounts/profile/",
        {"real_name": "张三", "email": "", "address": "东关社区 3 号楼 2 单元 401"},
    )
    assert r.status_code == 302
    assert ResidentProfile.objects.get(user=cast.res1).address == "东关社区 3 号楼 2 单元 401"
    html = client.get("/orders/new/").content.decode()
    assert 'value="东关社区 3 号楼 2 单元 401"' in html
    # The item list says how long and how many volunteers.
    assert "约 2 小时" in html or "小时，" in html
    assert "名志愿者" in html and 'data-volunteers="1"' in html and "data-hours=" in html


def test_end_time_left_blank_is_start_plus_duration(login_as: Any, cast: Any, m: Any) -> None:
    start, _end = window()
    r = login_as(cast.res1).post(
        "/orders/new/",
        {
            "service": m.village1.pk,
            "address": "东关社区 3 号楼",
            "contact_mobile": "13600000001",
            "preferred_start": timezone.localtime(start).strftime("%Y-%m-%dT%H:%M"),
            "preferred_end": "",
            "token": "t-end",
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    order = ServiceOrder.objects.get()
    assert order.preferred_end - order.preferred_start == dt.timedelta(
        hours=float(m.village1.duration_hours)
    )
