"""Mainland resident ID-card numbers (GB 11643): 18 characters with a mod-11 check digit."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

# [0-9], not \d: \d also matches other scripts' digits, which would be stored as typed.
_ID_RE = re.compile(r"^[0-9]{17}[0-9X]$")
_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"


def id_check_digit(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalize_id_number(raw: str) -> str:
    """Return the upper-cased 18-character ID number or raise ValidationError."""
    # NFKC folds the full-width digits and Ｘ a Chinese input method may type into ASCII.
    value = unicodedata.normalize("NFKC", raw or "").strip().replace(" ", "").upper()
    if not _ID_RE.match(value):
        raise ValidationError(
            gettext("身份证号应为 18 位，最后一位可以是数字或 X。"), code="invalid_id_format"
        )
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(
            gettext("身份证号中的出生日期无效。"), code="invalid_id_birth"
        ) from None
    if birth.year < 1900 or birth > dt.date.today():
        raise ValidationError(gettext("身份证号中的出生日期无效。"), code="invalid_id_birth")
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(
            gettext("身份证号校验位不正确，请核对后重新输入。"), code="invalid_id_checksum"
        )
    return value


def mask_id_number(value: str | None) -> str:
    """110***********123X: the first three and the last four characters."""
    if not value:
        return ""
    return f"{value[:3]}{'*' * (len(value) - 7)}{value[-4:]}"


def mask_name(name: str | None) -> str:
    """张*, 欧阳**: the family name (first character) only."""
    if not name:
        return ""
    return name[0] + "*" * max(1, len(name) - 1)
