"""The points ledger (积分), settlement runs, rewards (爱心超市) and redemptions.

Double-entry and append-only: every movement is a ``LedgerTransaction`` whose ``Leg``s
sum to zero. Accounts: one per volunteer, and per site an issuing account (points the
site has awarded: it goes negative) and a shop account (points spent there).
``Account.balance`` is a cache of the sum of the account's legs, kept in the same
database transaction as the legs; ``manage.py verify_ledger`` proves it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site
from apps.volunteers.models import Volunteer


class AccountKind(models.TextChoices):
    VOLUNTEER = "volunteer", _("志愿者积分账户")
    ISSUING = "issuing", _("阵地发放账户")
    SHOP = "shop", _("爱心超市账户")


class EntryKind(models.TextChoices):
    SERVICE = "service", _("服务积分")
    ACTIVITY = "activity", _("活动积分")
    REDEMPTION = "redemption", _("积分兑换")
    REFUND = "refund", _("兑换退回")
    ADJUSTMENT = "adjustment", _("调整")


class Account(models.Model):
    kind = models.CharField(max_length=16, choices=AccountKind.choices)
    # Keys checked per statement, not by constraints (apps/core/references.py).
    volunteer = models.OneToOneField(
        Volunteer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_account",
        db_constraint=False,
    )
    # No index of its own: the unique (site, kind) index leads with it (and every
    # lookup by site is non-null, which its partial condition needs).
    site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="points_accounts",
        db_index=False,
        db_constraint=False,
    )
    # Cache of SUM(leg.amount); written only by the ledger services in the same
    # transaction as the legs.
    balance = models.BigIntegerField(default=0)
    # Points ever credited by service/activity awards (not refunds or adjustments).
    lifetime_earned = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("积分账户")
        verbose_name_plural = _("积分账户")
        constraints = [
            # A volunteer's balance never goes below zero: the last line of defence
            # behind the row lock in the redemption service.
            models.CheckConstraint(
                condition=~Q(kind="volunteer") | Q(balance__gte=0),
                name="account_volunteer_nonnegative",
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="volunteer", volunteer__isnull=False, site__isnull=True)
                    | (~Q(kind="volunteer") & Q(volunteer__isnull=True, site__isnull=False))
                ),
                name="account_owner_matches_kind",
            ),
            models.UniqueConstraint(
                fields=["site", "kind"],
                condition=Q(site__isnull=False),
                name="account_one_per_site_kind",
            ),
        ]

    def __str__(self) -> str:
        owner = self.volunteer_id if self.kind == AccountKind.VOLUNTEER else self.site_id
        return f"{self.get_kind_display()} #{owner}"


class SettlementStatus(models.TextChoices):
    RUNNING = "running", _("进行中")
    SUCCEEDED = "succeeded", _("已完成")
    FAILED = "failed", _("失败")
    # The process running it died (killed, out of memory): its transaction rolled back,
    # so it wrote nothing; a rerun settles the date.
    ABANDONED = "abandoned", _("已中断")


class SettlementRun(models.Model):
    """One run of the nightly settlement for one date (Asia/Shanghai)."""

    settlement_date = models.DateField(_("结算日期"))
    status = models.CharField(
        max_length=16, choices=SettlementStatus.choices, default=SettlementStatus.RUNNING
    )
    triggered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    orders_seen = models.PositiveIntegerField(default=0)
    entries_created = models.PositiveIntegerField(default=0)
    points_credited = models.BigIntegerField(default=0)
    hours_credited = models.DecimalField(max_digits=14, decimal_places=1, default=0)
    volunteers_credited = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("结算批次")
        verbose_name_plural = _("结算批次")
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["settlement_date", "status"], name="run_date_status_idx")]

    def __str__(self) -> str:
        return f"{self.settlement_date} · {self.get_status_display()}"


class LedgerTransaction(models.Model):
    """One movement of points. ``source_key`` is unique: the same award, debit or
    refund can be written once and only once (``order:12:volunteer:3``,
    ``redemption:45``, ``refund:45``, ``adjustment:<uuid>``)."""

    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    source_key = models.CharField(max_length=100, unique=True)
    # Where it came from, for reports and joins (nullable: not every kind has each).
    order_id = models.BigIntegerField(null=True, blank=True)
    # Keys checked per statement, not by constraints (apps/core/references.py).
    volunteer = models.ForeignKey(
        Volunteer,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    site = models.ForeignKey(
        Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+", db_constraint=False
    )
    amount = models.BigIntegerField(default=0)  # the points moved (positive)
    hours = models.DecimalField(max_digits=6, decimal_places=1, null=True, blank=True)
    memo = models.CharField(max_length=300, blank=True)
    # Indexed by txn_run_idx below (the foreign key's own index would be a duplicate).
    run = models.ForeignKey(
        SettlementRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transactions",
        db_index=False,
        db_constraint=False,
    )
    # Indexed by txn_created_by_idx below (only where set: never by the settlement).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_constraint=False,
        db_index=False,
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("积分流水")
        verbose_name_plural = _("积分流水")
        indexes = [
            models.Index(fields=["run"], name="txn_run_idx"),
            # Spending by period (reports): redemptions and refunds only, so the
            # settlement's service credits do not maintain it.
            models.Index(
                fields=["kind", "created_at"],
                name="txn_spent_created_idx",
                condition=Q(kind__in=["redemption", "refund"]),
            ),
            models.Index(
                fields=["created_by"],
                name="txn_created_by_idx",
                condition=Q(created_by__isnull=False),
            ),
        ]
        constraints = [models.CheckConstraint(condition=Q(amount__gte=0), name="txn_amount_nonneg")]

    def __str__(self) -> str:
        return self.source_key


class Leg(models.Model):
    """One side of a transaction. Never updated or deleted (a PostgreSQL trigger
    refuses both); all legs of a transaction sum to zero (a statement-level trigger
    checks it at the end of each INSERT, migration 0004)."""

    # Keys checked per statement, not by constraints (apps/core/references.py).
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="legs", db_constraint=False
    )
    # account and run: no index of their own, the composite indexes below lead with
    # them (fewer indexes to maintain for the settlement's legs).
    account = models.ForeignKey(
        Account, on_delete=models.PROTECT, related_name="legs", db_index=False, db_constraint=False
    )
    amount = models.BigIntegerField()  # signed: credit > 0, debit < 0
    kind = models.CharField(max_length=16, choices=EntryKind.choices)
    run = models.ForeignKey(
        SettlementRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("分录")
        verbose_name_plural = _("分录")
        indexes = [
            # A volunteer's history, newest first; and the balance check per account.
            models.Index(fields=["account", "-created_at"], name="leg_account_created_idx"),
            models.Index(fields=["run", "account"], name="leg_run_account_idx"),
        ]
        constraints = [models.CheckConstraint(condition=~Q(amount=0), name="leg_amount_nonzero")]

    def __str__(self) -> str:
        return f"{self.account_id} {self.amount:+d}"


class Reward(models.Model):
    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("兑换点")
    )
    name = models.CharField(_("名称"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    photo = models.ImageField(_("图片"), upload_to="rewards/", blank=True)
    points_cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.IntegerField(_("库存"), default=0)
    per_volunteer_limit = models.PositiveIntegerField(
        _("每人限兑"), null=True, blank=True, help_text=_("留空表示不限")
    )
    is_active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("兑换商品")
        verbose_name_plural = _("兑换商品")
        ordering = ["site__path", "points_cost", "name"]
        constraints = [
            # No overselling: stock is decremented under a row lock and can never go
            # below zero even if that lock were missed.
            models.CheckConstraint(condition=Q(stock__gte=0), name="reward_stock_nonnegative"),
            models.CheckConstraint(condition=Q(points_cost__gt=0), name="reward_cost_positive"),
        ]
        indexes = [models.Index(fields=["site", "is_active"], name="reward_site_active_idx")]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    PENDING = "pending", _("待领取")
    HANDED_OVER = "handed_over", _("已领取")
    CANCELLED = "cancelled", _("已取消")


class Redemption(models.Model):
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    volunteer = models.ForeignKey(Volunteer, on_delete=models.PROTECT, related_name="redemptions")
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    points = models.PositiveIntegerField()
    status = models.CharField(
        max_length=16, choices=RedemptionStatus.choices, default=RedemptionStatus.PENDING
    )
    idempotency_key = models.CharField(max_length=100, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)
    handed_over_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name = _("兑换记录")
        verbose_name_plural = _("兑换记录")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["volunteer", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="redemption_idempotency_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["site", "status", "created_at"], name="redemption_site_status_idx"
            ),
            models.Index(
                fields=["volunteer", "reward", "status"], name="redemption_vol_reward_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reward} × {self.volunteer}"
