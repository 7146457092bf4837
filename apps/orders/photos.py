"""Service photos, served only to people who may see their order.

Anyone else — another township's staff, a visitor who is not signed in, a guessed id —
gets the same 404 as a photo that does not exist (no redirect to the login page, which
would tell a stranger the photo is there)."""

from __future__ import annotations

from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_safe

from apps.core.errors import NotFoundError
from apps.core.media import protected_file

from . import selectors


@require_safe
def photo(request: HttpRequest, pk: int, variant: str = "image") -> HttpResponseBase:
    try:
        found = selectors.access_photo(request.user, pk)
    except NotFoundError:
        raise Http404 from None
    return protected_file((found.thumbnail if variant == "thumb" else found.image).name)
