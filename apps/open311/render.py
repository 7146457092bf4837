"""GeoReport v2 bodies in XML (the spec's required format) and JSON, and its errors.

A body is built once as plain data — a list of dicts for the collections, one dict
for discovery and a service definition — and written in either format: XML wraps a
list in the spec's root and item element names (``services``/``service``,
``service_requests``/``request``), a nested list (``attributes``, ``values``,
``endpoints``, ``formats``) in its own plural/singular pair.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils import timezone

XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"

# A nested list's item element name, by its parent element's name.
ITEM_NAMES = {
    "attributes": "attribute",
    "values": "value",
    "endpoints": "endpoint",
    "formats": "format",
    "services": "service",
    "service_requests": "request",
    "errors": "error",
}


def iso(moment: dt.datetime | None) -> str | None:
    """ISO 8601 with the offset, in the portal's time zone (``…T09:00:00+08:00``)."""
    if moment is None:
        return None
    return timezone.localtime(moment).isoformat(timespec="seconds")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    # XML 1.0 cannot carry most control characters even escaped: drop them.
    return "".join(
        ch for ch in str(value) if ch in "\t\n\r" or ord(ch) >= 0x20 and ch not in "\ufffe\uffff"
    )


def _element(name: str, value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        out.append(f"<{name}>")
        for key, inner in value.items():
            _element(key, inner, out)
        out.append(f"</{name}>")
    elif isinstance(value, list):
        item = ITEM_NAMES.get(name, "item")
        out.append(f"<{name}>")
        for inner in value:
            _element(item, inner, out)
        out.append(f"</{name}>")
    else:
        text = _text(value)
        out.append(f"<{name}>{escape(text)}</{name}>" if text else f"<{name}/>")


def to_xml(root: str, body: Any) -> str:
    out = ['<?xml version="1.0" encoding="utf-8"?>']
    _element(root, body, out)
    return "".join(out)


def respond(fmt: str, root: str, body: Any, status: int = 200) -> HttpResponse:
    """``body`` as ``fmt`` ("xml" or "json"); ``root``: the XML root element."""
    if fmt == "json":
        return HttpResponse(
            json.dumps(body, ensure_ascii=False), content_type=JSON_TYPE, status=status
        )
    return HttpResponse(to_xml(root, body).encode("utf-8"), content_type=XML_TYPE, status=status)


def error(fmt: str, status: int, description: str, headers: dict[str, str] | None = None) -> Any:
    """The spec's error shape: ``<errors><error><code>…</code><description>…`` or
    ``[{"code": …, "description": …}]``, with the HTTP status as the code."""
    response = respond(fmt, "errors", [{"code": status, "description": description}], status)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
