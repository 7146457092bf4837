"""The showcase's panel on an activity's and an order's page (``apps.core.panels``):
its published posts, and the "晒成果" button for the staff who run it once the
activity is finished or the order assessed."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse

from apps.activities.models import Activity, ActivityStatus
from apps.orders.models import OrderStatus, ServiceOrder

from .models import PostStatus, ShowcasePost
from .services.workflow import may_author

SHOWN = 5


def _panel(
    request: HttpRequest, *, posts: Any, can_write: bool, query: str, public_url: str
) -> str:
    if not posts and not can_write:
        return ""
    return render_to_string(
        "showcase/_panel.html",
        {"posts": posts, "can_write": can_write, "query": query, "public_url": public_url},
        request=request,
    )


def activity_panel(request: HttpRequest, activity: Activity) -> str:
    posts = list(
        ShowcasePost.objects.filter(activity=activity, status=PostStatus.PUBLISHED).order_by(
            "-published_at", "-id"
        )[:SHOWN]
    )
    can_write = activity.status == ActivityStatus.FINISHED and may_author(
        request.user, activity.site
    )
    return _panel(
        request,
        posts=posts,
        can_write=can_write,
        query=f"activity={activity.pk}",
        public_url=reverse("showcase:activity", args=[activity.pk]),
    )


def order_panel(request: HttpRequest, order: ServiceOrder) -> str:
    posts = list(
        ShowcasePost.objects.filter(order=order, status=PostStatus.PUBLISHED).order_by(
            "-published_at", "-id"
        )[:SHOWN]
    )
    can_write = order.status == OrderStatus.ASSESSED and may_author(request.user, order.site)
    return _panel(
        request, posts=posts, can_write=can_write, query=f"order={order.pk}", public_url=""
    )
