"""The demo county's integrator key works over Open311 and is issued once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from apps.open311.demo import DEMO_KEY
from apps.open311.models import ApiKey
from apps.sites.models import Site

pytestmark = pytest.mark.django_db


def test_the_demo_key_lists_the_county_menu(client):
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    call_command("seed_demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert ApiKey.objects.count() == 1
    county = Site.objects.get(level="county")
    response = client.get(
        "/open311/v2/services.json", {"jurisdiction_id": county.code, "api_key": DEMO_KEY}
    )
    assert response.status_code == 200 and len(response.json()) > 3
