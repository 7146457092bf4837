from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from .models import Leg, Redemption, Reward, SettlementRun


class BalanceSerializer(serializers.Serializer[Any]):
    balance = serializers.IntegerField()
    lifetime_earned = serializers.IntegerField()
    hours = serializers.DecimalField(max_digits=10, decimal_places=1)
    star_level = serializers.IntegerField()
    hours_to_next_star = serializers.DecimalField(max_digits=10, decimal_places=1, allow_null=True)


class LegSerializer(serializers.ModelSerializer[Leg]):
    source_key = serializers.CharField(source="transaction.source_key")
    memo = serializers.CharField(source="transaction.memo")
    volunteer = serializers.IntegerField(source="account.volunteer_id")
    volunteer_name = serializers.CharField(source="account.volunteer.real_name")
    hours = serializers.DecimalField(
        source="transaction.hours", max_digits=6, decimal_places=1, allow_null=True
    )

    class Meta:
        model = Leg
        fields = [
            "id",
            "created_at",
            "kind",
            "amount",
            "source_key",
            "memo",
            "hours",
            "volunteer",
            "volunteer_name",
            "run",
        ]


class RewardSerializer(serializers.ModelSerializer[Reward]):
    site_name = serializers.CharField(source="site.name", read_only=True)
    photo = serializers.SerializerMethodField()

    class Meta:
        model = Reward
        fields = [
            "id",
            "site",
            "site_name",
            "name",
            "description",
            "photo",
            "points_cost",
            "stock",
            "per_volunteer_limit",
            "is_active",
        ]

    def get_photo(self, obj: Reward) -> str | None:
        """The reward's picture through the checked view (uploads are never public)."""
        if not obj.photo:
            return None
        url = reverse("points:reward_photo", args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class RedemptionSerializer(serializers.ModelSerializer[Redemption]):
    reward_name = serializers.CharField(source="reward.name", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    volunteer_name = serializers.CharField(source="volunteer.real_name", read_only=True)

    class Meta:
        model = Redemption
        fields = [
            "id",
            "reward",
            "reward_name",
            "site",
            "site_name",
            "volunteer",
            "volunteer_name",
            "points",
            "status",
            "created_at",
            "handed_over_at",
            "cancelled_at",
            "cancel_reason",
        ]


class CancelSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class SettlementRunSerializer(serializers.ModelSerializer[SettlementRun]):
    class Meta:
        model = SettlementRun
        fields = [
            "id",
            "settlement_date",
            "status",
            "orders_seen",
            "entries_created",
            "points_credited",
            "hours_credited",
            "volunteers_credited",
            "started_at",
            "finished_at",
            "error",
        ]
