"""Reports API: summary, league table, time series and exports — staff, in scope."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, OpenApiTypes, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.core.errors import NotFoundError
from apps.sites.scoping import is_manager

from . import exports
from .figures import summary, timeseries
from .league import league_table
from .periods import parse_range
from .selectors import items_needing_attention, report_site
from .themes import activities_by_theme

COMMON = [
    OpenApiParameter("site", int, description="阵地（默认：您管理范围的顶层）"),
    OpenApiParameter("from", OpenApiTypes.DATE),
    OpenApiParameter("to", OpenApiTypes.DATE),
    OpenApiParameter("period", str, description="2026-10（月）或 2026Q4（季度），代替 from/to"),
]


class _ReportView(APIView):
    def context(self, request: Request) -> tuple[Any, Any, Any]:
        if not is_manager(request.user):
            raise NotFoundError(gettext("仅工作人员可以查看统计。"), code="not_found")
        site = report_site(request.user, request.query_params.get("site"))
        day_from, day_to = parse_range(request.query_params)
        return site, day_from, day_to

    @staticmethod
    def head(site: Any, day_from: Any, day_to: Any) -> dict[str, Any]:
        return {
            "site": {"id": site.pk, "name": site.name, "level": site.level},
            "from": day_from.isoformat(),
            "to": day_to.isoformat(),
        }


class SummaryView(_ReportView):
    @extend_schema(parameters=COMMON, responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        site, day_from, day_to = self.context(request)
        return Response(
            {
                **self.head(site, day_from, day_to),
                **summary(site, day_from, day_to).as_dict(),
                "themes": [r.as_dict() for r in activities_by_theme(site, day_from, day_to)],
            }
        )


class LeagueView(_ReportView):
    @extend_schema(parameters=COMMON, responses={200: OpenApiTypes.OBJECT})
    def get(self, request: Request) -> Response:
        site, day_from, day_to = self.context(request)
        rows = league_table(site, day_from, day_to)
        return Response(
            {**self.head(site, day_from, day_to), "results": [r.as_dict() for r in rows]}
        )


class TimeseriesView(_ReportView):
    @extend_schema(
        parameters=[*COMMON, OpenApiParameter("bucket", enum=["day", "week", "month"])],
        responses={200: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        site, day_from, day_to = self.context(request)
        bucket = request.query_params.get("bucket", "day")
        if bucket not in ("day", "week", "month"):
            from django.core.exceptions import ValidationError

            raise ValidationError({"bucket": [gettext("bucket 只能是 day、week 或 month。")]})
        return Response(
            {
                **self.head(site, day_from, day_to),
                "bucket": bucket,
                "results": timeseries(site, day_from, day_to, bucket),
            }
        )


def export_tables(request: Any, site: Any, day_from: Any, day_to: Any) -> list[exports.Table]:
    items = list(
        items_needing_attention(fetched_by=request.user).filter(site__path__startswith=site.path)
    )
    return exports.tables(
        site,
        day_from,
        day_to,
        summary(site, day_from, day_to),
        league_table(site, day_from, day_to),
        items,
    )


class ExportXlsxView(_ReportView):
    @extend_schema(
        parameters=COMMON,
        responses={
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY
        },
    )
    def get(self, request: Request) -> HttpResponse:
        site, day_from, day_to = self.context(request)
        data = exports.to_xlsx(
            export_tables(request, site, day_from, day_to),
            heading=f"{site.name}  {day_from.isoformat()} 至 {day_to.isoformat()}",
        )
        response = HttpResponse(
            data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="report-{site.pk}-{day_from}-{day_to}.xlsx"'
        )
        return response


class ExportCsvView(_ReportView):
    @extend_schema(
        parameters=[*COMMON, OpenApiParameter("table", enum=list(exports.TABLE_KEYS))],
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request) -> HttpResponse:
        site, day_from, day_to = self.context(request)
        key = request.query_params.get("table", "summary")
        if key not in exports.TABLE_KEYS:
            raise NotFoundError(gettext("没有这个表。"), code="not_found")
        wanted = exports.TABLE_KEYS[key]
        table = next(t for t in export_tables(request, site, day_from, day_to) if t[0] == wanted)
        response = HttpResponse(exports.to_csv(table), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="report-{key}-{site.pk}-{day_from}-{day_to}.csv"'
        )
        return response
