"""The service menu (服务菜单) and the order workflow (点单 → 派单 → 接单 → 做单 → 评单 → 定单).

The workflow rules live in ``services.py`` (one transition table, one function per
move); this module holds the data and the invariants the database can keep.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site
from apps.volunteers.models import ServiceCategory, Volunteer

# Same limit as a volunteer service record (apps.volunteers): one service of one
# volunteer is at most a day of service time.
MAX_HOURS_PER_ASSIGNMENT = Decimal("24")


def measured_hours(checked_in_at: dt.datetime, checked_out_at: dt.datetime) -> Decimal:
    """The hours rule: the time between check-in and check-out rounded up to the next
    half hour (a started half hour counts: 1 s → 0.5 h, 31 min → 1 h), at most 24.
    Reported and confirmed hours may not exceed it."""
    halves = max(1, math.ceil((checked_out_at - checked_in_at).total_seconds() / 1800))
    return min(Decimal(halves) / 2, MAX_HOURS_PER_ASSIGNMENT).quantize(Decimal("0.1"))


MAX_VOLUNTEERS_PER_ORDER = 10


class ServiceItem(models.Model):
    """A service on the menu. Published by a site, on the menu of its whole subtree."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="service_items", verbose_name=_("发布阵地")
    )
    title = models.CharField(_("服务名称"), max_length=100)
    category = models.CharField(_("服务类别"), max_length=20, choices=ServiceCategory.choices)
    description = models.TextField(_("服务内容"), blank=True)
    duration_hours = models.DecimalField(
        _("预计时长（小时）"), max_digits=4, decimal_places=1, default=Decimal("2")
    )
    points_per_hour = models.PositiveIntegerField(_("每服务小时积分"), default=10)
    volunteers_needed = models.PositiveSmallIntegerField(_("默认需要志愿者人数"), default=1)
    is_active = models.BooleanField(_("上架"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("服务菜单项")
        verbose_name_plural = _("服务菜单项")
        ordering = ["site__path", "category", "title"]
        indexes = [
            # A point's menu: active items of its ancestors (site_id IN (...), active).
            models.Index(fields=["site", "is_active"], name="item_site_active_idx"),
            models.Index(fields=["category"], name="item_category_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["site", "title"], name="item_title_unique_per_site"),
            models.CheckConstraint(
                condition=Q(category__in=ServiceCategory.values), name="item_category_valid"
            ),
            models.CheckConstraint(
                condition=Q(duration_hours__gt=0) & Q(duration_hours__lte=24),
                name="item_duration_range",
            ),
            models.CheckConstraint(
                condition=Q(volunteers_needed__gte=1)
                & Q(volunteers_needed__lte=MAX_VOLUNTEERS_PER_ORDER),
                name="item_volunteers_needed_range",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class OrderStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待派单")
    DISPATCHED = "dispatched", _("已派单")
    ACCEPTED = "accepted", _("已接单")
    IN_SERVICE = "in_service", _("服务中")
    COMPLETED = "completed", _("已完成")
    RATED = "rated", _("已评价")
    ASSESSED = "assessed", _("已考核")
    CANCELLED = "cancelled", _("已取消")
    REJECTED = "rejected", _("未通过")


class AssessmentQueue(models.TextChoices):
    """Whose assessment queue a finished order waits in ("" = not yet waiting)."""

    NONE = "", _("未进入考核")
    TOWNSHIP = "township", _("乡镇考核")
    COUNTY = "county", _("县级考核（有投诉）")


# value → lazy label: translated when shown, in the reader's language.
_ORDER_STATUS_LABELS = dict(OrderStatus.choices)


class ServiceOrder(models.Model):
    service = models.ForeignKey(
        ServiceItem, on_delete=models.PROTECT, related_name="orders", verbose_name=_("服务项目")
    )
    # The resident's point: where the order was placed. Scope is read from it.
    # (Its index is order_site_created_idx, which leads with it.)
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="orders",
        verbose_name=_("点单阵地"),
        db_index=False,
    )
    # Who handles it now: the point itself, or an ancestor after an escalation. Always
    # ``site`` or one of its ancestors, so scoping by ``site`` covers it too.
    handling_site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("承办阵地")
    )
    resident = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="service_orders",
        verbose_name=_("点单群众"),
    )
    placed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("下单人"),
    )
    # Idempotency-Key of the request that created the order, unique per placing user:
    # a repeated POST finds the first order instead of creating a second one.
    idempotency_key = models.CharField(max_length=100, null=True, blank=True, editable=False)
    # SHA-256 of the normalised request that placed it with an Idempotency-Key: a repeat
    # with the same key must carry the same fingerprint (rows from before it: blank).
    request_fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    address = models.CharField(_("服务地址"), max_length=200)
    # A mobile, or a landline (0311-12345678) for phone-in callers without one.
    contact_mobile = models.CharField(_("联系电话"), max_length=20)
    preferred_start = models.DateTimeField(_("期望开始时间"))
    preferred_end = models.DateTimeField(_("期望结束时间"))
    # The volunteers' availability bit (weekday × period, Asia/Shanghai) of
    # preferred_start, computed once at placement so the dispatch ranking can match it
    # with one bitwise AND in SQL.
    preferred_slot_bit = models.PositiveIntegerField(default=0, editable=False)
    note = models.CharField(_("备注"), max_length=500, blank=True)
    volunteers_needed = models.PositiveSmallIntegerField(_("需要志愿者人数"), default=1)
    status = models.CharField(
        _("状态"), max_length=16, choices=OrderStatus.choices, default=OrderStatus.SUBMITTED
    )

    created_at = models.DateTimeField(_("点单时间"), auto_now_add=True)
    status_changed_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    escalated_at = models.DateTimeField(null=True, blank=True)

    # A county-level order past its dispatch limit (nowhere higher to escalate to):
    # flagged for the county dashboard.
    overdue_at = models.DateTimeField(null=True, blank=True)
    last_nudged_at = models.DateTimeField(null=True, blank=True)
    nudge_count = models.PositiveSmallIntegerField(default=0)

    score = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    rating_comment = models.CharField(_("评价"), max_length=500, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True)
    # Set by the periodic task when the resident did not rate within the window.
    rating_lapsed_at = models.DateTimeField(null=True, blank=True)

    dispute_text = models.CharField(_("投诉内容"), max_length=1000, blank=True)
    disputed_at = models.DateTimeField(null=True, blank=True)

    assessment_queue = models.CharField(
        max_length=16, choices=AssessmentQueue.choices, default=AssessmentQueue.NONE, blank=True
    )
    assessment_approved = models.BooleanField(null=True, blank=True)
    assessment_comment = models.CharField(_("考核意见"), max_length=500, blank=True)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The nightly points settlement selects approved orders by the day of assessed_at.
    assessed_at = models.DateTimeField(null=True, blank=True)
    # The site whose staff assessed it: its issuing account pays the points.
    assessed_site = models.ForeignKey(
        Site,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("考核阵地"),
    )
    close_reason = models.CharField(_("原因"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("服务订单")
        verbose_name_plural = _("服务订单")
        indexes = [
            # Dispatch board and staff list: orders of a set of points by status, oldest first.
            models.Index(fields=["site", "status", "created_at"], name="order_site_status_idx"),
            models.Index(
                fields=["handling_site", "status", "created_at"], name="order_handling_status_idx"
            ),
            # "My orders".
            models.Index(fields=["resident", "-created_at"], name="order_resident_idx"),
            models.Index(fields=["status", "created_at"], name="order_status_created_idx"),
            # Nightly settlement: approved orders assessed on a given day.
            models.Index(
                fields=["assessed_at"], condition=Q(status="assessed"), name="order_assessed_at_idx"
            ),
            # The rating-lapse task: completed, not yet queued, by completion time.
            models.Index(
                fields=["completed_at"],
                condition=Q(status="completed", assessment_queue=""),
                name="order_unrated_completed_idx",
            ),
            # Report roll-ups read one day of each event timestamp.
            models.Index(fields=["accepted_at"], name="order_accepted_at_idx"),
            models.Index(fields=["completed_at"], name="order_completed_at_idx"),
            models.Index(fields=["closed_at"], name="order_closed_at_idx"),
            models.Index(fields=["rated_at"], name="order_rated_at_idx"),
            models.Index(fields=["escalated_at"], name="order_escalated_at_idx"),
            # The order list, newest first: (created_at, id) read backwards is its order.
            models.Index(fields=["created_at", "id"], name="order_created_id_idx"),
            # A single point's list, newest first (its staff's order list): read backwards.
            models.Index(fields=["site", "created_at", "id"], name="order_site_created_idx"),
            # The dispatch board: open orders, oldest first (a small part of the table).
            models.Index(
                fields=["created_at", "id"],
                condition=Q(status__in=["submitted", "dispatched", "accepted", "in_service"]),
                name="order_open_created_idx",
            ),
            # The dashboard's overdue list: flagged orders still waiting for dispatch.
            models.Index(
                fields=["created_at"],
                condition=Q(status="submitted", overdue_at__isnull=False),
                name="order_overdue_idx",
            ),
            # Assessment queues.
            models.Index(
                fields=["assessment_queue", "status"],
                condition=~Q(assessment_queue=""),
                name="order_assessment_queue_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["placed_by", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="order_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(status__in=OrderStatus.values), name="order_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(score__isnull=True) | (Q(score__gte=1) & Q(score__lte=5)),
                name="order_score_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(preferred_end__gt=models.F("preferred_start")),
                name="order_preferred_window",
            ),
            models.CheckConstraint(
                condition=Q(volunteers_needed__gte=1)
                & Q(volunteers_needed__lte=MAX_VOLUNTEERS_PER_ORDER),
                name="order_volunteers_needed_range",
            ),
            # Assessed orders always carry their assessment time (the settlement's key).
            models.CheckConstraint(
                condition=~Q(status="assessed") | Q(assessed_at__isnull=False),
                name="order_assessed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.service}"

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        # Django's generated version builds a dict of the choices on every call (~0.1 ms;
        # ~100 calls on a page of the order list); the labels are looked up once.
        return order_status_label(self.status)

    @property
    def is_nudged(self) -> bool:
        return order_is_nudged(self.status, self.last_nudged_at)


def order_status_label(status: str) -> str:
    return _label(_ORDER_STATUS_LABELS, status)


# Labels as text per language: a lazy label costs a catalogue lookup each time it is
# turned into text (a page of the order list turns ~100 of them).
_LABEL_TEXT: dict[tuple[int, str | None, str], str] = {}


def _label(labels: dict[str, Any], status: str) -> str:
    key = (id(labels), get_language(), status)
    text = _LABEL_TEXT.get(key)
    if text is None:
        text = _LABEL_TEXT[key] = str(labels.get(status, status))
    return text


def order_is_nudged(status: str, last_nudged_at: dt.datetime | None) -> bool:
    """A nudge shows while the order still waits for someone."""
    return last_nudged_at is not None and status in (
        OrderStatus.SUBMITTED,
        OrderStatus.DISPATCHED,
        OrderStatus.ACCEPTED,
    )


class AssignmentStatus(models.TextChoices):
    ASSIGNED = "assigned", _("待接单")
    ACCEPTED = "accepted", _("已接单")
    DECLINED = "declined", _("已谢绝")
    LAPSED = "lapsed", _("已失效")


_ASSIGNMENT_STATUS_LABELS = dict(AssignmentStatus.choices)


class OrderAssignment(models.Model):
    """One dispatched volunteer on one order: response, check-in/out and hours."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="assignments")
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.PROTECT, related_name="order_assignments"
    )
    status = models.CharField(
        max_length=16, choices=AssignmentStatus.choices, default=AssignmentStatus.ASSIGNED
    )
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    assigned_at = models.DateTimeField()
    responded_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(max_length=300, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    # Service time only, not travel: what the volunteer reports at check-out and what
    # the assessment confirms (the settlement pays confirmed_hours).
    reported_hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    confirmed_hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    summary = models.TextField(_("服务小结"), blank=True)

    class Meta:
        verbose_name = _("派单记录")
        verbose_name_plural = _("派单记录")
        ordering = ["assigned_at", "id"]
        indexes = [
            # "My tasks" and the open-task count in the dispatch ranking.
            models.Index(fields=["volunteer", "status"], name="assign_vol_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["order", "volunteer"], name="assign_unique_volunteer"),
            models.CheckConstraint(
                condition=Q(status__in=AssignmentStatus.values), name="assign_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(reported_hours__isnull=True)
                | (Q(reported_hours__gt=0) & Q(reported_hours__lte=MAX_HOURS_PER_ASSIGNMENT)),
                name="assign_reported_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_hours__isnull=True)
                | (Q(confirmed_hours__gte=0) & Q(confirmed_hours__lte=MAX_HOURS_PER_ASSIGNMENT)),
                name="assign_confirmed_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True) | Q(checked_in_at__isnull=False),
                name="assign_checkout_after_checkin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.volunteer} → #{self.order_id}"

    def get_status_display(self) -> str:  # type: ignore[no-redef]
        return assignment_status_label(self.status)

    @property
    def measured_hours(self) -> Decimal | None:
        """Check-in to check-out under the hours rule; None until checked out."""
        return measured_or_none(self.checked_in_at, self.checked_out_at)

    @property
    def hours_differ(self) -> bool:
        """Reported hours differ from the measured time (flagged on the assessment page)."""
        measured = self.measured_hours
        return measured is not None and self.reported_hours != measured


def assignment_status_label(status: str) -> str:
    return _label(_ASSIGNMENT_STATUS_LABELS, status)


def measured_or_none(
    checked_in_at: dt.datetime | None, checked_out_at: dt.datetime | None
) -> Decimal | None:
    if checked_in_at is None or checked_out_at is None:
        return None
    return measured_hours(checked_in_at, checked_out_at)


class VolunteerLoad(models.Model):
    """What the dispatch ranking needs per volunteer, kept current by database triggers
    (migration ``orders.0007``) on every change of an assignment and of an order's
    score: the open tasks (asked, or accepted and not checked out) and the sum and
    number of scores of the rated orders the volunteer served. The ranking then reads
    one row per candidate instead of counting and averaging their history.

    Written only by the triggers (never by Python), and recomputed from the
    assignments themselves on each change (not incremented), so it cannot drift;
    ``refresh_volunteer_load`` rebuilds all rows set-based (the migration's backfill,
    and the benchmark after a bulk load)."""

    volunteer = models.OneToOneField(
        Volunteer, primary_key=True, on_delete=models.CASCADE, related_name="load"
    )
    open_tasks = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)
    rating_count = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("志愿者任务负荷")
        verbose_name_plural = _("志愿者任务负荷")

    def __str__(self) -> str:
        return f"{self.volunteer_id}: {self.open_tasks} open, {self.rating_sum}/{self.rating_count}"


class OrderEvent(models.Model):
    """The audit trail of an order and the status timeline residents see."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    # What happened, as data: ``code`` names the sentence and ``params`` fills it
    # (apps.orders.timeline renders it in the reader's language). ``note`` holds only
    # what a person typed — a reason, a comment — never a system sentence.
    code = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("订单事件")
        verbose_name_plural = _("订单事件")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="event_order_time_idx")]

    def __str__(self) -> str:
        return f"#{self.order_id} {self.action} {self.from_status}→{self.to_status}"


class OrderPhoto(models.Model):
    """A service photo uploaded at check-out: re-encoded without EXIF, with a thumbnail."""

    order = models.ForeignKey(ServiceOrder, on_delete=models.CASCADE, related_name="photos")
    assignment = models.ForeignKey(
        OrderAssignment, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos"
    )
    image = models.ImageField(upload_to="orders/%Y/%m/", width_field="width", height_field="height")
    thumbnail = models.ImageField(upload_to="orders/%Y/%m/thumbs/")
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("服务照片")
        verbose_name_plural = _("服务照片")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"#{self.order_id} 照片 {self.pk}"


class PhoneCall(models.Model):
    """A call to a station (电话点单): when it came, who called, what they asked for,
    and the order placed from it (if any). Written with the order in one transaction."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+")
    taken_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    caller = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="phone_calls"
    )
    called_at = models.DateTimeField(_("来电时间"))
    request = models.TextField(_("来电诉求"), max_length=1000)
    order = models.OneToOneField(
        ServiceOrder, null=True, blank=True, on_delete=models.SET_NULL, related_name="phone_call"
    )
    # The form's one-time key: submitting the same form twice records one call.
    idempotency_key = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("来电记录")
        verbose_name_plural = _("来电记录")
        ordering = ["-called_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["taken_by", "idempotency_key"], name="phone_call_key_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.caller} @ {self.called_at:%Y-%m-%d %H:%M}"
