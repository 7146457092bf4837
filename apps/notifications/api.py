from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from apps.accounts.actors import signed_in
from apps.core.api import NUMERIC_ID

from . import selectors, services
from .models import Notification


class NotificationSerializer(serializers.ModelSerializer[Notification]):
    # In the request's language, rendered from the row's params (no query per row).
    title = serializers.CharField(source="display_title", read_only=True)
    body = serializers.CharField(source="display_body", read_only=True)
    is_read = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id",
            "kind",
            "title",
            "body",
            "params",
            "url",
            "created_at",
            "read_at",
            "is_read",
        ]

    def get_is_read(self, obj: Notification) -> bool:
        return obj.read_at is not None


class NotificationViewSet(viewsets.ReadOnlyModelViewSet[Any]):
    lookup_value_regex = NUMERIC_ID
    serializer_class = NotificationSerializer

    def get_queryset(self) -> Any:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return Notification.objects.none()
        unread = self.request.query_params.get("unread") in ("1", "true")
        return selectors.notification_list(user=signed_in(self.request), unread_only=unread)

    @extend_schema(parameters=[OpenApiParameter("unread", bool)])
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        response.data["unread_count"] = selectors.notification_list(
            user=signed_in(request), unread_only=True
        ).count()
        return response

    @extend_schema(request=None, responses=NotificationSerializer)
    @action(detail=True, methods=["post"])
    def read(self, request: Request, pk: str) -> Response:
        note = services.notification_mark_read(user=signed_in(request), notification_id=pk)
        return Response(NotificationSerializer(note).data)

    @extend_schema(request=None, responses={200: None})
    @action(detail=False, methods=["post"], url_path="read-all")
    def read_all(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=signed_in(request))})
