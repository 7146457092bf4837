"""My tasks (我的任务): a volunteer's assignments, open or done, each with one badge
that says where it stands, and who a partner still waits for."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from apps.accounts.actors import signed_in
from apps.core.pages import paginate

from . import selectors, services
from .models import AssignmentStatus, OrderAssignment, OrderStatus
from .views import _decorate

A = AssignmentStatus
FILTERS = ("open", "done", "all")


def badge(a: OrderAssignment) -> tuple[str, str]:
    """One badge per task, never two that contradict ("已接单" beside "已考核"): the
    volunteer's own answer while it is what matters, the order's state after that."""
    if a.status in (A.DECLINED, A.LAPSED):
        return str(a.get_status_display()), "status-bad"
    if a.status == A.ASSIGNED:
        return str(a.get_status_display()), "status-warn"
    order = a.order
    if order.status == OrderStatus.DISPATCHED:
        return _("已接单，等同伴"), "status-warn"
    return str(order.get_status_display()), getattr(order, "status_class", "")


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    show = request.GET.get("show", "open")
    show = show if show in FILTERS else "open"
    qs = selectors.my_tasks(user, open_only=show == "open")
    if show == "done":
        qs = qs.exclude(Q(status=A.ASSIGNED) | Q(status=A.ACCEPTED, checked_out_at__isnull=True))
    # The partners still to answer, for "waiting for 陈静 to accept" (one query a page).
    qs = qs.prefetch_related(
        Prefetch(
            "order__assignments",
            queryset=OrderAssignment.objects.filter(status=A.ASSIGNED).select_related("volunteer"),
            to_attr="open_requests",
        )
    )
    page = paginate(request, qs, per_page=20)
    for a in page.object_list:
        _decorate(a.order)
        a.actions = services.actions_for(a.order, user, a)  # type: ignore[attr-defined]
        a.badge, a.badge_class = badge(a)  # type: ignore[attr-defined]
        waiting_for = [
            o.volunteer.real_name
            for o in getattr(a.order, "open_requests", [])
            if o.volunteer_id != a.volunteer_id
        ]
        a.waiting_for = (  # type: ignore[attr-defined]
            "、".join(waiting_for)
            if a.status == A.ACCEPTED and a.order.status == OrderStatus.DISPATCHED
            else ""
        )
    return render(request, "orders/my_tasks.html", {"page": page, "show": show, "filters": FILTERS})
