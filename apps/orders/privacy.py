"""Who sees an order's contact mobile in full (PIPL), and the access log of reveals.

- the resident (and whoever placed the order for them) and staff whose scope holds
  the order's point: in full;
- a volunteer: in full only while their assignment is open — accepted and not yet
  checked out, on an order that is accepted or in service; masked before they accept
  and after they check out or the order closes;
- everyone else: masked (``138****5678``).

Every full reveal to someone other than the resident is written to the
personal-data access log (``apps.accounts.models.PersonalDataAccess``).
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from apps.accounts.access_log import log_reveals
from apps.accounts.mobile import mask_mobile
from apps.accounts.models import RevealedField, User
from apps.sites.scoping import can_manage_site

from .models import AssignmentStatus, OrderAssignment, OrderStatus, ServiceOrder

SERVING = (OrderStatus.ACCEPTED, OrderStatus.IN_SERVICE)


def mobile_visible_to(viewer: User | AnonymousUser | None, order: ServiceOrder) -> bool:
    if viewer is None or isinstance(viewer, AnonymousUser) or not viewer.is_authenticated:
        return False
    if viewer.pk in (order.resident_id, order.placed_by_id):
        return True
    if can_manage_site(viewer, order.site):
        return True
    return (
        order.status in SERVING
        and OrderAssignment.objects.filter(
            order_id=order.pk,
            volunteer__user=viewer,
            status=AssignmentStatus.ACCEPTED,
            checked_out_at__isnull=True,
        ).exists()
    )


def contact_mobile_for(
    viewer: User | AnonymousUser | None, order: ServiceOrder, *, source: str
) -> str:
    """The contact mobile as ``viewer`` may see it; a full reveal is logged."""
    if not mobile_visible_to(viewer, order):
        return mask_mobile(order.contact_mobile)
    if viewer is not None and viewer.pk != order.resident_id:
        log_reveals(
            viewer=viewer,
            field=RevealedField.MOBILE,
            subjects=[(order.resident_id, f"订单 #{order.pk} 联系电话")],
            source=source,
        )
    return order.contact_mobile
