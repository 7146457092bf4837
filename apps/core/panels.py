"""Panels a higher app adds to a lower app's page.

A page of ``activities`` or ``orders`` may show something that belongs to an app above
it (a finished activity's showcase posts and its "晒成果" button). The lower app cannot
import the higher one, so the higher app registers a panel here in its
``AppConfig.ready`` and the page renders whatever is registered under its slot:

    panels.register("activity_detail", showcase_panel)   # in ShowcaseConfig.ready
    {{ extra_panels }}  ← panels.render("activity_detail", request, activity)

A panel is ``fn(request, obj) -> str`` (safe HTML, "" for nothing to show).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString, mark_safe

Panel = Callable[[HttpRequest, Any], str]

_panels: dict[str, list[Panel]] = {}


def register(slot: str, panel: Panel) -> Panel:
    """Register ``panel`` for ``slot`` (idempotent: registering twice keeps one)."""
    registered = _panels.setdefault(slot, [])
    if panel not in registered:
        registered.append(panel)
    return panel


def render(slot: str, request: HttpRequest, obj: Any) -> SafeString:
    """Every panel of ``slot`` for ``obj``, joined (each panel escapes its own output)."""
    return mark_safe("".join(panel(request, obj) for panel in _panels.get(slot, [])))  # noqa: S308
