"""``{{ event|event_text }}``: an order event's sentence in the reader's language
(apps.orders.timeline)."""

from __future__ import annotations

from typing import Any

from django import template

from ..timeline import event_text as _event_text

register = template.Library()


@register.filter
def event_text(event: Any) -> str:
    return _event_text(event)
