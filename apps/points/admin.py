from django.contrib import admin, messages

from apps.sites.scoping import has_role, is_global

from .models import Account, LedgerTransaction, Leg, Redemption, Reward, SettlementRun
from .settlement import settle


class ReadOnlyAdmin(admin.ModelAdmin):
    """The ledger is append-only: nothing is added, edited or deleted from the admin."""

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "volunteer", "site", "balance", "lifetime_earned")
    list_filter = ("kind",)
    search_fields = ("volunteer__real_name", "site__name")
    list_select_related = ("volunteer", "site")


class LegInline(admin.TabularInline):
    model = Leg
    extra = 0
    can_delete = False
    readonly_fields = ("account", "amount", "kind", "run", "created_at")


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyAdmin):
    list_display = (
        "source_key",
        "kind",
        "amount",
        "hours",
        "volunteer",
        "site",
        "run",
        "created_at",
    )
    list_filter = ("kind",)
    search_fields = ("source_key", "volunteer__real_name")
    list_select_related = ("volunteer", "site", "run")
    inlines = [LegInline]


@admin.action(description="重新结算所选批次的日期（幂等，不会重复记分）")
def rerun_settlement(modeladmin, request, queryset):  # type: ignore[no-untyped-def]
    if not (is_global(request.user) or has_role(request.user, "county_admin")):
        modeladmin.message_user(request, "只有县级管理员可以重新结算。", messages.ERROR)
        return
    for day in sorted(set(queryset.values_list("settlement_date", flat=True))):
        try:
            run = settle(day, triggered_by=request.user)
        except Exception as exc:  # recorded on the run row
            modeladmin.message_user(request, f"{day} 结算失败：{exc}", messages.ERROR)
        else:
            modeladmin.message_user(request, f"{day}：新增流水 {run.entries_created} 笔")


@admin.register(SettlementRun)
class SettlementRunAdmin(ReadOnlyAdmin):
    list_display = (
        "settlement_date",
        "status",
        "orders_seen",
        "entries_created",
        "points_credited",
        "hours_credited",
        "started_at",
        "finished_at",
    )
    list_filter = ("status",)
    actions = [rerun_settlement]


@admin.register(Reward)
class RewardAdmin(admin.ModelAdmin):
    list_display = ("name", "site", "points_cost", "stock", "per_volunteer_limit", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "site__name")
    list_select_related = ("site",)


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyAdmin):
    list_display = ("reward", "volunteer", "site", "points", "status", "created_at")
    list_filter = ("status",)
    list_select_related = ("reward", "volunteer", "site")
