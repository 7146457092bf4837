"""Sites API: public read, county admins create and update in their subtree."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, permissions, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from . import selectors, services
from .models import Site, SiteLevel
from .serializers import SiteSerializer, SiteUpdateSerializer, SiteWriteSerializer


def _id_param(params: Any, name: str) -> int | None:
    """A site id filter; a malformed one answers 400, not a 500 from the ORM."""
    raw = params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise exceptions.ValidationError({name: ["请填写阵地编号（整数）。"]}) from None


class SiteViewSet(viewsets.ModelViewSet[Site]):
    serializer_class = SiteSerializer
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_permissions(self) -> list[Any]:
        if self.action in ("list", "retrieve"):
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_queryset(self) -> Any:
        params = self.request.query_params
        active = params.get("active")
        return selectors.site_list(
            filters={
                "level": params.get("level"),
                "parent": _id_param(params, "parent"),
                "within": _id_param(params, "within"),
                "q": params.get("q"),
                "active": None if active in (None, "") else active.lower() in ("1", "true"),
            }
        )

    @extend_schema(
        parameters=[
            OpenApiParameter("level", enum=SiteLevel.values),
            OpenApiParameter("parent", int),
            OpenApiParameter("within", int, description="只列出该阵地及其下级"),
            OpenApiParameter("active", bool),
            OpenApiParameter("q", str, description="按名称搜索"),
        ]
    )
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().list(request, *args, **kwargs)

    @extend_schema(request=SiteWriteSerializer, responses={201: SiteSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = SiteWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        site = services.site_create(actor=request.user, **data.validated_data)
        return Response(SiteSerializer(site).data, status=status.HTTP_201_CREATED)

    @extend_schema(request=SiteUpdateSerializer, responses={200: SiteSerializer})
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        site = self.get_object()
        data = SiteUpdateSerializer(data=request.data, partial=kwargs.get("partial", False))
        data.is_valid(raise_exception=True)
        site = services.site_update(actor=request.user, site=site, **data.validated_data)
        return Response(SiteSerializer(site).data)
