from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest

from .models import AccountClaim, Role, User


class RoleInline(admin.TabularInline):
    model = Role
    extra = 0
    autocomplete_fields = ("site",)


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "real_name", "mobile", "email", "is_active", "is_staff")
    search_fields = ("username", "real_name", "mobile", "email")
    fieldsets = (*BaseUserAdmin.fieldsets, ("门户资料", {"fields": ("real_name", "mobile")}))  # type: ignore[misc]
    inlines = [RoleInline]


@admin.register(Role)
class RoleAdmin(admin.ModelAdmin):
    list_display = ("user", "role", "site", "created_at")
    list_filter = ("role", "site__level")
    search_fields = ("user__username", "user__real_name", "site__name")
    list_select_related = ("user", "site")
    autocomplete_fields = ("user", "site")


@admin.register(AccountClaim)
class AccountClaimAdmin(admin.ModelAdmin):
    """The record of claims (read-only): who claimed which account, when, from where."""

    list_display = ("pk", "user", "created_at", "wrong_attempts", "used_at", "client_address")
    list_filter = ("used_at",)
    list_select_related = ("user",)
    exclude = ("code_hash",)
    readonly_fields = [f.name for f in AccountClaim._meta.fields if f.name != "code_hash"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
