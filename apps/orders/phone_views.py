"""Pages for phone-in orders (电话点单) and family proxies (家属代办)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.accounts.actors import signed_in
from apps.accounts.mobile import normalize_mobile
from apps.accounts.models import FamilyProxy, RoleName, User
from apps.accounts.phone_in import family_proxy_link, family_proxy_unlink
from apps.core.errors import DomainError
from apps.core.pages import add_service_errors
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import is_global, is_manager, managed_paths, path_q, scope_queryset

from . import services
from .phone_forms import FamilyLinkForm, PhoneOrderForm
from .views import _menu_for_scope as menu_for_scope


def _village_points(user: User) -> QuerySet[Site]:
    return scope_queryset(
        Site.objects.filter(level=SiteLevel.VILLAGE, is_active=True), user, site_field=""
    ).order_by("path")


@login_required
def phone_order(request: HttpRequest) -> HttpResponse:
    """电话点单: register the caller if new, record the call and place the order."""
    actor = signed_in(request)
    if not is_manager(actor):
        raise Http404
    form = PhoneOrderForm(
        request.POST or None, menu=menu_for_scope(actor), sites=_village_points(actor)
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order, created = services.phone_order_place(
                actor=actor,
                idempotency_key=data["token"],
                called_at=data["called_at"],
                request=data["request"],
                site=data["site"],
                service=data["service"],
                preferred_start=data["preferred_start"],
                preferred_end=data["preferred_end"],
                address=data["address"],
                caller_name=data["caller_name"],
                caller_mobile=data.get("caller_mobile", ""),
                caller_landline=data.get("caller_landline", ""),
                note=data.get("note", ""),
                volunteers_needed=data.get("volunteers_needed"),
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
        else:
            if created:
                messages.success(
                    request,
                    f"已记录来电并为{order.resident.display_name}点单，订单号 {order.pk}。",
                )
            else:
                messages.info(request, f"这通来电已经登记过（订单号 {order.pk}）。")
            return redirect("orders:detail", order.pk)
    return render(
        request,
        "orders/phone_order.html",
        {"form": form},
        status=400 if form.errors else 200,
    )


@login_required
def family(request: HttpRequest) -> HttpResponse:
    """Staff link a family member to an elderly resident of their subtree."""
    actor = signed_in(request)
    if not is_manager(actor):
        raise Http404
    form = FamilyLinkForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        elder = None
        try:
            elder = User.objects.filter(
                mobile=normalize_mobile(form.cleaned_data["elder_mobile"])
            ).first()
        except ValidationError as exc:
            form.add_error("elder_mobile", exc.messages[0])
        else:
            if elder is None:
                form.add_error("elder_mobile", "没有找到这个手机号登记的群众。")
        if elder is not None:
            try:
                link = family_proxy_link(
                    actor=actor,
                    elder=elder,
                    proxy_mobile=form.cleaned_data["proxy_mobile"],
                    relation=form.cleaned_data["relation"],
                )
            except (ValidationError, DomainError) as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request,
                    f"{link.proxy.display_name} 现在可以为 {elder.display_name} 点单、催单和评价。",
                )
                return redirect("orders:family")
    paths = managed_paths(actor)
    links = FamilyProxy.objects.select_related("elder", "proxy").order_by("-created_at")
    if not is_global(actor):
        links = links.filter(
            elder__roles__role=RoleName.RESIDENT,
            elder__roles__site__in=Site.objects.filter(path_q(paths, "")),
        ).distinct()
    return render(
        request,
        "orders/family.html",
        {"form": form, "links": links[:200]},
        status=400 if form.errors else 200,
    )


@login_required
@require_POST
def family_unlink(request: HttpRequest, pk: int) -> HttpResponse:
    actor = signed_in(request)
    try:
        family_proxy_unlink(actor=actor, link_id=pk)
    except DomainError:
        raise Http404 from None
    messages.success(request, "已解除家属代办。")
    return redirect("orders:family" if is_manager(actor) else "orders:my_orders")
