"""The national records export: a page for county admins (site and period, clear
errors) and the same export over the API. Both stream the workbook with its length,
so a browser shows the download's progress."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.request import Request
from rest_framework.views import APIView

from apps.accounts.actors import signed_in
from apps.accounts.models import RoleName, User
from apps.core.errors import PermissionDeniedError
from apps.core.params import MAX_DATE, MIN_DATE
from apps.sites.models import Site
from apps.sites.scoping import access_site, has_role, is_global, scope_queryset

from .national import MAX_DAYS, Export, export_workbook

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def can_export(user: Any) -> bool:
    """County admins (and the portal's operators) only: full ID numbers are in it."""
    return is_global(user) or has_role(user, RoleName.COUNTY_ADMIN)


def check_period(day_from: dt.date | None, day_to: dt.date | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for name, day in (("from", day_from), ("to", day_to)):
        if day is None:
            errors[name] = [gettext("请选择日期。")]
        elif not MIN_DATE <= day <= MAX_DATE:
            errors[name] = [gettext("日期超出范围。")]
    if errors:
        return errors
    assert day_from is not None and day_to is not None
    if day_from > day_to:
        errors["to"] = [gettext("结束日期不能早于开始日期。")]
    elif (day_to - day_from).days >= MAX_DAYS:
        errors["to"] = [gettext("一次最多导出 %(n)s 天的记录。") % {"n": MAX_DAYS}]
    return errors


def workbook_response(export: Export, site: Site, day_from: dt.date, day_to: dt.date) -> Any:
    response = FileResponse(
        export.file,
        as_attachment=True,
        filename=f"national-records-{site.code}-{day_from}-{day_to}.xlsx",
        content_type=XLSX,
    )
    response["X-Record-Count"] = str(export.rows)
    response["X-Missing-Id-Count"] = str(export.missing)
    response["Cache-Control"] = "no-store"
    return response


class ExportForm(forms.Form):
    site = forms.ModelChoiceField(label=_("阵地"), queryset=Site.objects.none())
    date_from = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if "date_from" in data and "date_to" in data:
            errors = check_period(data["date_from"], data["date_to"])
            for name, messages in errors.items():
                self.add_error("date_to" if name == "to" else "date_from", messages)
        return data


@login_required
def national_export(request: HttpRequest) -> HttpResponse:
    user = signed_in(request)
    if not can_export(user):
        raise Http404
    sites = scope_queryset(
        Site.objects.filter(is_active=True).exclude(level="base").order_by("path"),
        user,
        site_field="",
    )
    today = timezone.localdate()
    first = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    if "site" in request.GET:
        form = ExportForm(request.GET)
    else:
        form = ExportForm(
            initial={
                "site": sites.first(),
                "date_from": first,
                "date_to": today.replace(day=1) - dt.timedelta(days=1),
            }
        )
    form.fields["site"].queryset = sites  # type: ignore[attr-defined]
    if form.is_bound and form.is_valid():
        site = form.cleaned_data["site"]
        day_from, day_to = form.cleaned_data["date_from"], form.cleaned_data["date_to"]
        export = export_workbook(
            viewer=user, site=site, day_from=day_from, day_to=day_to, source=request.path
        )
        return workbook_response(export, site, day_from, day_to)  # type: ignore[no-any-return]
    return render(
        request,
        "reports/national.html",
        {"form": form, "max_days": MAX_DAYS},
        status=400 if form.errors else 200,
    )


def _date(raw: str | None, name: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ValidationError({name: [gettext("日期格式应为 YYYY-MM-DD。")]}) from None


class NationalExportView(APIView):
    """The national records workbook for a site's subtree and a period (county admins)."""

    @extend_schema(
        parameters=[
            OpenApiParameter("site", int, required=True, description="阵地"),
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
        ],
        responses={(200, XLSX): OpenApiTypes.BINARY},
    )
    def get(self, request: Request) -> Any:
        user: User = signed_in(request)
        if not can_export(user):
            raise PermissionDeniedError(
                gettext("只有县级管理员可以导出全国系统记录。"), code="not_county_admin"
            )
        params = request.query_params
        raw_site = params.get("site", "")
        if not raw_site.isdigit() or len(raw_site) > 19:
            raise ValidationError({"site": [gettext("请选择阵地。")]})
        day_from = _date(params.get("from"), "from")
        day_to = _date(params.get("to"), "to")
        errors = check_period(day_from, day_to)
        if errors:
            raise ValidationError(errors)
        assert day_from is not None and day_to is not None
        site = access_site(user, int(raw_site))  # not in scope: 404
        export = export_workbook(
            viewer=user, site=site, day_from=day_from, day_to=day_to, source=request.path
        )
        return workbook_response(export, site, day_from, day_to)
