"""Dispatch (派单): staff assign volunteers to a waiting order."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.types import Id
from apps.core.wording import list_text
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
        raise ValidationError({"volunteers": [gettext("志愿者编号无效。")]}) from None
    if not ids:
        raise ValidationError({"volunteers": [gettext("请至少选择一名志愿者。")]})
    if len(ids) > MAX_VOLUNTEERS_PER_ORDER:
        raise ValidationError(
            {
                "volunteers": [
                    gettext("一次最多派 %(n)s 名志愿者。") % {"n": MAX_VOLUNTEERS_PER_ORDER}
                ]
            }
        )
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
                        gettext("志愿者 %(ids)s 不存在、未通过审核或不在您的管理范围内。")
                        % {"ids": list_text(missing)}
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
            raise ValidationError(
                {
                    "volunteers": [
                        gettext("%(names)s 已接单，无需再派。") % {"names": list_text(already)}
                    ]
                }
            )
        if accepted + len(volunteers) < order.volunteers_needed:
            raise ValidationError(
                {
                    "volunteers": [
                        gettext("该订单需要 %(needed)s 名志愿者，请再选 %(more)s 名。")
                        % {
                            "needed": order.volunteers_needed,
                            "more": order.volunteers_needed - accepted - len(volunteers),
                        }
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
