"""Volunteers (志愿者), teams (志愿服务队, "8+N"), confirmed service records and the
service record certificate (志愿服务记录证明)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site


class ServiceCategory(models.TextChoices):
    """Service fields: a volunteer's skills, a team's field, a menu item's category."""

    THEORY = "theory", _("理论宣讲")
    EDUCATION = "education", _("教育服务")
    CULTURE = "culture", _("文化文艺")
    SCIENCE = "science", _("科学普及")
    HEALTH = "health", _("卫生健康")
    LEGAL = "legal", _("法律服务")
    SPORTS = "sports", _("体育健身")
    ENVIRONMENT = "environment", _("生态环保")
    ELDERLY = "elderly", _("助老扶弱")
    OTHER = "other", _("其他")


class VolunteerStatus(models.TextChoices):
    PENDING = "pending", _("待审核")
    APPROVED = "approved", _("已通过")
    REJECTED = "rejected", _("未通过")
    SUSPENDED = "suspended", _("已暂停")
    WITHDRAWN = "withdrawn", _("已退出")


# Weekly availability: 7 days × 3 periods as a 21-bit mask, so "free on Saturday
# morning" is one bitwise AND in SQL on either database.
WEEKDAYS = [_("周一"), _("周二"), _("周三"), _("周四"), _("周五"), _("周六"), _("周日")]
PERIODS = [("am", _("上午")), ("pm", _("下午")), ("eve", _("晚上"))]


def availability_bit(weekday: int, period_index: int) -> int:
    return 1 << (weekday * len(PERIODS) + period_index)


def period_index_for_hour(hour: int) -> int:
    return 0 if hour < 12 else (1 if hour < 18 else 2)


class Volunteer(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="volunteer"
    )
    # (Indexed by vol_site_status_id_idx and vol_site_applied_id_idx, which lead with it.)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="volunteers",
        verbose_name=_("所属阵地"),
        db_index=False,
    )
    number = models.CharField(_("志愿者编号"), max_length=20, unique=True, null=True, blank=True)
    real_name = models.CharField(_("姓名"), max_length=50)
    mobile = models.CharField(_("手机号"), max_length=11)
    # Personal data: shown whole only to the owner and staff in scope (selectors).
    # NULL when not on file (the national records export lists such volunteers apart,
    # to be completed first); unique among those on file.
    id_number = models.CharField(_("身份证号"), max_length=18, unique=True, null=True, blank=True)
    specialties = models.CharField(_("特长"), max_length=200, blank=True)
    service_area = models.CharField(_("服务区域"), max_length=200, blank=True)
    availability = models.PositiveIntegerField(_("每周可服务时段"), default=0)
    emergency_contact_name = models.CharField(_("紧急联系人"), max_length=50)
    emergency_contact_phone = models.CharField(_("紧急联系人电话"), max_length=11)
    status = models.CharField(
        _("状态"), max_length=16, choices=VolunteerStatus.choices, default=VolunteerStatus.PENDING
    )
    status_reason = models.CharField(_("原因"), max_length=300, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    # Confirmed service hours (service time only, travel excluded). Written by
    # services.service_record_add and by the nightly points settlement; star_level is
    # derived from it and recomputed in the same statement.
    hours = models.DecimalField(
        _("累计服务时长"), max_digits=10, decimal_places=1, default=Decimal("0")
    )
    star_level = models.PositiveSmallIntegerField(_("星级"), default=0)
    applied_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("志愿者")
        verbose_name_plural = _("志愿者")
        indexes = [
            # (site, status) lookups, and the dispatch candidates of a point in id order.
            models.Index(fields=["site", "status", "id"], name="vol_site_status_id_idx"),
            models.Index(fields=["status", "applied_at"], name="vol_status_applied_idx"),
            # The roster's order (newest application first, then id), whole and by status.
            models.Index(fields=["-applied_at", "id"], name="vol_applied_id_idx"),
            # A single point's roster (its staff's), in the roster's order.
            models.Index(fields=["site", "-applied_at", "id"], name="vol_site_applied_id_idx"),
            models.Index(fields=["status", "-applied_at", "id"], name="vol_status_applied_id_idx"),
            models.Index(fields=["star_level"], name="vol_star_idx"),
            # Equality and the roster's prefix search (mobile LIKE '139%').
            models.Index(
                fields=["mobile"], name="vol_mobile_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(hours__gte=0), name="vol_hours_nonnegative"),
            models.CheckConstraint(condition=models.Q(star_level__lte=5), name="vol_star_max_5"),
        ]

    def __str__(self) -> str:
        return self.real_name

    @property
    def mobile_masked(self) -> str:
        from apps.accounts.mobile import mask_mobile

        return mask_mobile(self.mobile)

    def _prefetched(self, name: str) -> list[Any]:
        """A relation's rows as the lists prefetched them (``selectors._with_relations``
        sets ``<name>_list``: plain lists, where a prefetch into the relation itself
        builds a queryset per row, and ``.all()`` a manager and a clone on every read);
        otherwise read from the database."""
        rows = getattr(self, f"{name}_list", None)
        if rows is not None:
            return list(rows)
        return list(getattr(self, name).all())

    @property
    def skill_rows(self) -> list[Any]:
        return self._prefetched("skills")

    @property
    def skill_codes(self) -> list[str]:
        return [s.category for s in self.skill_rows]

    @property
    def membership_rows(self) -> list[Any]:
        return self._prefetched("memberships")


class VolunteerSkill(models.Model):
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="skills")
    category = models.CharField(max_length=20, choices=ServiceCategory.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["volunteer", "category"], name="vol_skill_unique"),
        ]
        indexes = [models.Index(fields=["category", "volunteer"], name="vol_skill_cat_idx")]

    def __str__(self) -> str:
        return self.get_category_display()


