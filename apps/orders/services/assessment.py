"""Assessment (考核定单): confirm the hours, and the job that sends unrated orders on."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext as _

from apps.accounts.models import User
from apps.core.errors import ConflictError, DomainError, PermissionDeniedError
from apps.core.types import Id
from apps.core.wording import list_text
from apps.sites.models import SiteLevel
from apps.sites.scoping import held_roles, is_global

from ..models import (
    AssessmentQueue,
    OrderAssignment,
    OrderEvent,
    ServiceOrder,
    measured_hours,
)
from .workflow import (
    RATING_WINDOW,
    A,
    S,
    check_transition,
    clean_hours,
    clean_text,
    lock_visible,
    record,
)


def measured_of(assignment: OrderAssignment) -> Decimal:
    """The measured time of a checked-out assignment (the hours rule, ``measured_hours``)."""
    assert assignment.checked_in_at is not None and assignment.checked_out_at is not None
    return measured_hours(assignment.checked_in_at, assignment.checked_out_at)


def is_assessor(user: User | AnonymousUser) -> bool:
    """Holds a staff role at a township or the county (who may assess at all)."""
    return is_global(user) or any(
        r.role in ("staff", "county_admin")
        and r.site_level in (SiteLevel.COUNTY, SiteLevel.TOWNSHIP)
        for r in held_roles(user)
    )


def can_assess(user: User, order: ServiceOrder) -> bool:
    """Township or county staff whose scope holds the order's point; complaints
    (the county queue) only county staff."""
    if is_global(user):
        return True
    levels = (
        {SiteLevel.COUNTY}
        if order.assessment_queue == AssessmentQueue.COUNTY
        else {SiteLevel.COUNTY, SiteLevel.TOWNSHIP}
    )
    return any(
        r.role in ("staff", "county_admin")
        and r.site_level in levels
        and order.site.path.startswith(r.site_path)
        for r in held_roles(user)
    )


def assessing_site_id(user: User, order: ServiceOrder) -> int:
    """The site on whose behalf ``user`` assesses ``order``: the deepest township or
    county site where they hold a staff role covering the order's point (for a
    superuser, the county center)."""
    candidates = [
        r
        for r in held_roles(user)
        if r.role in ("staff", "county_admin")
        and r.site_level in (SiteLevel.COUNTY, SiteLevel.TOWNSHIP)
        and order.site.path.startswith(r.site_path)
    ]
    if candidates:
        return max(candidates, key=lambda r: len(r.site_path)).site_id
    return order.site.ancestor_ids()[0]


def order_assess(
    *,
    order_id: Id,
    actor: User,
    approved: bool,
    hours: Mapping[Any, Any] | None = None,
    comment: str = "",
) -> ServiceOrder:
    """考核定单: confirm the service hours (per volunteer; service time only, defaults
    to the reported hours). Approved → ``assessed`` with ``assessed_at`` (the nightly
    settlement's key); not approved → ``rejected``, nothing to settle."""
    if not isinstance(approved, bool):
        raise ValidationError({"approved": [gettext("请选择通过或不通过。")]})
    comment = clean_text(
        comment,
        field="comment",
        required=not approved,
        max_length=500,
        message=gettext("不通过时请填写考核意见。"),
    )
    given: dict[int, Decimal] = {}
    for key, value in (hours or {}).items():
        try:
            vid = int(key)
        except (TypeError, ValueError):
            raise ValidationError(
                {"hours": [gettext("志愿者编号无效：%(id)s") % {"id": key}]}
            ) from None
        given[vid] = clean_hours(value, field="hours", allow_zero=True)
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        check_transition(order, "assess")
        if not can_assess(actor, order):
            raise PermissionDeniedError(
                gettext("只有乡镇实践所或县级中心的工作人员可以考核；有投诉的订单由县级中心考核。")
                if order.assessment_queue == "county"
                else gettext("只有乡镇实践所或县级中心的工作人员可以考核。"),
                code="not_assessor",
            )
        if order.assessment_queue == AssessmentQueue.NONE:
            raise ConflictError(
                gettext("订单尚未进入考核：请等待群众评价（或完成满 7 天）。"),
                code="not_ready_for_assessment",
            )
        if OrderAssignment.objects.filter(order_id=order.pk, volunteer__user=actor).exists():
            # Hours are money-like: nobody confirms hours on an order they served on
            # (or were dispatched to).
            raise PermissionDeniedError(
                gettext("您参与了这张单的服务，不能考核自己的服务时长。"), code="own_order"
            )
        served = list(
            OrderAssignment.objects.select_related("volunteer").filter(
                order_id=order.pk, status=A.ACCEPTED, checked_out_at__isnull=False
            )
        )
        by_volunteer = {a.volunteer_id: a for a in served}
        unknown = sorted(set(given) - set(by_volunteer))
        if unknown:
            raise ValidationError(
                {
                    "hours": [
                        gettext("志愿者 %(ids)s 没有参与这张单的服务。")
                        % {"ids": list_text(unknown)}
                    ]
                }
            )
        over = [
            gettext("%(name)s（最多 %(hours)s 小时）")
            % {"name": a.volunteer.real_name, "hours": measured_of(a)}
            for a in served
            if a.volunteer_id in given and given[a.volunteer_id] > measured_of(a)
        ]
        if over:
            raise ValidationError(
                {
                    "hours": [
                        gettext("确认的时长不能超过签到到签退的时间：%(list)s")
                        % {"list": list_text(over)}
                    ]
                }
            )
        now = timezone.now()
        order.assessed_by, order.assessed_at = actor, now
        order.assessed_site_id = assessing_site_id(actor, order)
        order.assessment_approved, order.assessment_comment = approved, comment
        fields = [
            "assessed_by",
            "assessed_at",
            "assessed_site",
            "assessment_approved",
            "assessment_comment",
        ]
        if approved:
            for a in served:
                a.confirmed_hours = given.get(a.volunteer_id, a.reported_hours)
            OrderAssignment.objects.bulk_update(served, ["confirmed_hours"])
            total = sum((a.confirmed_hours or Decimal("0") for a in served), Decimal("0"))
            record(
                order,
                action="assess",
                actor=actor,
                to=S.ASSESSED,
                now=now,
                code="assessed_passed",
                params={
                    "total": str(total),
                    "hours_by_volunteer": [
                        [a.volunteer.real_name, str(a.confirmed_hours)] for a in served
                    ],
                },
                note=comment,
                fields=fields,
            )
        else:
            order.closed_at, order.close_reason = now, comment
            record(
                order,
                action="assess",
                actor=actor,
                to=S.REJECTED,
                now=now,
                code="assessed_failed",
                note=comment,
                fields=[*fields, "closed_at", "close_reason"],
            )
    return order


def orders_lapse_unrated(*, now: dt.datetime | None = None, batch_size: int = 500) -> int:
    """Completed orders the resident did not rate within 7 days move on to assessment,
    unrated (the township queue). Set-based, in batches, idempotent: an order is
    claimed only while ``assessment_queue`` is empty, so a rerun claims nothing twice.
    Rows locked by a resident rating right now are skipped and seen on the next run."""
    now = now or timezone.now()
    cutoff = now - RATING_WINDOW
    total = 0
    while True:
        with transaction.atomic():
            ids = list(
                ServiceOrder.objects.select_for_update(skip_locked=True)
                .filter(
                    status=S.COMPLETED,
                    assessment_queue=AssessmentQueue.NONE,
                    completed_at__lte=cutoff,
                )
                .order_by("completed_at", "pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                return total
            ServiceOrder.objects.filter(pk__in=ids).update(
                assessment_queue=AssessmentQueue.TOWNSHIP, rating_lapsed_at=now
            )
            OrderEvent.objects.bulk_create(
                [
                    OrderEvent(
                        order_id=pk,
                        actor=None,
                        action="lapse_rating",
                        from_status=S.COMPLETED,
                        to_status=S.COMPLETED,
                        code="auto_assess_after_7_days",
                        created_at=now,
                    )
                    for pk in ids
                ]
            )
        total += len(ids)


# --- bulk assessment ---------------------------------------------------------------------------
BULK_ASSESS_MAX = 100
UNCONTESTED_MIN_SCORE = 4


def uncontested_reason(order: ServiceOrder) -> str | None:
    """Why ``order`` may not be assessed in bulk, or None when it is uncontested: rated
    at least 4, no complaint (the township queue), every volunteer who served checked
    out with reported hours within the measured time. ``order.assignments`` is read
    as prefetched where it was."""
    if order.status != S.RATED or order.score is None:
        return "not_rated"
    if order.score < UNCONTESTED_MIN_SCORE:
        return "low_score"
    if order.assessment_queue != AssessmentQueue.TOWNSHIP or order.disputed_at is not None:
        return "disputed"
    served = [a for a in order.assignments.all() if a.status == A.ACCEPTED]
    if not served:
        return "no_service"
    for a in served:
        if a.checked_in_at is None or a.checked_out_at is None:
            return "no_presence"
        if a.reported_hours is None or a.reported_hours > measured_of(a):
            return "hours_exceed_measured"
    return None


def orders_bulk_assess(*, actor: User, order_ids: list[int]) -> dict[str, list[int]]:
    """批量考核: approve several uncontested orders with their reported hours, each
    through ``order_assess`` (its own transaction, row lock, transition check and event,
    exactly as one by one). An order that is no longer uncontested, is already assessed
    (a repeated submit), is outside ``actor``'s scope or was served by ``actor`` is
    skipped, not failed: the answer says which were assessed and which skipped."""
    ids = sorted({int(i) for i in order_ids})
    if not ids or len(ids) > BULK_ASSESS_MAX:
        raise ValidationError(
            {"orders": [_("请至少选择一张订单（一次最多 %(n)s 张）。") % {"n": BULK_ASSESS_MAX}]}
        )
    assessed: list[int] = []
    skipped: list[int] = []
    for order_id in ids:
        try:
            with transaction.atomic():
                reason = uncontested_reason(lock_visible(order_id, actor))
                if reason is not None:
                    raise ConflictError(gettext("不是无争议订单。"), code=reason)
                order_assess(order_id=order_id, actor=actor, approved=True, comment="")
        except (DomainError, ValidationError):
            skipped.append(order_id)
        else:
            assessed.append(order_id)
    return {"assessed": assessed, "skipped": skipped}
