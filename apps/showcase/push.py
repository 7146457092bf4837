"""The webhook push to the county media center's app (双中心融合): when a post is
published or withdrawn, one signed JSON event through the notifications outbox
(``apps.notifications.outbox.queue_signed_event``: retried with backoff, exactly once
per event id). The event id is ``showcase-event-<PostEvent id>``: stable across
retries, unique per move.

Body (UTF-8 JSON)::

    {"id": "showcase-event-42", "type": "post.published" | "post.unpublished",
     "occurred_at": "2026-12-03T10:00:00+08:00",
     "post": {"id", "url", "title", "site": {"id", "name"}, "published_at",
              "content_html", "images": [absolute URLs]}   # published
     "post": {"id", "url", "reason"}                          # unpublished
    }
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.utils import timezone

from apps.notifications.outbox import queue_signed_event
from apps.sites.models import SiteLevel

from .content import content_html, image_urls, post_url
from .models import PostEvent, ShowcasePost


def event_id(event: PostEvent) -> str:
    return f"showcase-event-{event.pk}"


def event_body(post: ShowcasePost, event: PostEvent) -> dict[str, Any]:
    published = event.action == "publish"
    data: dict[str, Any] = {"id": post.pk, "url": post_url(post)}
    if published:
        data |= {
            "title": post.title,
            "site": {"id": post.site_id, "name": post.site.name},
            "published_at": timezone.localtime(post.published_at).isoformat()
            if post.published_at
            else None,
            "content_html": content_html(post),
            "images": image_urls(post),
        }
    else:
        data["reason"] = post.unpublish_reason
    return {
        "id": event_id(event),
        "type": "post.published" if published else "post.unpublished",
        "occurred_at": timezone.localtime(event.created_at).isoformat(),
        "post": data,
    }


def queue_post_event(post: ShowcasePost, event: PostEvent) -> bool:
    """Queue the event for the media center (in the caller's transaction: it goes only
    if the move commits). No URL configured: nothing to do."""
    url = settings.MEDIA_CENTER_WEBHOOK_URL
    if not url:
        return False
    body = json.dumps(event_body(post, event), ensure_ascii=False, sort_keys=True).encode("utf-8")
    # Filed under the county: its staff see a failing push on the delivery problems page.
    county = next((s for s in post.site.ancestors() if s.level == SiteLevel.COUNTY), None)
    return queue_signed_event(
        url=url,
        event_id=event_id(event),
        body=body,
        subject=f"晒成果 {event.action}: {post.title}",
        site=county,
    )
