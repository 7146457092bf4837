from django.contrib import admin

from .models import ApiKey, ApiKeyUse, Open311Request


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    # Keys are issued and revoked on /open311/keys/ (the key is shown there once).
    list_display = ("name", "prefix", "site", "created_at", "last_used_at", "revoked_at")
    list_select_related = ("site",)
    readonly_fields = [f.name for f in ApiKey._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(ApiKeyUse)
class ApiKeyUseAdmin(admin.ModelAdmin):
    list_display = ("at", "key", "method", "path", "status", "order")
    list_select_related = ("key",)
    readonly_fields = [f.name for f in ApiKeyUse._meta.fields]

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False


@admin.register(Open311Request)
class Open311RequestAdmin(admin.ModelAdmin):
    list_display = ("order", "key", "external_id", "created_at")
    list_select_related = ("key",)
    readonly_fields = [f.name for f in Open311Request._meta.fields]
