"""The practice network as one tree: county center → township stations → village points,
with practice bases hanging under any non-base site.

Subtree queries use a materialised path: every site stores the ids of its ancestors and
itself as zero-padded segments (``0000001/0000004/0000017/``), so "this site and
everything below it" is one ``path LIKE 'prefix%'`` query on an indexed column.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext_lazy as _

PATH_SEGMENT_WIDTH = 7  # ids up to 9,999,999: far beyond the 1,000-site design target


def site_code_for(pk: int) -> str:
    """A site's stable code (the Open311 ``jurisdiction_id``): "S" and the zero-padded
    id, given once when the site is created and never changed (migration 0004 gave the
    sites that existed before codes theirs the same way)."""
    return f"S{pk:0{PATH_SEGMENT_WIDTH}d}"


class SiteLevel(models.TextChoices):
    COUNTY = "county", _("县级中心")
    TOWNSHIP = "township", _("乡镇（街道）实践所")
    VILLAGE = "village", _("村（社区）实践站")
    BASE = "base", _("实践基地")


# Which levels a site of each level may hang under (None: it is a root).
ALLOWED_PARENT_LEVELS: dict[str, tuple[str | None, ...]] = {
    SiteLevel.COUNTY: (None,),
    SiteLevel.TOWNSHIP: (SiteLevel.COUNTY,),
    SiteLevel.VILLAGE: (SiteLevel.TOWNSHIP,),
    SiteLevel.BASE: (SiteLevel.COUNTY, SiteLevel.TOWNSHIP, SiteLevel.VILLAGE),
}


def check_parent_level(level: str, parent: Site | None) -> None:
    """Raise ValidationError when ``parent`` may not hold a site of ``level``."""
    parent_level = parent.level if parent is not None else None
    allowed = ALLOWED_PARENT_LEVELS.get(level)
    if allowed is None:
        raise ValidationError({"level": _("未知的阵地层级。")}, code="invalid_level")
    if parent_level not in allowed:
        labels = {
            SiteLevel.COUNTY: _("县级中心没有上级阵地。"),
            SiteLevel.TOWNSHIP: _("乡镇实践所的上级必须是县级中心。"),
            SiteLevel.VILLAGE: _("村（社区）实践站的上级必须是乡镇实践所。"),
            SiteLevel.BASE: _("实践基地必须挂在中心、实践所或实践站之下。"),
        }
        raise ValidationError({"parent": labels[SiteLevel(level)]}, code="invalid_parent")


class Site(models.Model):
    name = models.CharField(_("名称"), max_length=100)
    # Stable and unique: other systems name a site by it (Open311 ``jurisdiction_id``).
    # Set by save() on creation; not editable.
    code = models.CharField(_("阵地编码"), max_length=20, unique=True, editable=False)
    level = models.CharField(_("层级"), max_length=16, choices=SiteLevel.choices)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("上级阵地"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )
    # Maintained by save(); never edited by hand.
    path = models.CharField(max_length=255, editable=False, default="")
    depth = models.PositiveSmallIntegerField(editable=False, default=0)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    contact_name = models.CharField(_("联系人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    # The issuer part of service record certificates: who is in charge, the seal.
    person_in_charge = models.CharField(_("负责人"), max_length=50, blank=True)
    seal = models.ImageField(_("印章图片"), upload_to="seals/", blank=True)
    # Minutes an order may wait undispatched here before it is escalated to the parent
    # site (empty: settings.ORDER_ESCALATION_MINUTES, 2 hours).
    escalation_minutes = models.PositiveIntegerField(_("派单时限（分钟）"), null=True, blank=True)
    is_active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("阵地")
        verbose_name_plural = _("阵地")
        ordering = ["path"]
        indexes = [
            # varchar_pattern_ops lets PostgreSQL use the index for LIKE 'prefix%'
            # whatever the database collation; SQLite ignores the opclass.
            models.Index(
                fields=["path"], name="site_path_prefix_idx", opclasses=["varchar_pattern_ops"]
            ),
            models.Index(fields=["level", "is_active"], name="site_level_active_idx"),
        ]
        constraints = [
            # Only the county center is a root; everything else has a parent.
            models.CheckConstraint(
                condition=(
                    models.Q(level="county", parent__isnull=True)
                    | (~models.Q(level="county") & models.Q(parent__isnull=False))
                ),
                name="site_root_is_county",
            ),
            models.CheckConstraint(
                condition=models.Q(level__in=[c.value for c in SiteLevel]),
                name="site_level_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, then bring ``path``/``depth`` (and, after a move, the descendants') in line.

        The path needs the row's id, so a new site is written first and its path set
        by a second UPDATE in the same transaction.
        """
        with transaction.atomic():
            if not self.code and self.pk is None:
                # Unique until the id is known: the final code follows in the UPDATE.
                self.code = f"new-{uuid.uuid4().hex[:16]}"
            super().save(*args, **kwargs)
            if self.code.startswith("new-"):
                self.code = site_code_for(self.pk)
                Site.objects.filter(pk=self.pk).update(code=self.code)
            parent_path = self.parent.path if self.parent_id and self.parent else ""
            new_path = f"{parent_path}{self.pk:0{PATH_SEGMENT_WIDTH}d}/"
            if new_path == self.path:
                return
            old_path = self.path
            new_depth = new_path.count("/") - 1
            Site.objects.filter(pk=self.pk).update(path=new_path, depth=new_depth)
            if old_path:
                # A move: rewrite every descendant's prefix in one statement.
                Site.objects.filter(path__startswith=old_path).exclude(pk=self.pk).update(
                    path=Concat(Value(new_path), Substr("path", len(old_path) + 1)),
                    depth=models.F("depth") + (new_depth - self.depth),
                )
            self.path, self.depth = new_path, new_depth

    def clean(self) -> None:
        check_parent_level(self.level, self.parent)
        if self.pk and self.parent_id:
            parent = self.parent
            assert parent is not None
            if parent.path.startswith(self.path) and self.path:
                raise ValidationError({"parent": _("不能把阵地挂到它自己的下级之下。")})

    # --- tree reads ---------------------------------------------------------------
    def subtree(self) -> models.QuerySet[Site]:
        """This site and everything below it: one indexed prefix query."""
        return Site.objects.filter(path__startswith=self.path)

    def ancestor_ids(self) -> list[int]:
        """Ids of this site and its ancestors, root first, read from the path."""
        return [int(seg) for seg in self.path.strip("/").split("/") if seg]

    def ancestors(self) -> models.QuerySet[Site]:
        """This site and its ancestors (root first): one query by primary key."""
        return Site.objects.filter(pk__in=self.ancestor_ids()).order_by("depth")

    def is_within(self, other: Site) -> bool:
        return self.path.startswith(other.path)
