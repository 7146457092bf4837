"""Report pages: the dashboard with charts, the printable monthly/quarterly bulletin,
and the menu items needing attention with one-click retirement."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.accounts.actors import signed_in
from apps.core.errors import DomainError
from apps.orders.services import service_item_update
from apps.sites.scoping import is_manager

from .figures import summary
from .league import WEIGHTS, league_table
from .periods import parse_range, period_label
from .selectors import (
    LOW_RATING,
    MIN_RATINGS,
    UNUSED_DAYS,
    items_needing_attention,
    overdue_orders,
    report_site,
    report_sites,
)
from .showcase import posts_per_site_month, posts_total
from .themes import activities_by_theme


def _context(request: HttpRequest) -> dict[str, object]:
    if not is_manager(request.user):
        raise Http404
    try:
        site = report_site(request.user, request.GET.get("site"))
        day_from, day_to = parse_range(request.GET)
    except DomainError:
        raise Http404 from None
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        site = report_site(request.user, None)
        day_to = timezone.localdate()
        day_from = day_to - dt.timedelta(days=29)
    query = f"site={site.pk}&from={day_from.isoformat()}&to={day_to.isoformat()}"
    return {
        "site": site,
        "day_from": day_from,
        "day_to": day_to,
        "query": query,
        "sites": report_sites(request.user),
        "label": period_label(day_from, day_to),
        "bucket_choices": [("day", _("按日")), ("week", _("按周")), ("month", _("按月"))],
    }


def _showcase(site: object, day_from: object, day_to: object) -> dict[str, object]:
    rows = posts_per_site_month(site, day_from, day_to)  # type: ignore[arg-type]
    return {"showcase_rows": rows, "showcase_total": posts_total(rows)}


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    ctx = _context(request)
    site, day_from, day_to = ctx["site"], ctx["day_from"], ctx["day_to"]
    ctx.update(
        figures=summary(site, day_from, day_to).as_dict(),  # type: ignore[arg-type]
        league=league_table(site, day_from, day_to),  # type: ignore[arg-type]
        themes=activities_by_theme(site, day_from, day_to),  # type: ignore[arg-type]
        weights=WEIGHTS,
        overdue=overdue_orders(fetched_by=request.user, site=site)[:50],  # type: ignore[arg-type]
        **_showcase(site, day_from, day_to),
        bucket=request.GET.get("bucket")
        if request.GET.get("bucket") in ("day", "week", "month")
        else ("month" if (day_to - day_from).days > 92 else "day"),  # type: ignore[operator]
    )
    return render(request, "reports/dashboard.html", ctx)


@login_required
def bulletin(request: HttpRequest) -> HttpResponse:
    """每月一统计、每季一通报: a printable page for a month or quarter."""
    if not request.GET.get("period") and not request.GET.get("from"):
        last_month = timezone.localdate().replace(day=1) - dt.timedelta(days=1)
        params = request.GET.copy()
        params["period"] = f"{last_month.year}-{last_month.month:02d}"
        return redirect(f"{reverse('reports:bulletin')}?{params.urlencode()}")
    ctx = _context(request)
    site, day_from, day_to = ctx["site"], ctx["day_from"], ctx["day_to"]
    ctx.update(
        figures=summary(site, day_from, day_to).as_dict(),  # type: ignore[arg-type]
        league=league_table(site, day_from, day_to),  # type: ignore[arg-type]
        themes=activities_by_theme(site, day_from, day_to),  # type: ignore[arg-type]
        weights=WEIGHTS,
        bucket="day" if (day_to - day_from).days <= 31 else "week",  # type: ignore[operator]
        period=request.GET.get("period", ""),
        **_showcase(site, day_from, day_to),
        generated_at=timezone.localtime(),
    )
    return render(request, "reports/bulletin.html", ctx)


@login_required
def items(request: HttpRequest) -> HttpResponse:
    if not is_manager(request.user):
        raise Http404
    if request.method == "POST":
        try:
            item = service_item_update(
                actor=signed_in(request), item_id=request.POST.get("item"), is_active=False
            )
        except (DomainError, ValidationError) as exc:
            messages.error(request, getattr(exc, "message", None) or "；".join(exc.messages))  # type: ignore[union-attr]
        else:
            messages.success(request, f"已下架：{item.title}")
        return redirect("reports:items")
    return render(
        request,
        "reports/items.html",
        {
            "items": items_needing_attention(fetched_by=request.user)[:500],
            "low": LOW_RATING,
            "min_ratings": MIN_RATINGS,
            "unused_days": UNUSED_DAYS,
        },
    )
