"""Activities (活动): monthly themes (一月一主题), activities with volunteer roles,
sign-ups (招募令) with a waiting list, residents registered to attend, and the
attendance each sign-up records (check-in, check-out, confirmation).

The lifecycle rules live in ``services/`` (one transition table, one function per
move); this module holds the data and the invariants the database can keep.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site
from apps.volunteers.models import ServiceCategory, Volunteer

# One volunteer's attendance at one activity is at most a day, like an order's.
MAX_ACTIVITY_HOURS = Decimal("24")
MAX_SLOTS_PER_ROLE = 500
MAX_RESIDENT_LIMIT = 10_000
MAX_FIXED_POINTS = 1_000


class MonthlyTheme(models.Model):
    """一月一主题: the county's theme for one month, with short guidance for the sites.
    Kept by the county's admins; one row per county and month."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="monthly_themes", verbose_name=_("县级中心")
    )
    year = models.PositiveSmallIntegerField(_("年份"))
    month = models.PositiveSmallIntegerField(_("月份"))
    title = models.CharField(_("主题"), max_length=100)
    guidance = models.TextField(_("活动指引"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("月度主题")
        verbose_name_plural = _("月度主题")
        ordering = ["site", "year", "month"]
        constraints = [
            models.UniqueConstraint(fields=["site", "year", "month"], name="theme_one_per_month"),
            models.CheckConstraint(
                condition=Q(month__gte=1) & Q(month__lte=12), name="theme_month_range"
            ),
            models.CheckConstraint(
                condition=Q(year__gte=2000) & Q(year__lte=2100), name="theme_year_range"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.month:02d} {self.title}"


class ActivityStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("招募中")
    CANCELLED = "cancelled", _("已取消")
    FINISHED = "finished", _("已结束")


class PointsMode(models.TextChoices):
    PER_HOUR = "per_hour", _("按确认时长计分")
    CATEGORY = "category", _("按服务类别计分")
    FIXED = "fixed", _("县级设定固定积分")


class Activity(models.Model):
    """An activity a site organises. Visible to the site's whole subtree once published."""

    site = models.ForeignKey(
        Site, on_delete=models.PROTECT, related_name="activities", verbose_name=_("主办阵地")
    )
    title = models.CharField(_("活动名称"), max_length=100)
    theme = models.ForeignKey(
        MonthlyTheme,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="activities",
        verbose_name=_("月度主题"),
    )
    category = models.CharField(_("服务类别"), max_length=20, choices=ServiceCategory.choices)
    description = models.TextField(_("活动内容"), blank=True)
    address = models.CharField(_("活动地点"), max_length=200)
    latitude = models.DecimalField(_("纬度"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(
        _("经度"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    signup_deadline = models.DateTimeField(_("报名截止"))
    residents_allowed = models.BooleanField(_("群众可报名参加"), default=False)
    resident_limit = models.PositiveIntegerField(_("群众名额"), default=0)
    needs_approval = models.BooleanField(_("报名需审核"), default=False)
    points_mode = models.CharField(
        _("积分方式"), max_length=16, choices=PointsMode.choices, default=PointsMode.PER_HOUR
    )
    points_per_hour = models.PositiveIntegerField(_("每小时积分"), default=10)
    fixed_points = models.PositiveIntegerField(_("固定积分"), default=0)
    cover = models.ImageField(_("封面"), upload_to="activities/%Y/%m/", blank=True)
    cover_thumb = models.ImageField(upload_to="activities/%Y/%m/thumbs/", blank=True)
    status = models.CharField(
        _("状态"), max_length=16, choices=ActivityStatus.choices, default=ActivityStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    close_reason = models.CharField(_("原因"), max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("活动")
        verbose_name_plural = _("活动")
        ordering = ["-starts_at", "-id"]
        indexes = [
            # Lists: a site's (or its ancestors') activities by status and start.
            models.Index(fields=["site", "status", "starts_at"], name="act_site_status_start_idx"),
            models.Index(fields=["status", "starts_at"], name="act_status_start_idx"),
            models.Index(fields=["theme"], name="act_theme_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ActivityStatus.values), name="act_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=ServiceCategory.values), name="act_category_valid"
            ),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="act_end_after"),
            models.CheckConstraint(
                condition=Q(signup_deadline__lte=F("ends_at")), name="act_deadline_before_end"
            ),
            models.CheckConstraint(
                condition=Q(points_mode__in=PointsMode.values), name="act_points_mode_valid"
            ),
            models.CheckConstraint(
                condition=Q(latitude__isnull=True, longitude__isnull=True)
                | (
                    Q(latitude__gte=-90, latitude__lte=90)
                    & Q(longitude__gte=-180, longitude__lte=180)
                ),
                name="act_coordinates_pair",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class ActivityRole(models.Model):
    """A volunteer role of an activity (签到引导, 讲解员…) with its number of places and
    an optional required skill."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="roles")
    name = models.CharField(_("岗位"), max_length=50)
    slots = models.PositiveSmallIntegerField(_("人数"))
    skill = models.CharField(
        _("所需特长"), max_length=20, choices=ServiceCategory.choices, blank=True
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("志愿岗位")
        verbose_name_plural = _("志愿岗位")
        ordering = ["activity", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["activity", "name"], name="act_role_name_unique"),
            models.CheckConstraint(
                condition=Q(slots__gte=1) & Q(slots__lte=MAX_SLOTS_PER_ROLE),
                name="act_role_slots_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.name}"


class ActivityEvent(models.Model):
    """The audit trail of an activity: every move, sign-up decision and attendance
    correction, with who and when; ``code``/``params`` are rendered in the reader's
    language (apps.activities.timeline), ``note`` is what the person typed."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=24)
    from_status = models.CharField(max_length=16, blank=True)
    to_status = models.CharField(max_length=16)
    code = models.CharField(max_length=40, blank=True)
    params = models.JSONField(default=dict, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("活动记录")
        verbose_name_plural = _("活动记录")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["activity", "created_at"], name="act_event_time_idx")]

    def __str__(self) -> str:
        return f"{self.activity_id} {self.action}"


class SignupStatus(models.TextChoices):
    INVITED = "invited", _("已邀请")
    PENDING = "pending", _("待审核")
    CONFIRMED = "confirmed", _("已报名")
    WAITLISTED = "waitlisted", _("候补中")
    WITHDRAWN = "withdrawn", _("已退出")
    REFUSED = "refused", _("未通过")
    DECLINED = "declined", _("已谢绝邀请")


# Sign-ups that take one of the role's places (a pending one holds it until decided).
HOLDS_SLOT = (SignupStatus.PENDING, SignupStatus.CONFIRMED)
# Sign-ups still in the activity (a withdrawal is possible, reminders are sent).
ACTIVE_SIGNUP = (SignupStatus.PENDING, SignupStatus.CONFIRMED, SignupStatus.WAITLISTED)


class AttendanceStatus(models.TextChoices):
    NONE = "", _("未确认")
    CONFIRMED = "confirmed", _("已确认出勤")
    NO_SHOW = "no_show", _("缺席")


class Signup(models.Model):
    """One volunteer's place in an activity (at most one row per volunteer and
    activity), and the attendance it records. The waiting list is the
    ``waitlisted`` rows in ``queued_at`` order."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="signups")
    role = models.ForeignKey(ActivityRole, on_delete=models.CASCADE, related_name="signups")
    volunteer = models.ForeignKey(
        Volunteer, on_delete=models.PROTECT, related_name="activity_signups"
    )
    status = models.CharField(max_length=16, choices=SignupStatus.choices)
    # When the volunteer (last) asked for a place: the waiting list's order.
    queued_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The Idempotency-Key of the request that (last) signed up: a repeat returns the row.
    idempotency_key = models.CharField(max_length=100, blank=True, editable=False)
    # The volunteer was told of an overlapping activity or order and went ahead.
    overlap_confirmed = models.BooleanField(default=False)

    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_out_at = models.DateTimeField(null=True, blank=True)
    # Metres from the activity's coordinates where the phone shared its location.
    checkin_distance_m = models.PositiveIntegerField(null=True, blank=True)
    checkin_far = models.BooleanField(default=False)
    checkout_distance_m = models.PositiveIntegerField(null=True, blank=True)
    checkout_far = models.BooleanField(default=False)
    # Marked by staff rather than by the QR code (reason in the event log).
    marked_by_staff = models.BooleanField(default=False)
    attendance = models.CharField(
        max_length=16, choices=AttendanceStatus.choices, default=AttendanceStatus.NONE, blank=True
    )
    confirmed_hours = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    points = models.PositiveIntegerField(null=True, blank=True)
    attendance_confirmed_at = models.DateTimeField(null=True, blank=True)
    attendance_confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Set by the points settlement once the confirmed attendance is in the ledger.
    credited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("志愿报名")
        verbose_name_plural = _("志愿报名")
        ordering = ["queued_at", "id"]
        indexes = [
            # A role's places and waiting list.
            models.Index(fields=["role", "status", "queued_at"], name="signup_role_queue_idx"),
            # A volunteer's activities (overlap check, "my activities", the calendar).
            models.Index(fields=["volunteer", "status"], name="signup_volunteer_idx"),
            # Settlement: confirmed attendance not yet credited.
            models.Index(
                fields=["attendance_confirmed_at"],
                condition=Q(attendance="confirmed", credited_at__isnull=True),
                name="signup_to_credit_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(fields=["activity", "volunteer"], name="signup_one_per_vol"),
            models.CheckConstraint(
                condition=Q(status__in=SignupStatus.values), name="signup_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(confirmed_hours__isnull=True)
                | (Q(confirmed_hours__gte=0) & Q(confirmed_hours__lte=MAX_ACTIVITY_HOURS)),
                name="signup_hours_range",
            ),
            models.CheckConstraint(
                condition=Q(checked_out_at__isnull=True)
                | Q(checked_in_at__isnull=False, checked_out_at__gte=F("checked_in_at")),
                name="signup_checkout_after_checkin",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.volunteer_id} · {self.status}"

    @property
    def source_key(self) -> str:
        """The ledger's source key for this attendance: one credit per sign-up row."""
        return f"activity:{self.activity_id}:signup:{self.pk}"


class RegistrationStatus(models.TextChoices):
    REGISTERED = "registered", _("已报名")
    CANCELLED = "cancelled", _("已取消")


class Registration(models.Model):
    """A resident registered to attend an activity that allows it (within its limit)."""

    activity = models.ForeignKey(Activity, on_delete=models.CASCADE, related_name="registrations")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="activity_registrations"
    )
    status = models.CharField(
        max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.REGISTERED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("群众报名")
        verbose_name_plural = _("群众报名")
        constraints = [
            models.UniqueConstraint(fields=["activity", "user"], name="registration_one_per_user"),
        ]
        indexes = [models.Index(fields=["activity", "status"], name="registration_act_idx")]

    def __str__(self) -> str:
        return f"{self.activity_id} · {self.user_id}"


class CalendarFeed(models.Model):
    """A volunteer's private iCalendar address (their sign-ups): the token is the only
    secret, so it is long and random, and resetting it ends the old address."""

    volunteer = models.OneToOneField(
        Volunteer, on_delete=models.CASCADE, related_name="activity_calendar"
    )
    token = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("活动日历订阅")
        verbose_name_plural = _("活动日历订阅")

    def __str__(self) -> str:
        return f"{self.volunteer_id}"
