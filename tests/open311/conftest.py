"""Open311 fixtures: the order fixtures (``v`` volunteers, ``m`` menu, ``flow``) and
``key``: an integrator's key issued by the county admin for town1's subtree."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from apps.open311.keys import api_key_issue
from apps.open311.models import ApiKey
from tests.orders.conftest import flow, m, v  # noqa: F401 - re-exported fixtures


@dataclass
class Issued:
    key: ApiKey
    raw: str


@pytest.fixture
def key(cast: Any, tree: Any) -> Issued:
    row, raw = api_key_issue(actor=cast.county, name="12345 热线", site=tree.town1)
    return Issued(row, raw)


@pytest.fixture
def county_key(cast: Any, tree: Any) -> Issued:
    row, raw = api_key_issue(actor=cast.county, name="融媒体中心", site=tree.county)
    return Issued(row, raw)
