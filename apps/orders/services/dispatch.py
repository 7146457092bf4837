"""Dispatch (派单): staff assign volunteers to a waiting order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import User
from apps.core.types import Id
from apps.sites.scoping import scope_queryset
from apps.volunteers.models import (
    Volunteer,
    VolunteerStatus,
)

from ..models import (
    MAX_VOLUNTEERS_PER_ORDER,
    OrderAssignment,
    ServiceOrder,
)
from .workflow import (
    A,
    S,
    check_transition,
    clean_text,
    lock_visible,
    record,
    require_dispatcher,
)


def order_dispatch(
    *, order_id: Id, actor: User, volunteer_ids: Iterable[Any], note: str = ""
) -> ServiceOrder:
    """Assign approved volunteers of the dispatcher's subtree (派单)."""
    try:
        ids = list(dict.fromkeys(int(v) for v in volunteer_ids))
    except (TypeError, ValueError):
        raise ValidationError({"volunteers": ["志愿者编号无效。"]}) from None
    if not ids:
        raise ValidationError({"volunteers": ["请至少选择一名志愿者。"]})
    if len(ids) > MAX_VOLUNTEERS_PER_ORDER:
        raise ValidationError({"volunteers": [f"一次最多派 {MAX_VOLUNTEERS_PER_ORDER} 名志愿者。"]})
    note = clean_text(note, field="note", required=False, max_length=300)
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        require_dispatcher(order, actor)
        check_transition(order, "dispatch")
        volunteers = list(
            scope_queryset(
                Volunteer.objects.filter(pk__in=ids, status=VolunteerStatus.APPROVED), actor
            ).only("pk", "real_name")
        )
        missing = sorted(set(ids) - {v.pk for v in volunteers})
        if missing:
            raise ValidationError(
                {
                    "volunteers": [
                        f"志愿者 {'、'.join(map(str, missing))} 不存在、未通过审核或不在您的管理范围内。"
                    ]
                }
            )
        existing = {a.volunteer_id: a for a in OrderAssignment.objects.filter(order_id=order.pk)}
        accepted = sum(1 for a in existing.values() if a.status == A.ACCEPTED)
        already = [
            v.real_name
            for v in volunteers
            if existing.get(v.pk) and existing[v.pk].status == A.ACCEPTED
        ]
        if already:
            raise ValidationError({"volunteers": [f"{'、'.join(already)} 已接单，无需再派。"]})
        if accepted + len(volunteers) < order.volunteers_needed:
            raise ValidationError(
                {
                    "volunteers": [
                        f"该订单需要 {order.volunteers_needed} 名志愿者，请再选 "
                        f"{order.volunteers_needed - accepted - len(volunteers)} 名。"
                    ]
                }
            )
        now = timezone.now()
        new, again = [], []
        for v in volunteers:
            row = existing.get(v.pk)
            if row is None:
                new.append(
                    OrderAssignment(
                        order=order,
                        volunteer=v,
                        assigned_by=actor,
                        assigned_at=now,
                        status=A.ASSIGNED,
                    )
                )
            else:
                again.append(row.pk)
        OrderAssignment.objects.bulk_create(new)
        if again:
            # A volunteer who declined or lapsed earlier is asked again.
            OrderAssignment.objects.filter(pk__in=again).update(
                status=A.ASSIGNED,
                assigned_by=actor,
                assigned_at=now,
                responded_at=None,
                decline_reason="",
            )
        order.dispatched_at = now
        order.overdue_at = None  # dispatched: no longer waiting, no longer flagged
        record(
            order,
            action="dispatch",
            actor=actor,
            to=S.DISPATCHED,
            now=now,
            code="dispatched_to",
            params={"names": [v.real_name for v in volunteers]},
            note=note,
            fields=["dispatched_at", "overdue_at"],
        )
    return order
