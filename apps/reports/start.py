"""Start pages (/): a resident's current orders and what each waits for; staff and
county admins' day's work as counts that link to the filtered lists. Here, at the top
layer, because the counts read orders, volunteers, points and notifications alike.

The staff figures cost a fixed number of queries, whatever the scope's size: one
aggregate over the orders, one each for the assessment queue, the volunteer
applications, the failed deliveries and the rewards waiting to be handed over."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from apps.accounts.models import User
from apps.accounts.navigation import is_assessor
from apps.accounts.phone_in import proxied_elder_ids
from apps.accounts.views import home_context
from apps.notifications.models import DeliveryStatus
from apps.notifications.selectors import delivery_problems
from apps.orders import selectors as order_selectors
from apps.orders.models import OrderStatus, ServiceOrder
from apps.points.models import RedemptionStatus
from apps.points.selectors import redemption_list
from apps.sites.scoping import is_manager, scope_queryset
from apps.volunteers.models import Volunteer, VolunteerStatus

S = OrderStatus

# What an order in each state waits for, in the resident's words.
WAITS_FOR: dict[str, Any] = {
    S.SUBMITTED: _("等待工作人员派单"),
    S.DISPATCHED: _("等待志愿者接单"),
    S.ACCEPTED: _("志愿者已接单，等待上门服务"),
    S.IN_SERVICE: _("志愿者正在服务"),
    S.COMPLETED: _("服务已完成，等待您评价"),
    S.RATED: _("等待考核办结"),
}
CURRENT = list(WAITS_FOR)


@dataclass(frozen=True)
class Tile:
    key: str
    label: Any
    count: int
    url: str
    urgent: bool = False


def resident_orders(user: User, limit: int = 10) -> list[ServiceOrder]:
    """The resident's (and, for a family proxy, their elders') orders still going on."""
    residents = [user.pk, *proxied_elder_ids(user)]
    orders = list(
        ServiceOrder.objects.filter(resident_id__in=residents, status__in=CURRENT)
        .select_related("service", "resident")
        .order_by("-created_at", "-pk")[:limit]
    )
    for order in orders:
        order.waits_for = WAITS_FOR.get(order.status, "")  # type: ignore[attr-defined]
        order.for_someone_else = order.resident_id != user.pk  # type: ignore[attr-defined]
    return orders


def staff_tiles(user: User) -> list[Tile]:
    board = reverse("orders:board")
    orders = scope_queryset(ServiceOrder.objects.all(), user, site_field="site").aggregate(
        waiting=Count("pk", filter=Q(status=S.SUBMITTED)),
        overdue=Count(
            "pk",
            filter=Q(overdue_at__isnull=False, status__in=order_selectors.OPEN_STATUSES),
        ),
        nudged=Count(
            "pk",
            filter=Q(last_nudged_at__isnull=False, status__in=order_selectors.OPEN_STATUSES),
        ),
    )
    tiles = [
        Tile("waiting", _("待派单"), orders["waiting"], f"{board}?status=submitted"),
        Tile("overdue", _("超时未派"), orders["overdue"], f"{board}?overdue=1", urgent=True),
        Tile("nudged", _("群众催单"), orders["nudged"], f"{board}?nudged=1", urgent=True),
    ]
    if is_assessor(user):
        assess = order_selectors.assessment_queue(fetched_by=user).count()
        tiles.append(Tile("assess", _("待考核"), assess, reverse("orders:assessment")))
    applications = (
        scope_queryset(Volunteer.objects.all(), user).filter(status=VolunteerStatus.PENDING).count()
    )
    tiles.append(
        Tile(
            "applications",
            _("志愿者申请待审"),
            applications,
            f"{reverse('volunteers:roster')}?status=pending",
        )
    )
    failed = delivery_problems(fetched_by=user).filter(status=DeliveryStatus.FAILED).count()
    tiles.append(
        Tile(
            "deliveries",
            _("消息发送失败"),
            failed,
            reverse("notifications:deliveries"),
            urgent=True,
        )
    )
    rewards = scope_queryset(
        redemption_list(fetched_by=user, status=RedemptionStatus.PENDING), user
    ).count()
    tiles.append(Tile("rewards", _("兑换待领取"), rewards, reverse("points:handover")))
    return tiles


def home(request: HttpRequest) -> HttpResponse:
    context = home_context(request)
    user = request.user
    if isinstance(user, User) and user.is_authenticated:
        if "resident" in context["role_names"] or proxied_elder_ids(user):
            context["current_orders"] = resident_orders(user)
            context["shows_orders"] = True
        if is_manager(user):
            context["tiles"] = staff_tiles(user)
    return render(request, "home.html", context)
