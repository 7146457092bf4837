from django.contrib import admin

from .models import Delivery, Notification, SiteWebhook
from .services import enqueue_delivery


@admin.register(SiteWebhook)
class SiteWebhookAdmin(admin.ModelAdmin):
    list_display = ("site", "kind", "url", "is_active")
    list_filter = ("kind", "is_active")
    autocomplete_fields = ("site",)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("title", "user", "kind", "created_at", "read_at")
    list_filter = ("kind",)
    search_fields = ("title", "user__username")
    raw_id_fields = ("user",)


@admin.action(description="立即重新投递")
def resend(modeladmin, request, queryset):  # type: ignore[no-untyped-def]
    ids = list(queryset.filter(status__in=["failed", "retry"]).values_list("pk", flat=True))
    queryset.filter(pk__in=ids).update(status="retry", next_attempt_at=None, attempts=0)
    for pk in ids:
        enqueue_delivery(pk)
    modeladmin.message_user(request, f"已重新投递 {len(ids)} 条。")


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "subject",
        "channel",
        "recipient",
        "status",
        "attempts",
        "last_error",
        "created_at",
    )
    list_filter = ("channel", "status")
    search_fields = ("subject", "recipient")
    readonly_fields = [f.name for f in Delivery._meta.fields]
    actions = [resend]
