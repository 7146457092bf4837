"""The county admins' page for integrators' keys: issue (the key shown once), revoke,
and see when each was last used and how often."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from apps.accounts.actors import signed_in
from apps.core.errors import DomainError
from apps.core.pages import add_service_errors
from apps.sites.models import Site
from apps.sites.scoping import scope_queryset

from . import keys


class KeyForm(forms.Form):
    name = forms.CharField(label=_("接入方名称"), max_length=100)
    site = forms.ModelChoiceField(
        label=_("授权范围"),
        queryset=Site.objects.none(),
        help_text=_("该密钥只能为这个阵地及其下级阵地点单。"),
    )


@login_required
def keys_page(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if not keys.can_issue_keys(user):
        raise Http404
    form = KeyForm(request.POST or None)
    form.fields["site"].queryset = scope_queryset(  # type: ignore[attr-defined]
        Site.objects.filter(is_active=True).exclude(level="base").order_by("path"),
        user,
        site_field="",
    )
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            key, raw = keys.api_key_issue(
                actor=user, name=form.cleaned_data["name"], site=form.cleaned_data["site"]
            )
            issued = {"key": key, "raw": raw}
            form = KeyForm(initial={"site": form.cleaned_data["site"].pk})
            form.fields["site"].queryset = scope_queryset(  # type: ignore[attr-defined]
                Site.objects.filter(is_active=True).exclude(level="base").order_by("path"),
                user,
                site_field="",
            )
        except (ValidationError, DomainError) as exc:
            add_service_errors(form, exc)
    rows = keys.keys_for(user).annotate(use_count=Count("uses"))[:200]
    response = render(
        request,
        "open311/keys.html",
        {"form": form, "rows": rows, "issued": issued},
        status=400 if form.errors else 200,
    )
    # The key is on this page once: no cache may keep it.
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    user = signed_in(request)
    if not keys.can_issue_keys(user):
        raise Http404
    try:
        key = keys.api_key_revoke(actor=user, key_id=pk)
    except DomainError:
        raise Http404 from None
    messages.success(request, gettext("已吊销：%(name)s") % {"name": key.name})
    return redirect("open311:keys")
