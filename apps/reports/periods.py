"""Parsing report periods: from/to dates, or a month (2026-10) / quarter (2026Q4)."""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from apps.core.params import MAX_DATE, MIN_DATE

MAX_DAYS = 3 * 366


def parse_range(params: Any) -> tuple[dt.date, dt.date]:
    """``from``/``to`` (YYYY-MM-DD), or ``period`` (YYYY-MM or YYYYQn); default the last
    30 days. Raises ValidationError on bad input."""
    period = (params.get("period") or "").strip()
    if period:
        return parse_period(period)
    today = timezone.localdate()
    try:
        day_to = dt.date.fromisoformat(params["to"]) if params.get("to") else today
        day_from = (
            dt.date.fromisoformat(params["from"])
            if params.get("from")
            else day_to - dt.timedelta(days=29)
        )
    except ValueError:
        raise ValidationError({"from": ["日期格式应为 YYYY-MM-DD。"]}) from None
    for name, day in (("from", day_from), ("to", day_to)):
        if not MIN_DATE <= day <= MAX_DATE:
            raise ValidationError({name: [f"日期应在 {MIN_DATE} 到 {MAX_DATE} 之间。"]})
    if day_from > day_to:
        raise ValidationError({"from": ["开始日期不能晚于结束日期。"]})
    if (day_to - day_from).days > MAX_DAYS:
        raise ValidationError({"from": ["统计区间最长三年。"]})
    return day_from, day_to


def parse_period(period: str) -> tuple[dt.date, dt.date]:
    year_match = re.match(r"(\d{4})", period)
    if year_match and not MIN_DATE.year <= int(year_match.group(1)) <= MAX_DATE.year:
        raise ValidationError({"period": [f"年份应在 {MIN_DATE.year} 到 {MAX_DATE.year} 之间。"]})
    m = re.fullmatch(r"(\d{4})-(\d{1,2})", period)
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12:
            return dt.date(year, month, 1), dt.date(
                year, month, calendar.monthrange(year, month)[1]
            )
    m = re.fullmatch(r"(\d{4})Q([1-4])", period.upper())
    if m:
        year, q = int(m.group(1)), int(m.group(2))
        first = dt.date(year, 3 * q - 2, 1)
        last_month = 3 * q
        return first, dt.date(year, last_month, calendar.monthrange(year, last_month)[1])
    raise ValidationError({"period": ["期间格式应为 2026-10（月）或 2026Q4（季度）。"]})


def period_label(day_from: dt.date, day_to: dt.date) -> str:
    """The period as its reader says it: 2026年11月 / November 2026, 2026年第4季度 /
    Q4 2026, or the two dates."""
    if day_from.day == 1 and day_to == dt.date(
        day_to.year, day_to.month, calendar.monthrange(day_to.year, day_to.month)[1]
    ):
        months = (day_to.year - day_from.year) * 12 + day_to.month - day_from.month + 1
        if months == 1:
            return date_format(day_from, "YEAR_MONTH_FORMAT")
        if months == 3 and day_from.month in (1, 4, 7, 10):
            return _("%(year)s年第%(quarter)s季度") % {
                "year": day_from.year,
                "quarter": (day_from.month - 1) // 3 + 1,
            }
    return _("%(start)s 至 %(end)s") % {"start": day_from.isoformat(), "end": day_to.isoformat()}
