"""Admin: read-mostly. Workflow changes go through the services (the pages and the
API), so orders, assignments and events are shown read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from .models import OrderAssignment, OrderEvent, OrderPhoto, ServiceItem, ServiceOrder


@admin.register(ServiceItem)
class ServiceItemAdmin(admin.ModelAdmin):
    list_display = ["title", "site", "category", "points_per_hour", "is_active"]
    list_filter = ["category", "is_active", "site__level"]
    search_fields = ["title"]
    list_select_related = ["site"]
    raw_id_fields = ["site", "created_by"]


class ReadOnlyInline(admin.TabularInline):  # type: ignore[type-arg]
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AssignmentInline(ReadOnlyInline):
    model = OrderAssignment
    fields = [
        "volunteer",
        "status",
        "checked_in_at",
        "checked_out_at",
        "reported_hours",
        "confirmed_hours",
    ]


class EventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ["created_at", "actor", "action", "from_status", "to_status", "code", "params", "note"]


class PhotoInline(ReadOnlyInline):
    model = OrderPhoto
    fields = ["preview", "created_at"]
    readonly_fields = ["preview", "created_at"]

    @admin.display(description="照片")
    def preview(self, obj: OrderPhoto) -> str:
        # Through the checked view: uploads are never served from MEDIA_URL.
        return format_html(
            '<a href="{}"><img src="{}" alt="" style="max-height:80px"></a>',
            reverse("orders:photo", args=[obj.pk]),
            reverse("orders:photo_thumb", args=[obj.pk]),
        )


@admin.register(ServiceOrder)
class ServiceOrderAdmin(admin.ModelAdmin):
    list_display = ["id", "service", "site", "handling_site", "resident", "status", "created_at"]
    list_filter = ["status", "assessment_queue"]
    search_fields = ["id", "address", "contact_mobile"]
    list_select_related = ["service", "site", "handling_site", "resident"]
    date_hierarchy = "created_at"
    inlines = [AssignmentInline, EventInline, PhotoInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
