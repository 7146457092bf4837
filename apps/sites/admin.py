from django.contrib import admin

from .models import Site


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "code", "level", "parent", "contact_name", "contact_phone", "is_active")
    list_filter = ("level", "is_active")
    search_fields = ("name", "code", "address", "contact_name")
    list_select_related = ("parent",)
    readonly_fields = ("code", "path", "depth", "created_at", "updated_at")
    autocomplete_fields = ("parent",)

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        obj.full_clean(exclude=["path", "depth"])
        super().save_model(request, obj, form, change)
