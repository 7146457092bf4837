"""Serving a private upload once a view has checked who may see it.

Uploads are never public (nothing serves ``MEDIA_URL``). A view looks the file up
through its owner (an order photo through its order), checks the viewer, and returns
``protected_file``: in production an empty response whose ``X-Accel-Redirect`` hands the
file to nginx's ``internal`` location ``MEDIA_INTERNAL_URL`` (deploy/nginx/), so no
gunicorn thread is tied up sending bytes; without it (development, tests) the file is
streamed from here.

The stored name is checked again before it is used: a name that is absolute, climbs
out with ``..`` or has a backslash or NUL answers 404 like a missing file, so even a
tampered row cannot point outside ``MEDIA_ROOT``.
"""

from __future__ import annotations

import mimetypes
import posixpath
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase

# Residents' photos: kept by the browser only, and revalidated each time so a viewer
# who loses access stops seeing them.
CACHE_CONTROL = "private, no-cache"


def safe_media_path(name: str) -> Path:
    """The file under MEDIA_ROOT that ``name`` names, or Http404."""
    if not name or "\\" in name or "\x00" in name or name.startswith("/"):
        raise Http404
    normal = posixpath.normpath(name)
    if normal != name or normal.startswith("..") or "/../" in f"/{normal}/":
        raise Http404
    root = Path(settings.MEDIA_ROOT).resolve()
    path = (root / normal).resolve()
    if root not in path.parents or not path.is_file():
        raise Http404
    return path


def protected_file(name: str | None) -> HttpResponseBase:
    """The response for the upload stored as ``name`` (``field_file.name``), which the
    caller has checked the viewer may see."""
    if not name:
        raise Http404
    path = safe_media_path(name)
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    internal = settings.MEDIA_INTERNAL_URL
    response: HttpResponseBase
    if internal:
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = f"{internal.rstrip('/')}/{quote(name)}"
    else:
        response = FileResponse(path.open("rb"), content_type=content_type)
    response["Cache-Control"] = CACHE_CONTROL
    response["Content-Disposition"] = "inline"
    return response
