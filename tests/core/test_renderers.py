"""The API's JSON renderer (apps/core/renderers.py) writes what DRF's JSONRenderer
writes: byte for byte for every kind of value the API returns, the same JSON for floats,
and DRF's own output where orjson cannot or should not write it."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils.translation import gettext_lazy
from rest_framework.renderers import JSONRenderer as DRFRenderer
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from apps.core.renderers import JSONRenderer

SHANGHAI = ZoneInfo("Asia/Shanghai")

VALUES: list[Any] = [
    {"count": 2, "next": None, "previous": "https://example.org/api/v1/orders/?page=1"},
    {"name": "张丽", "note": "上门\u2028服务\u2029", "quote": '"引号" \\ /', "tab": "\t\n"},
    {"when": dt.datetime(2024, 6, 1, 10, 30, 5, 123456, tzinfo=SHANGHAI)},
    {"when": dt.datetime(2024, 6, 1, 2, 30, tzinfo=dt.UTC), "naive": dt.datetime(2024, 6, 1)},
    {"day": dt.date(2024, 6, 1), "at": dt.time(9, 30), "span": dt.timedelta(hours=2)},
    {"hours": decimal.Decimal("1.5"), "id": uuid.UUID("12345678-1234-5678-1234-567812345678")},
    {"label": gettext_lazy("县级中心"), "levels": ("county", "township")},
    {1: "int key", "nested": [{"a": [1, 2, {"b": None}]}, True, False]},
    ReturnDict({"a": 1}, serializer=None),
    ReturnList([{"a": 1}, {"b": "二"}], serializer=None),
    [],
    {},
    "plain",
    9007199254740993,
]


@pytest.mark.parametrize("value", VALUES, ids=range(len(VALUES)))
def test_same_bytes_as_drf(value: Any) -> None:
    assert JSONRenderer().render(value) == DRFRenderer().render(value)


def test_floats_are_the_same_numbers() -> None:
    value = {"ratio": 0.1 + 0.2, "small": 1e-7, "big": 1e16, "lat": 36.0611, "zero": 0.0}
    assert json.loads(JSONRenderer().render(value)) == json.loads(DRFRenderer().render(value))


def test_what_orjson_refuses_is_drfs_output() -> None:
    huge = {"n": 2**70}  # beyond 64 bits
    assert (
        JSONRenderer().render(huge) == DRFRenderer().render(huge) == b'{"n":1180591620717411303424}'
    )
    surrogate = {"s": "\ud800"}  # not valid Unicode: DRF's renderer refuses it too
    with pytest.raises(UnicodeEncodeError):
        DRFRenderer().render(surrogate)
    with pytest.raises(UnicodeEncodeError):
        JSONRenderer().render(surrogate)


def test_indented_output_and_nothing() -> None:
    value = {"a": [1, 2]}
    media = "application/json; indent=4"
    assert JSONRenderer().render(value, media) == DRFRenderer().render(value, media)
    assert b"\n    " in JSONRenderer().render(value, media)
    assert JSONRenderer().render(None) == b""


def test_the_api_answers_through_it(client: Any) -> None:
    from rest_framework.settings import api_settings

    assert api_settings.DEFAULT_RENDERER_CLASSES[0] is JSONRenderer
    r = client.get("/api/v1/orders/")
    assert r.status_code in (401, 403) and r.json()["code"]
