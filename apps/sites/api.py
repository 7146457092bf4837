"""Sites API: public read, county admins create and update in their subtree."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from apps.core.api import NUMERIC_ID
from apps.core.params import IdParam, TextParam, clean_query

from . import selectors, services
from .models import Site, SiteLevel
from .serializers import SiteSerializer, SiteUpdateSerializer, SiteWriteSerializer


class SiteFilterSerializer(serializers.Serializer[Any]):
    level = serializers.ChoiceField(choices=SiteLevel.choices, required=False)
    parent = IdParam()  # type: ignore[assignment]  # a field, popped by the metaclass
    within = IdParam()
    active = serializers.BooleanField(required=False, allow_null=True, default=None)
    q = TextParam(max_length=100)


class SiteViewSet(viewsets.ModelViewSet[Site]):
    lookup_value_regex = NUMERIC_ID
    serializer_class = SiteSerializer
    http_method_names = ["get", "post", "patch", "put", "head", "options"]

    def get_permissions(self) -> list[Any]:
        if self.action in ("list", "retrieve"):
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    def get_queryset(self) -> Any:
        params = clean_query(SiteFilterSerializer, self.request.query_params)
        return selectors.site_list(
            filters={
                "level": params.get("level"),
                "parent": params.get("parent"),
                "within": params.get("within"),
                "q": params.get("q"),
                "active": params.get("active"),
            }
        )

    @extend_schema(
        parameters=[
            SiteFilterSerializer,
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
