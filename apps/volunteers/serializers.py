from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.sites.models import Site
from apps.sites.serializers import SiteBriefSerializer

from .models import (
    PERIODS,
    Certificate,
    ServiceCategory,
    ServiceRecord,
    Team,
    TeamKind,
    TeamMembership,
    Volunteer,
    VolunteerStatus,
)
from .selectors import id_number_for, volunteer_mobile_for
from .stars import next_level_hours


class TeamBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(source="team.id")
    name = serializers.CharField(source="team.name")
    is_leader = serializers.BooleanField()


class VolunteerSerializer(serializers.ModelSerializer[Volunteer]):
    """A volunteer as the viewer may see them: ID number and mobile whole only for the
    volunteer and staff in scope, masked for everyone else."""

    site = SiteBriefSerializer(read_only=True)
    mobile = serializers.SerializerMethodField()
    id_number = serializers.SerializerMethodField()
    skills = serializers.SerializerMethodField()
    teams = TeamBriefSerializer(source="membership_rows", many=True, read_only=True)

    class Meta:
        model = Volunteer
        fields = [
            "id",
            "number",
            "real_name",
            "mobile",
            "id_number",
            "site",
            "status",
            "status_reason",
            "skills",
            "specialties",
            "service_area",
            "availability",
            "hours",
            "star_level",
            "teams",
            "applied_at",
            "reviewed_at",
        ]

    def _viewer(self) -> Any:
        request = self.context.get("request")
        return request.user if request else None

    def get_mobile(self, obj: Volunteer) -> str:
        return volunteer_mobile_for(self._viewer(), obj)

    def get_id_number(self, obj: Volunteer) -> str:
        return id_number_for(self._viewer(), obj)

    def get_skills(self, obj: Volunteer) -> list[str]:
        return obj.skill_codes


class VolunteerMeSerializer(VolunteerSerializer):
    hours_to_next_star = serializers.SerializerMethodField()

    class Meta(VolunteerSerializer.Meta):
        fields = [
            *VolunteerSerializer.Meta.fields,
            "emergency_contact_name",
            "emergency_contact_phone",
            "hours_to_next_star",
        ]

    def get_hours_to_next_star(self, obj: Volunteer) -> str | None:
        need = next_level_hours(obj.hours)
        return None if need is None else str(need)


class ApplySerializer(serializers.Serializer[Any]):
    real_name = serializers.CharField(max_length=50)
    mobile = serializers.CharField(max_length=20)
    id_number = serializers.CharField(max_length=30)
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    skills = serializers.ListField(
        child=serializers.ChoiceField(choices=ServiceCategory.choices), required=False, default=list
    )
    specialties = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    service_area = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )
    availability = serializers.ListField(
        child=serializers.RegexField(r"^[0-6]-(am|pm|eve)$"),
        required=False,
        default=list,
        help_text='每周可服务时段，如 ["5-am", "6-pm"]：星期（0=周一）-时段（am/pm/eve）',
    )
    emergency_contact_name = serializers.CharField(max_length=50)
    emergency_contact_phone = serializers.CharField(max_length=20)

    def validate_availability(self, value: list[str]) -> int:
        from .models import availability_bit

        period_codes = [p for p, _ in PERIODS]
        mask = 0
        for slot in value:
            day, period = slot.split("-")
            mask |= availability_bit(int(day), period_codes.index(period))
        return mask


class VolunteerReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class TeamSerializer(serializers.ModelSerializer[Team]):
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    site_name = serializers.CharField(source="site.name", read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    kind = serializers.ChoiceField(choices=TeamKind.choices, default=TeamKind.STANDING)
    category = serializers.ChoiceField(
        choices=ServiceCategory.choices, required=False, allow_blank=True, default=""
    )

    class Meta:
        model = Team
        fields = [
            "id",
            "site",
            "site_name",
            "name",
            "kind",
            "category",
            "description",
            "is_active",
            "member_count",
        ]
        # No generated unique-together validator: it would run before the scope check
        # (telling another township which team names exist) and put a generic message on
        # non_field_errors; team_create/team_update check the name after the scope check.
        validators: list[Any] = []


class TeamMemberSerializer(serializers.ModelSerializer[TeamMembership]):
    volunteer = serializers.IntegerField(source="volunteer.id", read_only=True)
    real_name = serializers.CharField(source="volunteer.real_name", read_only=True)

    class Meta:
        model = TeamMembership
        fields = ["volunteer", "real_name", "is_leader", "joined_at"]


class TeamMemberWriteSerializer(serializers.Serializer[Any]):
    volunteer = serializers.IntegerField()
    is_leader = serializers.BooleanField(required=False, default=False)


class ServiceRecordSerializer(serializers.ModelSerializer[ServiceRecord]):
    site_name = serializers.CharField(source="site.name", read_only=True)

    class Meta:
        model = ServiceRecord
        fields = ["id", "service_date", "title", "site", "site_name", "hours", "created_at"]
        read_only_fields = ["id", "created_at", "site_name"]


class CertificateSerializer(serializers.ModelSerializer[Certificate]):
    issuing_site = SiteBriefSerializer(read_only=True)

    class Meta:
        model = Certificate
        fields = [
            "number",
            "verification_code",
            "issued_on",
            "issuing_site",
            "total_hours",
            "star_level",
            "content",
            "notes",
        ]


class CertificateVerifySerializer(serializers.Serializer[Any]):
    number = serializers.CharField()
    name = serializers.CharField()
    total_hours = serializers.DecimalField(max_digits=10, decimal_places=1)
    issuer = serializers.CharField()
    issued_on = serializers.DateField()


STATUS_ACTIONS = {"approve", "reject", "suspend"}
__all__ = ["VolunteerStatus", "STATUS_ACTIONS"]
