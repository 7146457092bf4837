from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from apps.core.params import IdParam
from apps.sites.serializers import SiteBriefSerializer

from .models import PostEvent, PostPhoto, PostStatus, ShowcasePost


class PostPhotoSerializer(serializers.ModelSerializer[PostPhoto]):
    web_url = serializers.SerializerMethodField()
    thumb_url = serializers.SerializerMethodField()

    class Meta:
        model = PostPhoto
        fields = ["id", "position", "width", "height", "caption", "web_url", "thumb_url"]

    def get_web_url(self, obj: PostPhoto) -> str:
        return reverse("showcase:photo", args=[obj.pk, "web"])

    def get_thumb_url(self, obj: PostPhoto) -> str:
        return reverse("showcase:photo", args=[obj.pk, "thumb"])


class PostSerializer(serializers.ModelSerializer[ShowcasePost]):
    site = SiteBriefSerializer(read_only=True)
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    photos = PostPhotoSerializer(many=True, read_only=True)
    url = serializers.SerializerMethodField()

    class Meta:
        model = ShowcasePost
        fields = [
            "id",
            "site",
            "title",
            "body",
            "activity",
            "order",
            "status",
            "status_display",
            "photos",
            "consent_at",
            "review_comment",
            "submitted_at",
            "published_at",
            "unpublished_at",
            "unpublish_reason",
            "created_at",
            "updated_at",
            "url",
        ]

    def get_url(self, obj: ShowcasePost) -> str:
        return reverse("showcase:detail", args=[obj.pk])


class PostWriteSerializer(serializers.Serializer[Any]):
    site = IdParam(required=False, allow_null=True)
    title = serializers.CharField(max_length=100)
    body = serializers.CharField(max_length=5000)
    activity = IdParam(required=False, allow_null=True)
    order = IdParam(required=False, allow_null=True)
    copy_source_photos = serializers.BooleanField(required=False, default=True)


class PostUpdateSerializer(serializers.Serializer[Any]):
    title = serializers.CharField(max_length=100)
    body = serializers.CharField(max_length=5000)


class PostPhotoUploadSerializer(serializers.Serializer[Any]):
    photo = serializers.ImageField()


class PostSubmitSerializer(serializers.Serializer[Any]):
    consent = serializers.BooleanField(
        help_text="作者确认照片和文字中出现的人已同意公开发布（必须为 true）。"
    )


class PostNoteSerializer(serializers.Serializer[Any]):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")


class PostCommentSerializer(serializers.Serializer[Any]):
    comment = serializers.CharField(max_length=1000)


class PostReasonSerializer(serializers.Serializer[Any]):
    reason = serializers.CharField(max_length=500)


class PostEventSerializer(serializers.ModelSerializer[PostEvent]):
    actor = serializers.CharField(source="actor.display_name", read_only=True, default=None)

    class Meta:
        model = PostEvent
        fields = ["id", "action", "from_status", "to_status", "note", "actor", "created_at"]


class PostFilterSerializer(serializers.Serializer[Any]):
    status = serializers.ChoiceField(choices=PostStatus.choices, required=False)
    queue = serializers.BooleanField(required=False, default=False)
