"""Showcase posts (晒成果), their photos and their review trail (内容把关)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.activities.models import Activity
from apps.orders.models import ServiceOrder
from apps.sites.models import Site

MAX_PHOTOS = 9


class PostStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    TOWNSHIP_REVIEW = "township_review", _("待乡镇审核")
    COUNTY_REVIEW = "county_review", _("待县中心审核")
    EDITOR_REVIEW = "editor_review", _("待媒体中心终审")
    RETURNED = "returned", _("退回修改")
    REJECTED = "rejected", _("未通过")
    PUBLISHED = "published", _("已发布")
    UNPUBLISHED = "unpublished", _("已撤稿")


class ShowcasePost(models.Model):
    """One post: written by staff of ``site``, reviewed up the tree, public once the
    media center's editor approves it (``published_at``)."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="showcase_posts", verbose_name=_("阵地")
    )
    title = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"), max_length=5000)
    activity = models.ForeignKey(
        Activity,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="showcase_posts",
        verbose_name=_("关联活动"),
    )
    order = models.ForeignKey(
        ServiceOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="showcase_posts",
        verbose_name=_("关联点单"),
    )
    status = models.CharField(
        _("状态"), max_length=20, choices=PostStatus.choices, default=PostStatus.DRAFT
    )
    status_changed_at = models.DateTimeField()
    # 肖像同意: who confirmed that the people shown agreed to be published, and when.
    # Ticked on every submission (the photos may have changed since the last one).
    consent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    consent_at = models.DateTimeField(null=True, blank=True)
    review_comment = models.CharField(_("审核意见"), max_length=1000, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    unpublished_at = models.DateTimeField(null=True, blank=True)
    unpublish_reason = models.CharField(_("撤稿原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("晒成果")
        verbose_name_plural = _("晒成果")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The public pages and the feeds: published posts, newest first.
            models.Index(
                fields=["-published_at", "-id"],
                condition=Q(status="published"),
                name="post_published_idx",
            ),
            models.Index(fields=["site", "status"], name="post_site_status_idx"),
            models.Index(fields=["status", "-updated_at"], name="post_status_updated_idx"),
            models.Index(fields=["activity"], name="post_activity_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PostStatus.values), name="post_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="draft") | Q(consent_at__isnull=False) | Q(status="returned"),
                name="post_consent_before_review",
            ),
            models.UniqueConstraint(
                fields=["created_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="post_idempotency_key_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == PostStatus.PUBLISHED


class PostPhoto(models.Model):
    """A photo of a post. ``original`` is the cleaned upload (re-encoded, no EXIF),
    private like every upload; ``web`` (1600 px) and ``thumb`` are what the public
    sees, served only while the post is published."""

    post = models.ForeignKey(ShowcasePost, on_delete=models.CASCADE, related_name="photos")
    position = models.PositiveSmallIntegerField(default=0)
    original = models.ImageField(upload_to="showcase/%Y/%m/original/")
    web = models.ImageField(upload_to="showcase/%Y/%m/web/")
    thumb = models.ImageField(upload_to="showcase/%Y/%m/thumb/")
    width = models.PositiveIntegerField(default=0)  # of ``web``
    height = models.PositiveIntegerField(default=0)
    caption = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("成果照片")
        verbose_name_plural = _("成果照片")
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.post_id} · {self.pk}"


class PostEvent(models.Model):
    """The review trail: every move with who, when, from, to and the comment."""

    post = models.ForeignKey(ShowcasePost, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("审核记录")
        verbose_name_plural = _("审核记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["post", "created_at"], name="post_event_time_idx")]

    def __str__(self) -> str:
        return f"{self.post_id} {self.action}"
