"""``{% contact_mobile order %}``: the order's contact mobile as the viewer may see it
(a tel: link when shown in full, and the reveal logged); see apps.orders.privacy."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html

from ..privacy import contact_mobile_for

register = template.Library()


@register.simple_tag(takes_context=True)
def contact_mobile(context: Any, order: Any, assignment: Any = None) -> str:
    request = context.get("request")
    viewer = getattr(request, "user", None)
    shown = contact_mobile_for(viewer, order, request=request, assignment=assignment)
    if "*" in shown:
        return format_html("{}", shown)
    return format_html('<a href="tel:{}">{}</a>', shown, shown)
