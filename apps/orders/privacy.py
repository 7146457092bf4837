"""Who sees an order's contact mobile in full (PIPL), and the access log of reveals.

- the resident (and whoever placed the order for them) and staff whose scope holds
  the order's point: in full;
- a volunteer: in full only while their assignment is open — accepted and not yet
  checked out, on an order that is accepted or in service; masked before they accept
  and after they check out or the order closes;
- everyone else: masked (``138****5678``).

Every full reveal to someone other than the resident is written to the
personal-data access log (``apps.accounts.models.PersonalDataAccess``): within a
request, all reveals of a page or a list go in one INSERT when the response is ready
(``apps.accounts.access_log``), so a list costs the same queries at any size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import AnonymousUser

from apps.accounts.access_log import defer_reveal
from apps.accounts.mobile import mask_mobile
from apps.accounts.models import RevealedField, User
from apps.sites.scoping import can_manage_path

from .models import AssignmentStatus, OrderAssignment, OrderStatus, ServiceOrder

SERVING = (OrderStatus.ACCEPTED, OrderStatus.IN_SERVICE)


def _open(a: OrderAssignment) -> bool:
    return open_assignment(a.status, a.checked_out_at)


def mobile_visible_to(
    viewer: User | AnonymousUser | None,
    order: ServiceOrder,
    assignment: OrderAssignment | None = None,
) -> bool:
    """``assignment``: the viewer's own assignment on ``order`` when the caller has it
    (my tasks); otherwise the order's prefetched assignments are read, or queried."""

    def holds_open_assignment() -> bool:
        assert viewer is not None and viewer.pk is not None
        if assignment is not None:
            return assignment.order_id == order.pk and _open(assignment)
        cached = getattr(order, "_prefetched_objects_cache", {}).get("assignments")
        if cached is not None:
            return any(a.volunteer.user_id == viewer.pk and _open(a) for a in cached)
        return OrderAssignment.objects.filter(
            order_id=order.pk,
            volunteer__user_id=viewer.pk,
            status=AssignmentStatus.ACCEPTED,
            checked_out_at__isnull=True,
        ).exists()

    return mobile_visible(
        viewer,
        resident_id=order.resident_id,
        placed_by_id=order.placed_by_id,
        site_path=order.site.path,
        status=order.status,
        holds_open_assignment=holds_open_assignment,
    )


def mobile_visible(
    viewer: User | AnonymousUser | None,
    *,
    resident_id: int | None,
    placed_by_id: int | None,
    site_path: str,
    status: str,
    holds_open_assignment: Callable[[], bool],
) -> bool:
    """The rule above on an order's columns; ``holds_open_assignment`` is asked only
    when the answer depends on it (a volunteer on a serving order)."""
    if viewer is None or isinstance(viewer, AnonymousUser) or not viewer.is_authenticated:
        return False
    if viewer.pk in (resident_id, placed_by_id):
        return True
    if can_manage_path(viewer, site_path):
        return True
    if status not in SERVING:
        return False
    return holds_open_assignment()


def open_assignment(status: str, checked_out_at: Any) -> bool:
    """An assignment whose volunteer may call the resident (accepted, not checked out)."""
    return status == AssignmentStatus.ACCEPTED and checked_out_at is None


def contact_mobile_for(
    viewer: User | AnonymousUser | None,
    order: ServiceOrder,
    *,
    request: Any,
    assignment: OrderAssignment | None = None,
) -> str:
    """The contact mobile as ``viewer`` may see it; a full reveal is logged."""
    if not mobile_visible_to(viewer, order, assignment):
        return mask_mobile(order.contact_mobile)
    log_contact_reveal(request, viewer, order.pk, order.resident_id)
    return order.contact_mobile


def log_contact_reveal(
    request: Any, viewer: User | AnonymousUser | None, order_id: int, resident_id: int | None
) -> None:
    """Queue the access-log row of a full contact mobile shown to ``viewer``."""
    if viewer is not None and viewer.pk != resident_id:
        defer_reveal(
            request,
            viewer=viewer,
            field=RevealedField.MOBILE,
            subject_id=resident_id,
            label=f"订单 #{order_id} 联系电话",
        )
