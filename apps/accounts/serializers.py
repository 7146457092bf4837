from __future__ import annotations

from typing import Any

from rest_framework import serializers

from apps.sites.models import Site
from apps.sites.serializers import SiteBriefSerializer

from .models import Role, User
from .selectors import mobile_for


class RoleSerializer(serializers.ModelSerializer[Role]):
    site = SiteBriefSerializer(read_only=True)

    class Meta:
        model = Role
        fields = ["role", "site"]


class MeSerializer(serializers.ModelSerializer[User]):
    roles = RoleSerializer(many=True, read_only=True)
    # Blank when the user gave none: documented as a plain string, not format "email".
    email = serializers.CharField(read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "real_name", "mobile", "email", "roles"]


class UserDirectorySerializer(serializers.ModelSerializer[User]):
    """A user as another person sees them: the mobile number masked unless the viewer
    is the owner or staff in scope."""

    mobile = serializers.SerializerMethodField()
    roles = RoleSerializer(many=True, read_only=True)

    class Meta:
        model = User
        fields = ["id", "username", "real_name", "mobile", "roles"]

    def get_mobile(self, obj: User) -> str:
        return mobile_for(self.context["request"].user, obj)


class RegisterSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, style={"input_type": "password"})
    mobile = serializers.CharField(max_length=20)
    site = serializers.PrimaryKeyRelatedField(queryset=Site.objects.all())
    real_name = serializers.CharField(max_length=50, required=False, allow_blank=True, default="")


class TokenRequestSerializer(serializers.Serializer[Any]):
    # 150: the username column (and django-axes' column for failed attempts) is
    # bounded; a longer name can match no account and must not reach the database.
    username = serializers.CharField(help_text="用户名或手机号", max_length=150)
    password = serializers.CharField(style={"input_type": "password"}, max_length=128)


class TokenResponseSerializer(serializers.Serializer[Any]):
    token = serializers.CharField()
