from django.contrib import admin

from .models import PostEvent, PostPhoto, ShowcasePost


class PhotoInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PostPhoto
    extra = 0
    fields = ["position", "caption", "width", "height"]
    readonly_fields = ["width", "height"]


class EventInline(admin.TabularInline):  # type: ignore[type-arg]
    model = PostEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "actor", "note", "created_at"]


@admin.register(ShowcasePost)
class ShowcasePostAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """Read-mostly: moves go through the pages and the API (apps.showcase.services)."""

    list_display = ["title", "site", "status", "published_at", "updated_at"]
    list_filter = ["status"]
    search_fields = ["title"]
    raw_id_fields = ["site", "activity", "order", "created_by", "consent_by"]
    readonly_fields = ["status", "status_changed_at", "published_at", "unpublished_at"]
    inlines = [PhotoInline, EventInline]
