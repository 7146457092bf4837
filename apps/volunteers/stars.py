"""Star levels from cumulative hours, as a Python function and as a SQL expression."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db.models import Case, IntegerField, Value, When


def thresholds() -> list[Decimal]:
    return [Decimal(str(t)) for t in settings.VOLUNTEER_STAR_THRESHOLDS]


def star_level_for(hours: Decimal | float | int) -> int:
    hours = Decimal(str(hours))
    return sum(1 for t in thresholds() if hours >= t)


def next_level_hours(hours: Decimal) -> Decimal | None:
    """Hours still needed for the next star, or None at the top level."""
    for t in thresholds():
        if hours < t:
            return t - hours
    return None


def star_level_case(hours_field: str = "hours") -> Case:
    """The same rule as one SQL CASE, for set-based recomputes
    (``Volunteer.objects.update(star_level=star_level_case())``)."""
    whens = [
        When(**{f"{hours_field}__gte": t}, then=Value(level))
        for level, t in reversed(list(enumerate(thresholds(), start=1)))
    ]
    return Case(*whens, default=Value(0), output_field=IntegerField())


def star_level_sql(total: str) -> str:
    """The same rule as raw SQL over the expression ``total`` (hours), for the
    set-based statements written by hand (the recompute, the nightly settlement)."""
    whens = " ".join(
        f"WHEN {total} >= {t} THEN {level}"
        for level, t in reversed(list(enumerate(thresholds(), start=1)))
    )
    return f"CASE {whens} ELSE 0 END"
