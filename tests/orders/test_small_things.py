"""Small things seen in the demo: the board says how long an order has waited, the
record-service date is ISO (a date input shows it)."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from apps.sites.models import Site
from apps.volunteers.forms import ServiceRecordForm

pytestmark = pytest.mark.django_db


def test_board_says_how_long_an_order_has_waited(login_as: Any, cast: Any, flow: Any) -> None:
    flow("submitted")
    html = login_as(cast.village1).get("/orders/board/").content.decode()
    assert "已等待 " in html and "之前" not in html


def test_service_date_renders_as_iso_for_the_date_input(tree: Any) -> None:
    today = timezone.localdate()
    form = ServiceRecordForm(sites=Site.objects.all(), initial={"service_date": today})
    assert f'value="{today:%Y-%m-%d}"' in str(form["service_date"])


def test_village_staff_navigation_has_no_assessment(login_as: Any, cast: Any) -> None:
    html = login_as(cast.village1).get("/orders/board/").content.decode()
    assert "/orders/assessment/" not in html
