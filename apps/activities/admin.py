"""Admin: read-mostly. Lifecycle changes go through the services (pages and API)."""

from __future__ import annotations

from django.contrib import admin

from .models import Activity, ActivityEvent, MonthlyTheme, Registration, Signup


@admin.register(MonthlyTheme)
class MonthlyThemeAdmin(admin.ModelAdmin):
    list_display = ["site", "year", "month", "title"]
    list_filter = ["year"]
    raw_id_fields = ["site", "updated_by"]


@admin.register(Activity)
class ActivityAdmin(admin.ModelAdmin):
    list_display = ["title", "site", "status", "starts_at", "category"]
    list_filter = ["status", "category"]
    search_fields = ["title"]
    list_select_related = ["site"]
    readonly_fields = ["status", "status_changed_at", "published_at", "closed_at"]
    raw_id_fields = ["site", "theme", "created_by"]


@admin.register(Signup)
class SignupAdmin(admin.ModelAdmin):
    list_display = ["activity", "volunteer", "role", "status", "attendance"]
    list_filter = ["status", "attendance"]
    raw_id_fields = ["activity", "role", "volunteer", "invited_by", "attendance_confirmed_by"]
    readonly_fields = ["status", "queued_at", "credited_at"]


@admin.register(ActivityEvent)
class ActivityEventAdmin(admin.ModelAdmin):
    list_display = ["activity", "action", "code", "actor", "created_at"]
    raw_id_fields = ["activity", "actor"]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


admin.site.register(Registration)
