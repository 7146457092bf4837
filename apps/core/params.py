"""One validation layer for query parameters and ids from outside.

Every filter a page or an API endpoint reads from the query string goes through these
fields (DRF serializer fields, usable by pages as well through ``clean_query``), so a
NUL byte, an out-of-range date or an id that no database column can hold answers 400
with a stable code instead of reaching the database:

- ``TextParam``: no NUL or other control characters, at most 200 characters;
- ``IdParam``: a positive integer that fits a BIGINT primary key;
- ``DateParam``: an ISO date between 1900-01-01 and 2100-12-31.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError
from rest_framework import serializers

MAX_ID = 2**63 - 1  # BigAutoField
MIN_DATE, MAX_DATE = dt.date(1900, 1, 1), dt.date(2100, 12, 31)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_characters(value: str) -> bool:
    return bool(_CONTROL.search(value))


class TextParam(serializers.CharField):
    default_error_messages = {"control_characters": "不能包含控制字符。"}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_blank", True)
        kwargs.setdefault("max_length", 200)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if has_control_characters(value):
            self.fail("control_characters")
        return value


class IdParam(serializers.IntegerField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, str) and len(data) > 20:
            self.fail("max_value", max_value=MAX_ID)
        return int(super().to_internal_value(data))


class DateParam(serializers.DateField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def to_internal_value(self, value: Any) -> dt.date:
        day = super().to_internal_value(value)
        if not MIN_DATE <= day <= MAX_DATE:
            raise serializers.ValidationError(
                f"日期应在 {MIN_DATE.isoformat()} 到 {MAX_DATE.isoformat()} 之间。",
                code="out_of_range",
            )
        return day


def clean_query(serializer_class: type[serializers.Serializer[Any]], params: Any) -> dict[str, Any]:
    """Validate ``params`` (a QueryDict or mapping) with ``serializer_class``; the
    validated values, or a Django ``ValidationError`` (pages show it, the API answers
    400 ``invalid``)."""
    data: Mapping[str, Any] = {k: params.get(k) for k in params}
    s = serializer_class(data={k: v for k, v in data.items() if v not in (None, "")})
    if not s.is_valid():
        raise ValidationError({k: [str(e) for e in v] for k, v in s.errors.items()})
    return dict(s.validated_data)


def id_or_none(value: Any) -> int | None:
    """An id from outside, or None when it cannot be one (callers answer 404)."""
    try:
        n = int(str(value))
    except (TypeError, ValueError):
        return None
    return n if 1 <= n <= MAX_ID else None
