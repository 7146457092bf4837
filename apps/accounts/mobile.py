"""Mainland mobile numbers: validation, normalisation, masking."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# 11 digits, starting 13–19 (the mainland mobile ranges).
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_SEPARATORS = re.compile(r"[\s\-()]")


def normalize_mobile(raw: str) -> str:
    """Return the 11-digit form of a mainland mobile number or raise ValidationError.

    Accepts spaces, dashes and brackets, and a +86 / 0086 / 86 country prefix.
    """
    value = _SEPARATORS.sub("", raw or "")
    for prefix in ("+86", "0086", "86"):
        if value.startswith(prefix) and len(value) == 11 + len(prefix):
            value = value[len(prefix) :]
            break
    if not MOBILE_RE.match(value):
        raise ValidationError(
            gettext("请输入有效的 11 位中国大陆手机号码。"), code="invalid_mobile"
        )
    return value


def looks_like_mobile(raw: str) -> bool:
    try:
        normalize_mobile(raw)
    except ValidationError:
        return False
    return True


def mask_mobile(mobile: str | None) -> str:
    """138****5678: the first three and last four digits."""
    if not mobile:
        return ""
    if len(mobile) < 8:
        return "*" * len(mobile)
    return f"{mobile[:3]}****{mobile[-4:]}"
