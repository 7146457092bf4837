from __future__ import annotations

from rest_framework import serializers

from apps.core.serializers import FastReadMixin

from .models import Site, SiteLevel


class SiteBriefSerializer(FastReadMixin, serializers.ModelSerializer[Site]):
    class Meta:
        model = Site
        fields = ["id", "name", "level"]


class SiteSerializer(serializers.ModelSerializer[Site]):
    parent_name = serializers.CharField(
        source="parent.name", read_only=True, default=None, allow_null=True
    )

    class Meta:
        model = Site
        fields = [
            "id",
            "code",
            "name",
            "level",
            "parent",
            "parent_name",
            "depth",
            "address",
            "contact_name",
            "contact_phone",
            "latitude",
            "longitude",
            "is_active",
        ]
        read_only_fields = ["code", "depth"]


class SiteWriteSerializer(serializers.Serializer[Site]):
    name = serializers.CharField(max_length=100)
    level = serializers.ChoiceField(choices=SiteLevel.choices)
    # "parent" shadows Field.parent in the type stubs only: declared fields are moved
    # off the class by DRF's metaclass.
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=Site.objects.all(), allow_null=True
    )
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False, default=True)


class SiteUpdateSerializer(serializers.Serializer[Site]):
    name = serializers.CharField(max_length=100, required=False)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=50, required=False, allow_blank=True)
    contact_phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, required=False, allow_null=True
    )
    is_active = serializers.BooleanField(required=False)
