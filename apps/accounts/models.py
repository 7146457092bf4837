from __future__ import annotations

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site


class RoleName(models.TextChoices):
    RESIDENT = "resident", _("群众")
    VOLUNTEER = "volunteer", _("志愿者")
    STAFF = "staff", _("阵地工作人员")
    COUNTY_ADMIN = "county_admin", _("县级管理员")
    # The county media center's editors (融媒体中心): held at the county; they give the
    # final approval to showcase posts and withdraw published ones. Not a manager role:
    # an editor sees the posts under review, not the county's people or orders.
    EDITOR = "editor", _("媒体中心编辑")


class User(AbstractUser):
    """A person using the portal. Login by username or mobile number."""

    # Stored normalised (11 digits); NULL rather than "" so several users without a
    # number do not collide on the unique index.
    mobile = models.CharField(_("手机号"), max_length=11, unique=True, null=True, blank=True)
    real_name = models.CharField(_("姓名"), max_length=50, blank=True)
    # The language last chosen with the switch ("" = the portal's default, Chinese):
    # e-mails and text messages are written in it, since they are sent outside any
    # request (apps.notifications.delivery).
    language = models.CharField(_("语言"), max_length=10, blank=True)

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")

    def __str__(self) -> str:
        return self.real_name or self.username

    @property
    def display_name(self) -> str:
        return display_name_of(self.real_name, self.first_name, self.last_name, self.username)


def display_name_of(real_name: str, first_name: str, last_name: str, username: str) -> str:
    """``User.display_name`` from the columns (rows read with ``values()``)."""
    return real_name or f"{first_name} {last_name}".strip() or username


class Role(models.Model):
    """A role held at a site. Staff and county admins manage the site's whole subtree."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="roles")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="roles")
    role = models.CharField(_("角色"), max_length=20, choices=RoleName.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("角色")
        verbose_name_plural = _("角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "site", "role"], name="role_unique_per_site"),
            models.CheckConstraint(
                condition=models.Q(role__in=[c.value for c in RoleName]), name="role_name_valid"
            ),
        ]
        indexes = [models.Index(fields=["site", "role"], name="role_site_role_idx")]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} @ {self.site}"


class RevealedField(models.TextChoices):
    MOBILE = "mobile", _("手机号")
    ID_NUMBER = "id_number", _("身份证号")


class AppendOnlyQuerySet(models.QuerySet["PersonalDataAccess"]):
    def update(self, **kwargs: object) -> int:
        raise PermissionError("the personal-data access log is append-only")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise PermissionError("the personal-data access log is append-only")


class PersonalDataAccess(models.Model):
    """One reveal of a full mobile or ID-card number to someone other than its owner
    (PIPL): who saw whose which field, when, and from which page or endpoint.
    Append-only: ``save`` refuses updates, deletes are refused, and on PostgreSQL a
    trigger refuses UPDATE and DELETE (migration 0002)."""

    # Keys checked once per statement on PostgreSQL (apps/core/references.py, migration
    # 0008): a list page logs 50 reveals in one INSERT, and 100 row-level key checks at
    # its commit were a fifth of the order list's time.
    viewer = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    subject = models.ForeignKey(
        User, null=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    # For people without an account of their own (an order's contact number).
    subject_label = models.CharField(max_length=100, blank=True)
    field = models.CharField(max_length=16, choices=RevealedField.choices)
    source = models.CharField(_("页面或接口"), max_length=200)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("个人信息查看记录")
        verbose_name_plural = _("个人信息查看记录")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.viewer_id} → {self.subject_id or self.subject_label} · {self.field}"

    def save(self, *args: object, **kwargs: object) -> None:
        if self.pk is not None:
            raise PermissionError("the personal-data access log is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise PermissionError("the personal-data access log is append-only")


class ResidentProfile(models.Model):
    """What a resident keeps for ordering: their own address (prefilled on the order
    form), a landline for callers without a mobile, and whether staff registered them
    on the spot from a phone call (代点单) — such an account has no password until the
    caller claims it with a code texted to its mobile (``claim.py``)."""

    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="resident_profile")
    address = models.CharField(_("常用服务地址"), max_length=200, blank=True)
    landline = models.CharField(_("固定电话"), max_length=20, blank=True)
    registered_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    registered_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("群众资料")
        verbose_name_plural = _("群众资料")

    def __str__(self) -> str:
        return f"{self.user} · {self.address}"

    @property
    def registered_by_staff(self) -> bool:
        return self.registered_by_id is not None


class FamilyProxy(models.Model):
    """A family member (e.g. a son working in the city) who may order, nudge and rate
    for an elderly resident and hears what the elder hears about their orders."""

    elder = models.ForeignKey(User, on_delete=models.CASCADE, related_name="family_proxies")
    proxy = models.ForeignKey(User, on_delete=models.CASCADE, related_name="proxy_for")
    relation = models.CharField(_("关系"), max_length=20, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("家属代办")
        verbose_name_plural = _("家属代办")
        constraints = [
            models.UniqueConstraint(fields=["elder", "proxy"], name="family_proxy_unique"),
            models.CheckConstraint(
                condition=~models.Q(elder=models.F("proxy")), name="family_proxy_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proxy} → {self.elder}"


class AccountClaim(models.Model):
    """One request for a code to claim a staff-registered account (README: phone-in
    orders), and, once used, the record of the claim: which account, when, from which
    address.

    A row is written for every request, whether or not the number belongs to such an
    account (``user`` is then NULL and no text is sent): the answer, the work and the
    per-mobile rate limit are the same either way, so the page does not tell whether a
    number is registered. The mobile is kept only as a keyed digest (a number typed by
    a stranger is not stored), the code only as a password hash."""

    mobile_digest = models.CharField(max_length=64)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    code_hash = models.CharField(max_length=128)
    # The send form's one-time token: a double submit returns this row, no second text.
    request_key = models.CharField(max_length=100, unique=True)
    client_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    wrong_attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("账号开通验证")
        verbose_name_plural = _("账号开通验证")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The per-mobile rate limit: this number's requests of the last hour.
            models.Index(fields=["mobile_digest", "created_at"], name="claim_mobile_created_idx"),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk} · {self.user_id or '-'}"
