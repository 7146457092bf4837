from django.contrib import admin

from .models import SiteDailyStat


@admin.register(SiteDailyStat)
class SiteDailyStatAdmin(admin.ModelAdmin):
    list_display = ("day", "site", "orders_placed", "orders_completed", "volunteer_hours")
    list_filter = ("day",)
    list_select_related = ("site",)
    date_hierarchy = "day"
