from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from .models import Role, User


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
