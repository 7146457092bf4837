"""The resident's word on an order: rate (评单), dispute (投诉) and nudge (催单)."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import ConflictError
from apps.core.types import Id

from ..models import (
    AssessmentQueue,
    ServiceOrder,
)
from .workflow import (
    NUDGE_INTERVAL,
    RATING_WINDOW,
    S,
    TooSoonError,
    check_transition,
    clean_text,
    lock_visible,
    record,
    require_resident,
)


def order_rate(*, order_id: Id, actor: User, score: Any, comment: str = "") -> ServiceOrder:
    """The ordering resident rates the service once (评单), within the rating window."""
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = 0
    if not 1 <= score <= 5:
        raise ValidationError({"score": [gettext("请打 1 到 5 分。")]})
    comment = clean_text(comment, field="comment", required=False, max_length=500)
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        require_resident(order, actor, "rate")
        check_transition(order, "rate")
        if order.rating_lapsed_at is not None:
            raise ConflictError(
                gettext("完成已超过 7 天，评价已关闭，订单已转入考核。"), code="rating_closed"
            )
        now = timezone.now()
        order.score, order.rating_comment, order.rated_at = score, comment, now
        # A disputed order stays in the county's queue.
        if order.assessment_queue != AssessmentQueue.COUNTY:
            order.assessment_queue = AssessmentQueue.TOWNSHIP
        record(
            order,
            action="rate",
            actor=actor,
            to=S.RATED,
            now=now,
            code="rated",
            params={"score": score},
            note=comment,
            fields=["score", "rating_comment", "rated_at", "assessment_queue"],
        )
    return order


def order_dispute(*, order_id: Id, actor: User, text: str) -> ServiceOrder:
    """The resident complains within 7 days of completion; the order goes to the
    county's assessment queue with the complaint attached."""
    text = clean_text(
        text, field="comment", required=True, max_length=1000, message=gettext("请写明投诉的内容。")
    )
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        require_resident(order, actor, "dispute")
        check_transition(order, "dispute")
        now = timezone.now()
        if order.disputed_at is not None:
            raise ConflictError(
                gettext("该订单已经投诉过，请等待县中心处理。"), code="already_disputed"
            )
        if order.completed_at is None or now - order.completed_at > RATING_WINDOW:
            raise ConflictError(
                gettext("服务完成已超过 7 天，不能再投诉。"), code="dispute_window_closed"
            )
        order.dispute_text, order.disputed_at = text, now
        order.assessment_queue = AssessmentQueue.COUNTY
        record(
            order,
            action="dispute",
            actor=actor,
            to=order.status,
            now=now,
            code="disputed",
            note=text,
            fields=["dispute_text", "disputed_at", "assessment_queue"],
        )
    return order


# 催单 is offered only after a sensible wait: 30 minutes after placing (staff need
# time to read and dispatch a new order), or earlier once the preferred start has
# passed (the resident is waiting at the door). ORDER_NUDGE_WAIT_MINUTES changes it.
def nudge_wait() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "ORDER_NUDGE_WAIT_MINUTES", 30))


def nudge_opens_at(order: ServiceOrder) -> dt.datetime:
    """When the resident may nudge: the first wait, then once an hour after a nudge."""
    first = min(order.created_at + nudge_wait(), order.preferred_start)
    if order.last_nudged_at is not None:
        return max(first, order.last_nudged_at + NUDGE_INTERVAL)
    return first


def order_nudge(*, order_id: Id, actor: User) -> ServiceOrder:
    """催单: the resident flags a waiting order on the dispatch board, once the first
    wait is over (``nudge_opens_at``) and at most once an hour."""
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        require_resident(order, actor, "nudge")
        check_transition(order, "nudge")
        now = timezone.now()
        if order.last_nudged_at is None and now < nudge_opens_at(order):
            wait = math.ceil((nudge_opens_at(order) - now).total_seconds() / 60)
            raise TooSoonError(
                gettext(
                    "点单后 %(after)s 分钟（或过了期望开始时间）才能催单，请 %(wait)s 分钟后再试。"
                )
                % {"after": int(nudge_wait().total_seconds() // 60), "wait": wait},
                code="nudge_too_soon",
            )
        if order.last_nudged_at is not None and now - order.last_nudged_at < NUDGE_INTERVAL:
            wait = math.ceil((NUDGE_INTERVAL - (now - order.last_nudged_at)).total_seconds() / 60)
            raise TooSoonError(
                gettext("一小时内只能催单一次，请 %(wait)s 分钟后再试。") % {"wait": wait},
                code="nudge_too_soon",
            )
        order.last_nudged_at = now
        order.nudge_count += 1
        record(
            order,
            action="nudge",
            actor=actor,
            to=order.status,
            now=now,
            code="nudged",
            params={"count": order.nudge_count},
            fields=["last_nudged_at", "nudge_count"],
        )
    return order
