"""Integrators' keys, every use of them, and the orders placed through Open311."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.orders.models import ServiceOrder
from apps.sites.models import Site


class ApiKey(models.Model):
    """One integrator's key, issued by a county admin for a subtree of the site tree.

    Only the SHA-256 of the key is stored (the key is shown once, when issued); the
    first characters (``prefix``) let staff tell keys apart. Orders placed with a key
    are placed by its own account (``user``): a staff role at ``site`` that nobody can
    sign in as, so the order's timeline names the integrator."""

    name = models.CharField(_("接入方名称"), max_length=100)
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("授权范围")
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="open311_key"
    )
    prefix = models.CharField(max_length=12)
    key_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    last_used_at = models.DateTimeField(_("最近使用"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 接入密钥")
        verbose_name_plural = _("Open311 接入密钥")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class ApiKeyUse(models.Model):
    """Every call that presented a valid key: which, when, what, and how it ended."""

    key = models.ForeignKey(ApiKey, on_delete=models.CASCADE, related_name="uses")
    at = models.DateTimeField(auto_now_add=True)
    method = models.CharField(max_length=8)
    path = models.CharField(max_length=200)
    status = models.PositiveSmallIntegerField()
    remote_addr = models.CharField(max_length=45, blank=True)
    order = models.ForeignKey(
        ServiceOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        verbose_name = _("Open311 调用记录")
        verbose_name_plural = _("Open311 调用记录")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["key", "-at"], name="o311_use_key_at_idx")]

    def __str__(self) -> str:
        return f"{self.key_id} {self.method} {self.path} {self.status}"


class Open311Request(models.Model):
    """An order placed through Open311: the integrator's own request id (a repeat
    returns the first order), the token answered, and what the spec carries that an
    order does not (the coordinates, the media URL, the full description)."""

    key = models.ForeignKey(ApiKey, on_delete=models.PROTECT, related_name="requests")
    order = models.OneToOneField(
        ServiceOrder, on_delete=models.CASCADE, related_name="open311_request"
    )
    external_id = models.CharField(max_length=100, blank=True)
    token = models.CharField(max_length=32, unique=True)
    lat = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    long = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    media_url = models.URLField(max_length=500, blank=True)
    description = models.TextField(max_length=4000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 请求")
        verbose_name_plural = _("Open311 请求")
        constraints = [
            models.UniqueConstraint(
                fields=["key", "external_id"],
                condition=~Q(external_id=""),
                name="o311_external_id_unique_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key_id}:{self.external_id or self.token} → #{self.order_id}"
