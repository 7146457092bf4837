"""API shapes for the menu and the order workflow. Input serializers only parse and
type-check; every rule is in ``services``."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from apps.accounts.models import User
from apps.core.serializers import FastReadMixin
from apps.sites.models import Site
from apps.sites.serializers import SiteBriefSerializer
from apps.volunteers.models import ServiceCategory
from apps.volunteers.selectors import volunteer_mobile_for

from .models import (
    MAX_VOLUNTEERS_PER_ORDER,
    OrderAssignment,
    OrderEvent,
    OrderPhoto,
    ServiceItem,
    ServiceOrder,
)
from .privacy import contact_mobile_for
from .timeline import event_text


# --- menu ----------------------------------------------------------------------------------
class ServiceItemSerializer(serializers.ModelSerializer[ServiceItem]):
    site = SiteBriefSerializer(read_only=True)
    category_display = serializers.CharField(source="get_category_display", read_only=True)

    class Meta:
        model = ServiceItem
        fields = [
            "id",
            "site",
            "title",
            "category",
            "category_display",
            "description",
            "duration_hours",
            "points_per_hour",
            "volunteers_needed",
            "is_active",
        ]


class ServiceItemWriteSerializer(serializers.Serializer[ServiceItem]):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    title = serializers.CharField(max_length=100)
    category = serializers.ChoiceField(choices=ServiceCategory.choices)
    description = serializers.CharField(required=False, allow_blank=True)
    duration_hours = serializers.DecimalField(max_digits=4, decimal_places=1, required=False)
    points_per_hour = serializers.IntegerField(min_value=0, max_value=1000, required=False)
    volunteers_needed = serializers.IntegerField(
        min_value=1, max_value=MAX_VOLUNTEERS_PER_ORDER, required=False
    )
    is_active = serializers.BooleanField(required=False, default=True)


class ServiceItemUpdateSerializer(ServiceItemWriteSerializer):
    site = None  # type: ignore[assignment]  # an item stays where it was published
    title = serializers.CharField(max_length=100, required=False)
    category = serializers.ChoiceField(choices=ServiceCategory.choices, required=False)
    is_active = serializers.BooleanField(required=False)


# --- orders --------------------------------------------------------------------------------
class PersonSerializer(FastReadMixin, serializers.ModelSerializer[User]):
    name = serializers.CharField(source="display_name", read_only=True)

    class Meta:
        model = User
        fields = ["id", "name"]


class AssignmentSerializer(FastReadMixin, serializers.ModelSerializer[OrderAssignment]):
    volunteer = serializers.IntegerField(source="volunteer_id", read_only=True)
    volunteer_name = serializers.CharField(source="volunteer.real_name", read_only=True)
    volunteer_mobile = serializers.SerializerMethodField()
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    # The hours rule: check-in to check-out rounded up to the half hour.
    measured_hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, read_only=True, allow_null=True
    )
    hours_differ = serializers.BooleanField(read_only=True)

    class Meta:
        model = OrderAssignment
        fields = [
            "id",
            "volunteer",
            "volunteer_name",
            "volunteer_mobile",
            "status",
            "status_display",
            "assigned_at",
            "responded_at",
            "decline_reason",
            "checked_in_at",
            "checked_out_at",
            "reported_hours",
            "measured_hours",
            "hours_differ",
            "confirmed_hours",
            "summary",
        ]

    def get_volunteer_mobile(self, obj: OrderAssignment) -> str:
        viewer = self.context["request"].user if "request" in self.context else None
        return volunteer_mobile_for(viewer, obj.volunteer)


class EventSerializer(FastReadMixin, serializers.ModelSerializer[OrderEvent]):
    actor = serializers.SerializerMethodField()
    text = serializers.SerializerMethodField()
    at = serializers.DateTimeField(source="created_at", read_only=True)
    # OpenAPI names: the transition's from/to (``from`` is a Python keyword).
    from_status = serializers.CharField(read_only=True)
    to_status = serializers.CharField(read_only=True)

    class Meta:
        model = OrderEvent
        fields = [
            "id",
            "action",
            "from_status",
            "to_status",
            "actor",
            "at",
            "code",
            "params",
            "note",
            "text",
        ]

    def get_text(self, obj: OrderEvent) -> str:
        """The event in the request's language (apps.orders.timeline)."""
        return event_text(obj)

    def get_actor(self, obj: OrderEvent) -> str | None:
        return obj.actor.display_name if obj.actor else None


