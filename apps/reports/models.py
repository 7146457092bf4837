"""Daily roll-ups: one row per site per day (and per site, day and service category),
so dashboards over millions of orders read a few thousand rows.

Every figure is attributed to the order's point (``ServiceOrder.site``) and to the day
(Asia/Shanghai) on which its event happened: placed on ``created_at``, accepted on
``accepted_at``, completed on ``completed_at``, cancelled/rejected on ``closed_at``,
escalated on ``escalated_at``, rated on ``rated_at``, hours on ``assessed_at``.

Response times are kept as histograms over fixed buckets (``RESPONSE_BUCKETS``), which
add up across days and sites; medians and 90th percentiles are read from them at bucket
resolution (the bucket's upper bound), the same way whether from roll-ups or raw orders.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from apps.sites.models import Site
from apps.volunteers.models import ServiceCategory, Volunteer

# Upper bounds in minutes: 5 min … 7 days, then "more".
RESPONSE_BUCKETS = [5, 10, 15, 30, 60, 120, 240, 480, 720, 1440, 2880, 4320, 10080]


class SiteDailyStat(models.Model):
    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    orders_placed = models.PositiveIntegerField(default=0)
    orders_accepted = models.PositiveIntegerField(default=0)
    orders_completed = models.PositiveIntegerField(default=0)
    orders_cancelled = models.PositiveIntegerField(default=0)
    orders_rejected = models.PositiveIntegerField(default=0)
    orders_escalated = models.PositiveIntegerField(default=0)
    ratings = models.PositiveIntegerField(default=0)
    rating_sum = models.PositiveIntegerField(default=0)
    ratings_high = models.PositiveIntegerField(default=0)  # scores of 4 and 5
    volunteer_hours = models.DecimalField(max_digits=12, decimal_places=1, default=0)
    new_volunteers = models.PositiveIntegerField(default=0)
    points_credited = models.BigIntegerField(default=0)
    points_redeemed = models.BigIntegerField(default=0)
    # accept_b0…, complete_b0…: counts per RESPONSE_BUCKETS bucket (+1 overflow) of
    # minutes from placement, added below as plain integer columns so that a period's
    # histogram is one SUM per column in SQL.

    class Meta:
        verbose_name = _("阵地日统计")
        verbose_name_plural = _("阵地日统计")
        constraints = [models.UniqueConstraint(fields=["site", "day"], name="stat_site_day_unique")]
        indexes = [models.Index(fields=["day", "site"], name="stat_day_site_idx")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day}"


HIST_SIZE = len(RESPONSE_BUCKETS) + 1
ACCEPT_FIELDS = [f"accept_b{i}" for i in range(HIST_SIZE)]
COMPLETE_FIELDS = [f"complete_b{i}" for i in range(HIST_SIZE)]
for _name in ACCEPT_FIELDS + COMPLETE_FIELDS:
    SiteDailyStat.add_to_class(_name, models.PositiveIntegerField(default=0))


class CategoryFigures(models.Model):
    """What a category row counts, per day or per month."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    category = models.CharField(max_length=20, choices=ServiceCategory.choices)
    orders_placed = models.PositiveIntegerField(default=0)
    orders_completed = models.PositiveIntegerField(default=0)
    volunteer_hours = models.DecimalField(max_digits=12, decimal_places=1, default=0)

    class Meta:
        abstract = True


class CategoryDailyStat(CategoryFigures):
    day = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "day", "category"], name="catstat_unique")
        ]
        indexes = [models.Index(fields=["day", "site"], name="catstat_day_site_idx")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.day} {self.category}"


class SiteMonthlyStat(models.Model):
    """The sums of a site's ``SiteDailyStat`` rows over one calendar month
    (``reports.monthly``): a county's year is 12,000 of these instead of 350,000 days.
    Rebuilt from the day rows in the same transaction each time a day of the month is
    rolled up, so it always equals the sum of its month's day rows."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    month = models.DateField()  # the month's first day

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "month"], name="monthstat_site_month_unique")
        ]
        indexes = [models.Index(fields=["month", "site"], name="monthstat_month_site_idx")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m}"


# Every summed column of the day rows, the same on the month rows.
for _field in SiteDailyStat._meta.concrete_fields:
    if _field.name not in ("id", "site", "day"):
        SiteMonthlyStat.add_to_class(_field.name, _field.clone())


class CategoryMonthlyStat(CategoryFigures):
    """The sums of ``CategoryDailyStat`` over one calendar month, like ``SiteMonthlyStat``."""

    month = models.DateField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "month", "category"], name="catmonth_unique")
        ]
        indexes = [models.Index(fields=["month", "site"], name="catmonth_month_site_idx")]

    def __str__(self) -> str:
        return f"{self.site_id} {self.month:%Y-%m} {self.category}"


class ActiveVolunteerDay(models.Model):
    """A volunteer who served (an assignment checked out) at a site on a day: active
    volunteers over a period are the distinct volunteers among these rows."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    day = models.DateField()
    volunteer = models.ForeignKey(Volunteer, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["day", "site", "volunteer"], name="activeday_unique")
        ]

    def __str__(self) -> str:
        return f"{self.volunteer_id}@{self.site_id} {self.day}"


class ActiveVolunteerPeriod(models.Model):
    """Distinct active volunteers of a site's subtree over one calendar month or year
    (``reports.distinct``): distinct counts cannot be summed from days, and counting
    them over a county's year reads ~4,000,000 day rows. Recomputed from the
    ``ActiveVolunteerDay`` rows of the period each time a day in it is rolled up, so a
    row always counts all the day rows its period has; ``last_day`` is the latest day
    among them (None when there were none)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="+")
    start = models.DateField()
    end = models.DateField()
    volunteers = models.PositiveIntegerField()
    last_day = models.DateField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["site", "start", "end"], name="activeperiod_unique")
        ]

    def __str__(self) -> str:
        return f"{self.site_id} {self.start}–{self.end}: {self.volunteers}"


class RollupRun(models.Model):
    day_from = models.DateField()
    day_to = models.DateField()
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.day_from}–{self.day_to}"
