"""Notifications: in-app messages, and their e-mail and site-webhook deliveries.

The ``Notification`` row (and its ``Delivery`` rows) are written in the same database
transaction as the change that causes them; Celery only carries them out after
commit. A delivery the broker never received stays ``pending`` and the sweep picks it
up, so a lost broker never loses a notification.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site

from .messages import Message, render_message


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=40)
    # ``params`` is what the message says, as data (apps.notifications.messages), and
    # is rendered in the reader's language. ``title``/``body`` keep the text in the
    # portal's own language (Chinese): the admin and search read them, and rows from
    # before params existed show them as they are.
    params = models.JSONField(default=dict, blank=True)
    title = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    url = models.CharField(max_length=300, blank=True)
    # Makes creation idempotent: the same event notifies the same user once.
    dedupe_key = models.CharField(max_length=150, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("站内消息")
        verbose_name_plural = _("站内消息")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The bell: unread count per user.
            models.Index(
                fields=["user"], condition=Q(read_at__isnull=True), name="notif_unread_idx"
            ),
            models.Index(fields=["user", "-created_at"], name="notif_user_created_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notif_dedupe_unique",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @cached_property
    def message(self) -> Message:
        """Title and body in the active language (no query: params are a snapshot)."""
        return self.render()

    def render(self) -> Message:
        """``message`` rendered afresh (under ``translation.override``, say)."""
        if not self.params:
            return Message(self.title, self.body)
        try:
            return render_message(self.kind, self.params)
        except (LookupError, KeyError, TypeError, ValueError):
            # A kind retired since, or a snapshot this code no longer reads: the
            # stored text is still right, only not translated.
            return Message(self.title, self.body)

    @property
    def display_title(self) -> str:
        return self.message.title

    @property
    def display_body(self) -> str:
        return self.message.body


class WebhookKind(models.TextChoices):
    WECOM = "wecom", _("企业微信群机器人")
    DINGTALK = "dingtalk", _("钉钉群机器人")


class SiteWebhook(models.Model):
    """A station's group-chat robot: messages for the site's staff are posted there."""

    site = models.OneToOneField(Site, on_delete=models.CASCADE, related_name="webhook")
    kind = models.CharField(
        _("类型"), max_length=16, choices=WebhookKind.choices, default=WebhookKind.WECOM
    )
    url = models.URLField(_("机器人地址"), max_length=500)
    is_active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("阵地群机器人")
        verbose_name_plural = _("阵地群机器人")

    def __str__(self) -> str:
        return f"{self.site} · {self.get_kind_display()}"


class Channel(models.TextChoices):
    EMAIL = "email", _("电子邮件")
    WEBHOOK = "webhook", _("群机器人")
    SMS = "sms", _("短信")
    # A JSON event to another system (the media center's app), signed with HMAC-SHA256:
    # ``body`` holds the exact bytes sent, ``recipient`` the URL (apps/notifications/signed.py).
    SIGNED_WEBHOOK = "signed_webhook", _("签名推送")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENDING = "sending", _("发送中")
    RETRY = "retry", _("等待重试")
    SENT = "sent", _("已发送")
    FAILED = "failed", _("发送失败")


class Delivery(models.Model):
    """One message to send through one outside channel, with its retry state."""

    channel = models.CharField(max_length=16, choices=Channel.choices)
    notification = models.ForeignKey(
        Notification, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries"
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    recipient = models.CharField(max_length=500)  # e-mail address, webhook URL or mobile
    subject = models.CharField(max_length=200)
    body = models.TextField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While ``sending``: when the claim expires (a worker killed mid-send releases it).
    locked_until = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    dedupe_key = models.CharField(max_length=150, null=True, blank=True, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("消息投递")
        verbose_name_plural = _("消息投递")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep: undelivered rows by when they are due.
            models.Index(
                fields=["status", "next_attempt_at"],
                condition=Q(status__in=["pending", "retry", "sending"]),
                name="delivery_due_idx",
            ),
            models.Index(fields=["site", "status"], name="delivery_site_status_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.recipient[:40]} ({self.status})"
