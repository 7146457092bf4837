from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.accounts.actors import signed_in
from apps.core.errors import DomainError
from apps.core.pages import paginate, query_without_page
from apps.sites.scoping import is_manager

from . import selectors, services


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    unread = request.GET.get("unread") == "1"
    page = paginate(
        request, selectors.notification_list(user=signed_in(request), unread_only=unread)
    )
    return render(
        request,
        "notifications/inbox.html",
        {"page": page, "unread_only": unread, "query": query_without_page(request)},
    )


@login_required
@require_POST
def read(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark read and follow the message's link (if it is one of ours)."""
    try:
        note = services.notification_mark_read(user=signed_in(request), notification_id=pk)
    except DomainError:
        raise Http404 from None
    target = (
        note.url
        if note.url
        and url_has_allowed_host_and_scheme(note.url, {request.get_host()}, request.is_secure())
        else None
    )
    return redirect(target or "notifications:inbox")


@login_required
@require_POST
def read_all(request: HttpRequest) -> HttpResponse:
    n = services.notifications_mark_all_read(user=signed_in(request))
    messages.success(request, f"已将 {n} 条消息标为已读。")
    return redirect("notifications:inbox")


@login_required
def deliveries(request: HttpRequest) -> HttpResponse:
    """Staff: deliveries that failed or are waiting to be retried, in scope."""
    if not is_manager(request.user):
        raise Http404
    return render(
        request,
        "notifications/deliveries.html",
        {"page": paginate(request, selectors.delivery_problems(fetched_by=request.user))},
    )
