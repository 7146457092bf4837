"""批量考核: approve the uncontested orders of the assessment queue in one confirmation."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.actors import signed_in

from . import selectors, services
from .views import _decorate


def _posted_ids(request: HttpRequest) -> list[int]:
    ids = []
    for raw in request.POST.getlist("orders"):
        if raw.isdigit() and len(raw) <= 12:
            ids.append(int(raw))
    return ids


@login_required
def bulk_assess(request: HttpRequest) -> HttpResponse:
    """GET: the uncontested orders waiting for the user's assessment, listed with their
    hours, and one confirmation. POST: the listed orders (their ids in the form, so
    nothing that appeared after the page was shown is approved unseen) go through
    ``orders_bulk_assess``; back to the queue with what was done and what skipped."""
    user = signed_in(request)
    if not services.is_assessor(user):
        raise Http404
    if request.method == "POST":
        ids = _posted_ids(request)
        try:
            result = services.orders_bulk_assess(actor=user, order_ids=ids)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            return redirect("orders:bulk_assess")
        done, skipped = len(result["assessed"]), len(result["skipped"])
        text = ngettext("已批量考核通过 %(n)s 张订单。", "已批量考核通过 %(n)s 张订单。", done) % {
            "n": done
        }
        if skipped:
            text += " " + _("%(n)s 张已不符合条件或已考核，未处理。") % {"n": skipped}
        messages.success(request, text)
        return redirect("orders:assessment")
    orders = selectors.assessment_uncontested(fetched_by=user, limit=services.BULK_ASSESS_MAX)
    for order in orders:
        _decorate(order)
    return render(
        request, "orders/bulk_assess.html", {"orders": orders, "limit": services.BULK_ASSESS_MAX}
    )