class VolunteerEvent(models.Model):
    """Audit row for every change of a volunteer's status."""

    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    # What the system says happened (``EVENT_TEXTS``, rendered in the reader's
    # language); ``note`` is only what a person typed (a reason).
    code = models.CharField(max_length=40, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    EVENT_TEXTS = {"applied": pgettext_lazy("volunteer event", "提交申请")}

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.volunteer_id}: {self.from_status or '—'} → {self.to_status}"

    @property
    def text(self) -> str:
        """The event in the active language: the system's words, then the person's."""
        said = str(self.EVENT_TEXTS[self.code]) if self.code in self.EVENT_TEXTS else ""
        if said and self.note:
            return gettext("%(text)s：%(note)s") % {"text": said, "note": self.note}
        return said or self.note

    @property
    def from_label(self) -> str:
        return str(VolunteerStatus(self.from_status).label) if self.from_status else "—"

    @property
    def to_label(self) -> str:
        return str(VolunteerStatus(self.to_status).label)


class TeamKind(models.TextChoices):
    STANDING = "standing", _("常设服务队（8）")
    SPECIAL = "special", _("特色服务队（N）")


class Team(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="teams", verbose_name=_("所属阵地")
    )
    name = models.CharField(_("队名"), max_length=100)
    kind = models.CharField(
        _("类型"), max_length=16, choices=TeamKind.choices, default=TeamKind.STANDING
    )
    category = models.CharField(
        _("服务领域"), max_length=20, choices=ServiceCategory.choices, blank=True
    )
    description = models.TextField(_("简介"), blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    members = models.ManyToManyField(Volunteer, through="TeamMembership", related_name="teams")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("志愿服务队")
        verbose_name_plural = _("志愿服务队")
        constraints = [
            models.UniqueConstraint(fields=["site", "name"], name="team_name_unique_per_site"),
        ]

    def __str__(self) -> str:
        return self.name


class TeamMembership(models.Model):
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="memberships")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="memberships")
    is_leader = models.BooleanField(_("队长"), default=False)
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["team", "volunteer"], name="team_member_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.team_id}/{self.volunteer_id}{' (队长)' if self.is_leader else ''}"


class ServiceRecord(models.Model):
    """One confirmed service of one volunteer: what the certificate lists.

    ``source_key`` names where it came from (``order:<id>:volunteer:<id>``,
    ``manual:<uuid>``); its unique index makes recording the same service twice
    impossible, so the settlement can write these idempotently.
    """

    # Keys checked per statement, not by constraints (apps/core/references.py).
    # volunteer: no index of its own, rec_vol_date_idx leads with it.
    volunteer = models.ForeignKey(
        Volunteer,
        on_delete=models.PROTECT,
        related_name="records",
        db_index=False,
        db_constraint=False,
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("服务阵地"),
        db_constraint=False,
    )
    service_date = models.DateField(_("服务日期"))
    title = models.CharField(_("服务项目"), max_length=200)
    hours = models.DecimalField(_("服务时长"), max_digits=6, decimal_places=1)
    source_key = models.CharField(max_length=100, unique=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务记录")
        verbose_name_plural = _("服务记录")
        ordering = ["service_date", "id"]
        indexes = [models.Index(fields=["volunteer", "service_date"], name="rec_vol_date_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours__gt=0) & models.Q(hours__lte=24), name="rec_hours_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_date} {self.title} {self.hours}h"


class Certificate(models.Model):
    """志愿服务记录证明: identity, service information, issuer, notes — frozen at issue."""

    number = models.CharField(_("证明编号"), max_length=32, unique=True)
    verification_code = models.CharField(_("验证码"), max_length=12)
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="certificates")
    issuing_site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    issued_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    issued_on = models.DateField(_("开具日期"))
    total_hours = models.DecimalField(max_digits=10, decimal_places=1)
    star_level = models.PositiveSmallIntegerField(default=0)
    # Snapshot of the four parts as printed, so a later record does not change an
    # issued certificate.
    content = models.JSONField(default=dict)
    notes = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("志愿服务记录证明")
        verbose_name_plural = _("志愿服务记录证明")

    def __str__(self) -> str:
        return self.number