class PhotoSerializer(serializers.ModelSerializer[OrderPhoto]):
    # The checked views, never the storage path: photos are as private as the order.
    image = serializers.SerializerMethodField()
    thumbnail = serializers.SerializerMethodField()

    class Meta:
        model = OrderPhoto
        fields = ["id", "image", "thumbnail", "width", "height", "created_at"]

    def _url(self, name: str, obj: OrderPhoto) -> str:
        url = reverse(name, args=[obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url

    def get_image(self, obj: OrderPhoto) -> str:
        return self._url("orders:photo", obj)

    def get_thumbnail(self, obj: OrderPhoto) -> str:
        return self._url("orders:photo_thumb", obj)


class OrderSerializer(FastReadMixin, serializers.ModelSerializer[ServiceOrder]):
    service = serializers.IntegerField(source="service_id", read_only=True)
    service_title = serializers.CharField(source="service.title", read_only=True)
    site = serializers.IntegerField(source="site_id", read_only=True)
    site_name = serializers.CharField(source="site.name", read_only=True)
    handling_site = SiteBriefSerializer(read_only=True)
    resident = PersonSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    assignments = AssignmentSerializer(many=True, read_only=True)
    nudged = serializers.BooleanField(source="is_nudged", read_only=True)
    contact_mobile = serializers.SerializerMethodField(
        help_text="全号：群众本人、管辖范围内的工作人员、接单后至签退前的志愿者；其余遮蔽"
    )

    def get_contact_mobile(self, obj: ServiceOrder) -> str:
        request = self.context.get("request")
        viewer = getattr(request, "user", None)
        return contact_mobile_for(viewer, obj, request=request)

    class Meta:
        model = ServiceOrder
        fields = [
            "id",
            "service",
            "service_title",
            "site",
            "site_name",
            "handling_site",
            "resident",
            "status",
            "status_display",
            "address",
            "contact_mobile",
            "preferred_start",
            "preferred_end",
            "note",
            "volunteers_needed",
            "created_at",
            "dispatched_at",
            "accepted_at",
            "started_at",
            "completed_at",
            "score",
            "rating_comment",
            "rated_at",
            "nudged",
            "last_nudged_at",
            "assessment_queue",
            "assessed_at",
            "assignments",
        ]


class OrderDetailSerializer(OrderSerializer):
    events = EventSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)

    class Meta(OrderSerializer.Meta):
        fields = [
            *OrderSerializer.Meta.fields,
            "closed_at",
            "close_reason",
            "escalated_at",
            "rating_lapsed_at",
            "dispute_text",
            "disputed_at",
            "assessment_approved",
            "assessment_comment",
            "events",
            "photos",
        ]


class OrderCreateSerializer(serializers.Serializer[ServiceOrder]):
    service = serializers.PrimaryKeyRelatedField(
        queryset=ServiceItem.objects.select_related("site")
    )
    site = serializers.PrimaryKeyRelatedField(
        queryset=Site.objects.all(),
        required=False,
        help_text="群众所在实践站；群众本人点单时可省略",
    )
    resident = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text="代点单：群众的用户编号（仅工作人员）",
    )
    address = serializers.CharField(max_length=200)
    contact_mobile = serializers.CharField(max_length=30)
    preferred_start = serializers.DateTimeField()
    preferred_end = serializers.DateTimeField()
    note = serializers.CharField(max_length=500, required=False, allow_blank=True)
    volunteers_needed = serializers.IntegerField(
        min_value=1, max_value=MAX_VOLUNTEERS_PER_ORDER, required=False
    )


class DispatchSerializer(serializers.Serializer[Any]):
    volunteers = serializers.ListField(
        child=serializers.IntegerField(),
        allow_empty=False,
        help_text="志愿者编号（/api/v1/volunteers/ 中的 id）",
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300)


class OptionalReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class CompleteSerializer(serializers.Serializer[Any]):
    summary = serializers.CharField(max_length=2000)
    hours = serializers.DecimalField(
        max_digits=4,
        decimal_places=1,
        required=False,
        help_text="本人服务时长（小时，只计服务时间，不含路途）；省略时按签到签退时间计",
    )
    # FileField, not ImageField: services.clean_photos checks the image with Pillow
    # (type, size, EXIF) and words the errors for residents and volunteers.
    photos = serializers.ListField(
        child=serializers.FileField(), required=False, help_text="服务照片（multipart），最多 9 张"
    )


class RateSerializer(serializers.Serializer[Any]):
    score = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class DisputeSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(max_length=1000, help_text="投诉内容")


class AssessSerializer(serializers.Serializer[Any]):
    approved = serializers.BooleanField()
    hours = serializers.DictField(
        child=serializers.DecimalField(max_digits=4, decimal_places=1),
        required=False,
        help_text='{"<志愿者编号>": 小时}，省略时按志愿者上报的时长',
    )
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SuggestionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    real_name = serializers.CharField()
    site = serializers.IntegerField(source="site_id")
    site_name = serializers.CharField(source="site.name")
    same_point = serializers.BooleanField()
    skill_match = serializers.BooleanField()
    team_match = serializers.BooleanField()
    open_tasks = serializers.IntegerField()
    available = serializers.BooleanField()
    rating = serializers.FloatField()
