"""Issue #12, bad input: the probes that found server errors answer 4xx with a stable
code; throttles do not trust a client's X-Forwarded-For."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.orders.factories import VolunteerFactory


def volunteer_with_a_record(site: Any) -> Any:
    import datetime as dt
    from decimal import Decimal

    from django.utils import timezone

    from apps.volunteers import services

    vol = VolunteerFactory(site=site)
    services.service_record_add(
        actor=None,
        volunteer=vol,
        site=site,
        service_date=timezone.localdate() - dt.timedelta(days=1),
        title="助老",
        hours=Decimal("2"),
    )
    return vol


pytestmark = pytest.mark.django_db

HUGE = "14147964649572633854544646766592"


@pytest.mark.parametrize(
    "who,url",
    [
        (None, "/api/v1/sites/?q=%00"),
        (None, "/api/v1/certificates/verify/?number=%00&code=x"),
        ("town1", "/api/v1/volunteers/?q=%00"),
        ("town1", "/api/v1/users/?q=a%00b"),
        ("town1", "/api/v1/reports/summary/?period=0000-01"),
        ("town1", "/api/v1/reports/summary/?to=0001-01-05"),
        ("town1", "/api/v1/reports/summary/?from=9999-12-31&to=9999-12-31"),
        ("town1", "/api/v1/orders/?date_to=9999-12-31"),
        ("town1", f"/api/v1/orders/?service={HUGE}"),
        ("town1", f"/api/v1/orders/?site={HUGE}"),
        ("town1", f"/api/v1/volunteers/?site={HUGE}"),
        (None, f"/api/v1/sites/?within={HUGE}"),
        ("vol1", f"/api/v1/rewards/?site={HUGE}"),
        ("town1", f"/api/v1/points/ledger/?volunteer={HUGE}"),
    ],
)
def test_bad_query_parameters_answer_400_with_a_code(
    api: APIClient, api_as: Any, cast: Any, tree: Any, who: str | None, url: str
) -> None:
    if who == "vol1":
        VolunteerFactory(user=cast.vol1, site=tree.village1)
    client = api_as(getattr(cast, who)) if who else api
    r = client.get(url)
    assert r.status_code == 400, (url, r.status_code, r.content[:300])
    assert r.json()["code"] in ("invalid", "invalid_characters", "invalid_value")


@pytest.mark.parametrize(
    "method,url",
    [
        ("get", "/api/v1/services/abc/"),
        ("post", "/api/v1/notifications/null,null/read/"),
        ("get", "/api/v1/orders/abc/"),
        ("get", f"/api/v1/orders/{HUGE}/"),
        ("get", "/api/v1/volunteers/1e3/"),
        ("post", "/api/v1/rewards/x/redeem/"),
    ],
)
def test_non_numeric_ids_in_paths_are_404(api_as: Any, cast: Any, method: str, url: str) -> None:
    r = getattr(api_as(cast.town1), method)(url)
    assert r.status_code == 404, (url, r.status_code, r.content[:300])
    assert r.json()["code"] == "not_found"


def test_a_nul_in_a_json_body_is_refused(api_as: Any, cast: Any, tree: Any) -> None:
    r = api_as(cast.county).post(
        "/api/v1/sites/",
        {"name": "a\x00b", "level": "village", "parent": tree.town1.pk},
        format="json",
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_characters"


def test_a_long_username_on_the_token_endpoint(api: APIClient) -> None:
    r = api.post("/api/v1/auth/token/", {"username": "u" * 300, "password": "x"}, format="json")
    assert r.status_code == 400 and r.json()["code"] == "invalid"
    assert "username" in r.json()["errors"]


@pytest.mark.parametrize("body", ["[]", "null", '"text"', '{"notes": 5}'])
def test_certificate_body_must_be_the_documented_object(
    api_as: Any, cast: Any, tree: Any, body: str
) -> None:
    vol = volunteer_with_a_record(tree.village1)
    r = api_as(cast.town1).post(
        f"/api/v1/volunteers/{vol.pk}/certificates/", body, content_type="application/json"
    )
    if body == '{"notes": 5}':
        assert r.status_code == 201  # a number is a valid string to DRF
        return
    assert r.status_code == 400, r.content


def test_certificate_notes_are_kept(api_as: Any, cast: Any, tree: Any) -> None:
    vol = volunteer_with_a_record(tree.village1)
    r = api_as(cast.town1).post(
        f"/api/v1/volunteers/{vol.pk}/certificates/", {"notes": "用于评优"}, format="json"
    )
    assert r.status_code == 201, r.content
    assert r.json()["notes"] == "用于评优"


@pytest.mark.parametrize(
    "who,url",
    [
        (None, "/sites/?q=%00"),
        (None, "/volunteers/verify/?number=%00&code=1"),
        ("town1", "/volunteers/roster/?q=%00"),
        ("town1", "/reports/bulletin/?period=0000-01"),
        ("town1", "/reports/?from=0001-01-01&to=0001-01-05"),
        ("town1", f"/sites/{HUGE}/"),
        ("town1", f"/volunteers/roster/?site={HUGE}"),
        ("town1", "/orders/board/?per_page=abc"),
    ],
)
def test_pages_do_not_answer_a_server_error(
    client: Client, login_as: Any, cast: Any, who: str | None, url: str
) -> None:
    c = login_as(getattr(cast, who)) if who else client
    r = c.get(url)
    assert r.status_code < 500, (url, r.status_code)


def test_throttles_ignore_a_forged_x_forwarded_for(
    api: APIClient, monkeypatch: Any, settings: Any
) -> None:
    from rest_framework.settings import api_settings
    from rest_framework.throttling import AnonRateThrottle

    assert api_settings.NUM_PROXIES == 0
    monkeypatch.setattr(AnonRateThrottle, "THROTTLE_RATES", {"anon": "3/min"})
    codes = [
        api.get("/api/v1/sites/", HTTP_X_FORWARDED_FOR=f"10.0.0.{i}").status_code for i in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]
