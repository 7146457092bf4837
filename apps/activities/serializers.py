"""API shapes for themes, activities and sign-ups. Input serializers only parse and
type-check; every rule is in ``services``."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.core.params import MAX_ID
from apps.core.serializers import FastReadMixin
from apps.sites.serializers import SiteBriefSerializer
from apps.volunteers.models import ServiceCategory

from .models import (
    MAX_FIXED_POINTS,
    MAX_RESIDENT_LIMIT,
    MAX_SLOTS_PER_ROLE,
    Activity,
    ActivityEvent,
    ActivityRole,
    MonthlyTheme,
    PointsMode,
    Signup,
)
from .timeline import event_text


def _id(**kwargs: Any) -> serializers.IntegerField:
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


# --- themes -----------------------------------------------------------------------------------
class ThemeSerializer(FastReadMixin, serializers.ModelSerializer[MonthlyTheme]):
    site = SiteBriefSerializer(read_only=True)

    class Meta:
        model = MonthlyTheme
        fields = ["id", "site", "year", "month", "title", "guidance", "updated_at"]


class ThemeWriteSerializer(serializers.Serializer[Any]):
    site = _id(required=False, help_text="县级中心编号（只管理一个县时可省略）")
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    month = serializers.IntegerField(min_value=1, max_value=12)
    title = serializers.CharField(max_length=100)
    guidance = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ThemeBriefSerializer(FastReadMixin, serializers.ModelSerializer[MonthlyTheme]):
    class Meta:
        model = MonthlyTheme
        fields = ["id", "year", "month", "title"]


# --- activities -------------------------------------------------------------------------------
class ActivityRoleSerializer(FastReadMixin, serializers.ModelSerializer[ActivityRole]):
    taken = serializers.IntegerField(read_only=True, help_text="已占用名额（含待审核）")
    waiting = serializers.IntegerField(read_only=True, help_text="候补人数")

    class Meta:
        model = ActivityRole
        fields = ["id", "name", "slots", "skill", "taken", "waiting"]


class ActivitySerializer(FastReadMixin, serializers.ModelSerializer[Activity]):
    site = SiteBriefSerializer(read_only=True)
    theme = ThemeBriefSerializer(read_only=True, allow_null=True)
    roles = ActivityRoleSerializer(many=True, read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)

    class Meta:
        model = Activity
        fields = [
            "id",
            "site",
            "title",
            "theme",
            "category",
            "description",
            "address",
            "latitude",
            "longitude",
            "starts_at",
            "ends_at",
            "signup_deadline",
            "residents_allowed",
            "resident_limit",
            "needs_approval",
            "points_mode",
            "points_per_hour",
            "fixed_points",
            "status",
            "status_display",
            "published_at",
            "closed_at",
            "close_reason",
            "roles",
        ]


class SignupSerializer(FastReadMixin, serializers.ModelSerializer[Signup]):
    volunteer_name = serializers.CharField(source="volunteer.real_name", read_only=True)
    role_name = serializers.CharField(source="role.name", read_only=True)

    class Meta:
        model = Signup
        fields = [
            "id",
            "activity",
            "role",
            "role_name",
            "volunteer",
            "volunteer_name",
            "status",
            "queued_at",
            "decided_at",
            "overlap_confirmed",
            "checked_in_at",
            "checked_out_at",
            "attendance",
            "confirmed_hours",
            "points",
        ]


class AttendanceSerializer(SignupSerializer):
    class Meta(SignupSerializer.Meta):
        fields = [
            *SignupSerializer.Meta.fields,
            "checkin_distance_m",
            "checkin_far",
            "checkout_distance_m",
            "checkout_far",
            "marked_by_staff",
            "attendance_confirmed_at",
            "credited_at",
        ]


class ActivityDetailSerializer(ActivitySerializer):
    my_signup = SignupSerializer(read_only=True, allow_null=True, help_text="我的报名（志愿者）")
    resident_registered = serializers.BooleanField(read_only=True, help_text="我已报名参加（群众）")
    residents_taken = serializers.IntegerField(read_only=True)

    class Meta(ActivitySerializer.Meta):
        fields = [
            *ActivitySerializer.Meta.fields,
            "my_signup",
            "resident_registered",
            "residents_taken",
        ]


class ActivityRoleWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(max_length=50)
    slots = serializers.IntegerField(min_value=1, max_value=MAX_SLOTS_PER_ROLE)
    skill = serializers.ChoiceField(
        choices=ServiceCategory.choices, required=False, allow_blank=True
    )


class ActivityWriteSerializer(serializers.Serializer[Any]):
    site = _id(help_text="主办阵地编号")
    title = serializers.CharField(max_length=100)
    theme = _id(required=False, allow_null=True, help_text="开始当月的县级月度主题")
    category = serializers.ChoiceField(choices=ServiceCategory.choices)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=9,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField()
    signup_deadline = serializers.DateTimeField(required=False, help_text="默认为开始时间")
    residents_allowed = serializers.BooleanField(required=False, default=False)
    resident_limit = serializers.IntegerField(
        min_value=0, max_value=MAX_RESIDENT_LIMIT, required=False, default=0
    )
    needs_approval = serializers.BooleanField(required=False, default=False)
    points_mode = serializers.ChoiceField(
        choices=PointsMode.choices, required=False, default=PointsMode.PER_HOUR
    )
    points_per_hour = serializers.IntegerField(
        min_value=0, max_value=100, required=False, default=10
    )
    fixed_points = serializers.IntegerField(
        min_value=0, max_value=MAX_FIXED_POINTS, required=False, default=0
    )
    roles = ActivityRoleWriteSerializer(many=True, allow_empty=False, max_length=20)  # type: ignore[call-arg]


class ActivityUpdateSerializer(ActivityWriteSerializer):
    site = None  # type: ignore[assignment]  # an activity stays where it was organised
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)


class ActivityCoverSerializer(serializers.Serializer[Any]):
    cover = serializers.ImageField()


class ActivityReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class ActivityOptionalReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)


class SignupWriteSerializer(serializers.Serializer[Any]):
    role = _id(required=False, help_text="岗位编号（省略时为第一个岗位）")
    confirm_overlap = serializers.BooleanField(
        required=False, default=False, help_text="已知晓与其他活动或订单时间冲突，仍要报名"
    )


class ActivityInviteSerializer(serializers.Serializer[Any]):
    role = _id(required=False)
    volunteers = serializers.ListField(child=_id(), required=False, max_length=200)
    team = _id(required=False, help_text="邀请整支服务队")


class ActivityInviteAnswerSerializer(serializers.Serializer[Any]):
    accept = serializers.BooleanField()
    confirm_overlap = serializers.BooleanField(required=False, default=False)


class ActivityEventSerializer(FastReadMixin, serializers.ModelSerializer[ActivityEvent]):
    text = serializers.SerializerMethodField()

    class Meta:
        model = ActivityEvent
        fields = ["id", "action", "from_status", "to_status", "code", "text", "created_at"]

    def get_text(self, event: ActivityEvent) -> str:
        return event_text(event)


class RegistrationResultSerializer(serializers.Serializer[Any]):
    status = serializers.CharField()
    residents_taken = serializers.IntegerField()
    resident_limit = serializers.IntegerField()


class CheckinCodeSerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["in", "out"])
    token = serializers.CharField()
    url = serializers.CharField(help_text="二维码内容：志愿者扫码打开的签到页")
    valid_until = serializers.DateTimeField(help_text="此码最晚有效时间（约 60 秒）")
    refresh_seconds = serializers.IntegerField()
    png = serializers.CharField(help_text="二维码 PNG（data URI）")


class CheckinCodeQuerySerializer(serializers.Serializer[Any]):
    kind = serializers.ChoiceField(choices=["in", "out"], required=False, default="in")


class CheckinSerializer(serializers.Serializer[Any]):
    token = serializers.CharField(max_length=60)
    latitude = serializers.DecimalField(
        max_digits=9, decimal_places=6, min_value=-90, max_value=90, required=False, allow_null=True
    )
    longitude = serializers.DecimalField(
        max_digits=10,
        decimal_places=6,
        min_value=-180,
        max_value=180,
        required=False,
        allow_null=True,
    )


class MarkAttendanceSerializer(serializers.Serializer[Any]):
    checked_in_at = serializers.DateTimeField()
    checked_out_at = serializers.DateTimeField(required=False, allow_null=True)
    reason = serializers.CharField(max_length=300)


class ConfirmAttendanceSerializer(serializers.Serializer[Any]):
    signups = serializers.ListField(
        child=_id(), required=False, max_length=1000, help_text="只确认这些报名（默认全部）"
    )


class ConfirmResultSerializer(serializers.Serializer[Any]):
    confirmed = serializers.IntegerField()
    no_show = serializers.IntegerField()
    open = serializers.IntegerField(help_text="已签到未签退、需逐人更正的人数")


class CorrectAttendanceSerializer(serializers.Serializer[Any]):
    attended = serializers.BooleanField()
    hours = serializers.DecimalField(
        max_digits=4, decimal_places=1, min_value=0, max_value=24, required=False
    )
    reason = serializers.CharField(max_length=300)
