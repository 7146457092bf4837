from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from apps.core.errors import DomainError
from apps.core.pages import add_service_errors, paginate

from . import selectors, services
from .forms import SiteForm
from .models import Site
from .scoping import access_site, has_role, is_global, is_manager, scope_queryset


def directory(request: HttpRequest) -> HttpResponse:
    """Public: the county's practice network as a tree."""
    return render(request, "sites/directory.html", {"tree": selectors.county_tree()})


def detail(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(Site.objects.select_related("parent"), pk=pk, is_active=True)
    children = site.children.filter(is_active=True).order_by("path")
    return render(
        request,
        "sites/detail.html",
        {
            "site": site,
            "ancestors": site.ancestors(),
            "children": children,
        },
    )


@login_required
def manage(request: HttpRequest) -> HttpResponse:
    """Staff: the sites of their subtree; county admins can add and edit them."""
    if not is_manager(request.user):
        raise Http404
    qs = scope_queryset(
        Site.objects.select_related("parent").order_by("path"), request.user, site_field=""
    )
    page = paginate(request, qs, per_page=50)
    can_edit = is_global(request.user) or has_role(request.user, "county_admin")
    return render(request, "sites/manage.html", {"page": page, "can_edit": can_edit})


@login_required
def edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    if not (is_global(request.user) or has_role(request.user, "county_admin")):
        raise Http404
    site = None
    if pk is not None:
        try:
            site = access_site(request.user, pk)
        except DomainError:
            raise Http404 from None
    form = SiteForm(request.POST or None, initial=_initial(site))
    form.fields["parent"].queryset = scope_queryset(  # type: ignore[attr-defined]
        Site.objects.exclude(level="base").order_by("path"), request.user, site_field=""
    )
    if site is not None:
        form.fields["level"].disabled = True
        form.fields["parent"].disabled = True
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            if site is None:
                site = services.site_create(actor=request.user, **data)
                messages.success(request, f"已新建阵地：{site.name}")
            else:
                data.pop("level"), data.pop("parent")
                site = services.site_update(actor=request.user, site=site, **data)
                messages.success(request, f"已保存：{site.name}")
            return redirect("sites:manage")
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
    return render(
        request, "sites/edit.html", {"form": form, "site": site}, status=400 if form.errors else 200
    )


def _initial(site: Site | None) -> dict[str, object]:
    if site is None:
        return {"is_active": True}
    return {
        f: getattr(site, f)
        for f in (
            "name",
            "level",
            "address",
            "contact_name",
            "contact_phone",
            "latitude",
            "longitude",
            "is_active",
        )
    } | {"parent": site.parent_id}
