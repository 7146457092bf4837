"""A published post as the outside world reads it: its absolute URL, image URLs and
full text as HTML (the feeds, the webhook event). ``base`` is the portal's origin
(``request.build_absolute_uri("/")`` in a view, ``settings.PORTAL_BASE_URL`` outside
a request)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils.html import escape, linebreaks

from .models import PostPhoto, ShowcasePost


def origin(base: str | None = None) -> str:
    return (base or settings.PORTAL_BASE_URL).rstrip("/")


def post_url(post: ShowcasePost, base: str | None = None) -> str:
    return origin(base) + reverse("showcase:detail", args=[post.pk])


def photo_url(photo: PostPhoto, variant: str = "web", base: str | None = None) -> str:
    return origin(base) + reverse("showcase:photo", args=[photo.pk, variant])


def photos_of(post: ShowcasePost) -> list[PostPhoto]:
    """The photos in order (from the prefetch when the caller made one)."""
    return sorted(post.photos.all(), key=lambda p: (p.position, p.pk))


def content_html(post: ShowcasePost, base: str | None = None) -> str:
    """The full text as paragraphs (escaped: authors type plain text), then the photos."""
    parts = [linebreaks(escape(post.body))]
    for photo in photos_of(post):
        alt = escape(photo.caption or post.title)
        parts.append(
            f'<p><img src="{photo_url(photo, "web", base)}" alt="{alt}" '
            f'width="{photo.width}" height="{photo.height}"></p>'
        )
    return "\n".join(parts)


def image_urls(post: ShowcasePost, base: str | None = None) -> list[str]:
    return [photo_url(p, "web", base) for p in photos_of(post)]
