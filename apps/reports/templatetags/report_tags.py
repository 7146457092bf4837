from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.reports.figures import OVERFLOW_MINUTES

register = template.Library()


@register.filter
def minutes_bound(value: int | None) -> str:
    """A percentile read from the response-time histogram, as people read it."""
    if value is None:
        return "—"
    if value >= OVERFLOW_MINUTES:
        return _("超过 7 天")
    if value >= 1440 and value % 1440 == 0:
        days = value // 1440
        return ngettext("≤%(n)s 天", "≤%(n)s 天", days) % {"n": days}
    if value >= 60 and value % 60 == 0:
        return _("≤%(n)s 小时") % {"n": value // 60}
    return _("≤%(n)s 分钟") % {"n": value}
