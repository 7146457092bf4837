"""Roll-ups equal the orders: figures read from the daily roll-ups (plus today live)
equal the same figures computed straight from orders, assignments, volunteer events and
the ledger, for the county, a township and a point, over ranges inside the history."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from apps.orders.models import ServiceOrder
from apps.reports.figures import by_child_site, summary, summary_raw, timeseries
from apps.reports.models import ActiveVolunteerDay, CategoryDailyStat, SiteDailyStat
from apps.reports.rollup import rollup_day, rollup_range

from .conftest import History

pytestmark = pytest.mark.django_db


def roll_all(h: History) -> None:
    rollup_range(h.first - dt.timedelta(days=1), timezone.localdate() - dt.timedelta(days=1))


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    def rows(model: Any) -> list[tuple[Any, ...]]:
        names = [f.attname for f in model._meta.concrete_fields if f.attname != "id"]
        return sorted(model.objects.values_list(*names))

    return {m.__name__: rows(m) for m in (SiteDailyStat, CategoryDailyStat, ActiveVolunteerDay)}


def test_history_covers_what_the_figures_count(history: History) -> None:
    """The generated data is not trivially equal: every figure has something in it."""
    roll_all(history)
    fig = summary_raw(history.county, history.first, history.last).as_dict()
    for key in (
        "orders_placed",
        "orders_accepted",
        "orders_completed",
        "orders_cancelled",
        "orders_rejected",
        "orders_escalated",
        "ratings",
        "active_volunteers",
        "new_volunteers",
        "points_credited",
        "points_redeemed",
    ):
        assert fig[key] > 0, key
    assert Decimal(fig["volunteer_hours"]) > 0
    assert fig["accept_minutes_p90"] > fig["accept_minutes_median"]
    assert len(fig["by_category"]) == 4
    # One kept redemption of 2 points; the cancelled one was refunded.
    assert fig["points_redeemed"] == 2
    # Six newcomers, one of them approved twice (after re-applying), one re-approved
    # after a suspension: six new volunteers.
    assert fig["new_volunteers"] == 6
    assert SiteDailyStat.objects.count() > 100


@pytest.mark.parametrize(
    "which, offsets",
    [
        ("county", (0, None)),  # the whole history
        ("county", (3, 17)),
        ("town1", (0, None)),
        ("town1", (5, 25)),
        ("town2", (10, 11)),  # two days
        ("village1", (0, None)),
        ("village2b", (12, 30)),
        ("village1b", (20, 20)),  # one day
    ],
)
def test_summary_from_rollups_equals_raw(
    history: History, tree: Any, which: str, offsets: tuple[int, int | None]
) -> None:
    roll_all(history)
    site = {
        "county": tree.county,
        "town1": tree.town1,
        "town2": tree.town2,
        "village1": tree.village1,
        "village1b": tree.village1b,
        "village2b": history.village2b,
    }[which]
    day_from = history.first + dt.timedelta(days=offsets[0])
    day_to = history.last if offsets[1] is None else history.first + dt.timedelta(days=offsets[1])
    rolled = summary(site, day_from, day_to).as_dict()
    raw = summary_raw(site, day_from, day_to).as_dict()
    assert rolled == raw
    assert raw["orders_placed"] + raw["orders_completed"] + raw["ratings"] > 0


def test_children_from_rollups_equal_each_childs_raw_figures(history: History, tree: Any) -> None:
    roll_all(history)
    day_from, day_to = history.first + dt.timedelta(days=4), history.last
    rows = by_child_site(tree.county, day_from, day_to)
    assert [c.pk for c, _f in rows] == [tree.town1.pk, tree.town2.pk]  # the base is left out
    for child, fig in rows:
        raw = summary_raw(child, day_from, day_to).as_dict()
        got = fig.as_dict()
        got["by_category"] = raw["by_category"]  # by_child_site does not split categories
        assert got == raw, child.name


def test_timeseries_adds_up_to_the_summary(history: History) -> None:
    roll_all(history)
    day_from, day_to = history.first, history.last
    total = summary_raw(history.county, day_from, day_to)
    for bucket in ("day", "week", "month"):
        points = timeseries(history.county, day_from, day_to, bucket)
        assert sum(p["orders_placed"] for p in points) == total.orders_placed
        assert sum(p["orders_completed"] for p in points) == total.orders_completed
        assert sum(Decimal(p["volunteer_hours"]) for p in points) == total.volunteer_hours
    by_day = {p["period"]: p for p in timeseries(history.county, day_from, day_to, "day")}
    for offset in (0, 9, 21):
        day = day_from + dt.timedelta(days=offset)
        raw = summary_raw(history.county, day, day)
        assert by_day[day.isoformat()]["orders_placed"] == raw.orders_placed
        assert by_day[day.isoformat()]["average_rating"] == raw.average_rating


def test_range_including_today_adds_live_figures(history: History, today_orders: Any) -> None:
    roll_all(history)
    today = timezone.localdate()
    made = today_orders(history)
    assert made
    for day_from in (history.first + dt.timedelta(days=30), today):
        rolled = summary(history.county, day_from, today).as_dict()
        raw = summary_raw(history.county, day_from, today).as_dict()
        assert rolled == raw
    # Today's orders count although no roll-up row exists for today.
    assert not SiteDailyStat.objects.filter(day=today).exists()
    live = summary(history.county, today, today)
    assert live.orders_placed == len(made)
    assert live.orders_completed >= 1
    children = dict(by_child_site(history.county, history.first + dt.timedelta(days=30), today))
    for child, fig in children.items():
        raw = summary_raw(child, history.first + dt.timedelta(days=30), today)
        assert (
            fig.orders_placed,
            fig.orders_completed,
            fig.active_volunteers,
            fig.volunteer_hours,
        ) == (raw.orders_placed, raw.orders_completed, raw.active_volunteers, raw.volunteer_hours)
    series = timeseries(history.county, today - dt.timedelta(days=3), today, "day")
    assert series[-1]["period"] == today.isoformat()
    assert series[-1]["orders_placed"] == len(made)


def test_rollup_rebuild_is_idempotent(history: History) -> None:
    roll_all(history)
    first = snapshot()
    assert first["SiteDailyStat"] and first["CategoryDailyStat"] and first["ActiveVolunteerDay"]
    roll_all(history)
    assert snapshot() == first


def test_rebuilding_a_day_replaces_its_rows(history: History) -> None:
    roll_all(history)
    day = history.first + dt.timedelta(days=8)
    order = next(o for o in history.orders if timezone.localtime(o.created_at).date() == day)
    before = SiteDailyStat.objects.get(site=order.site_id, day=day).orders_placed
    ServiceOrder.objects.filter(pk=order.pk).update(
        created_at=order.created_at - dt.timedelta(days=200)
    )
    rollup_day(day)
    after = SiteDailyStat.objects.filter(site=order.site_id, day=day).first()
    assert (after.orders_placed if after else 0) == before - 1
    assert summary(order.site, day, day).as_dict() == summary_raw(order.site, day, day).as_dict()


def test_rollup_command_rebuilds_a_range(history: History, capsys: Any) -> None:
    day_from = history.first + dt.timedelta(days=2)
    day_to = history.first + dt.timedelta(days=6)
    call_command(
        "rollup", "--from", day_from.isoformat(), "--to", day_to.isoformat(), "--no-progress"
    )
    out = capsys.readouterr().out
    assert f"{day_from} 至 {day_to} 共 5 天" in out
    days = set(SiteDailyStat.objects.values_list("day", flat=True))
    assert days == {day_from + dt.timedelta(days=i) for i in range(5)}
    assert (
        summary(history.county, day_from, day_to).as_dict()
        == summary_raw(history.county, day_from, day_to).as_dict()
    )
    call_command(
        "rollup", "--from", day_from.isoformat(), "--to", day_to.isoformat(), "--no-progress"
    )
    assert set(SiteDailyStat.objects.values_list("day", flat=True)) == days


@pytest.mark.parametrize(
    "args",
    [
        ["--from", "2026-13-01"],
        ["--from", "yesterday"],
        ["--from", "2026-10-05", "--to", "2026-10-01"],
    ],
)
def test_rollup_command_refuses_bad_dates(db: Any, args: list[str]) -> None:
    with pytest.raises(CommandError):
        call_command("rollup", *args, "--no-progress")
    assert not SiteDailyStat.objects.exists()


def test_nightly_task_rolls_yesterday_and_the_day_before(history: History) -> None:
    from apps.points.models import SettlementRun
    from apps.reports.tasks import nightly_rollup

    # The history's settlement runs happened long before this night's roll-up.
    SettlementRun.objects.update(finished_at=timezone.now() - dt.timedelta(days=3))
    day = history.first + dt.timedelta(days=10)
    nightly_rollup(day.isoformat())
    assert set(SiteDailyStat.objects.values_list("day", flat=True)) == {
        day - dt.timedelta(days=1),
        day,
    }


def test_nightly_task_also_rolls_dates_a_county_rerun_settled(history: History) -> None:
    from apps.points.models import SettlementRun
    from apps.reports.tasks import days_to_roll

    SettlementRun.objects.update(finished_at=timezone.now() - dt.timedelta(days=3))
    target = history.first + dt.timedelta(days=30)
    assert days_to_roll(target) == [target - dt.timedelta(days=1), target]

    # A rerun tonight for an older date that credited something: that date is rebuilt too.
    old = history.first + dt.timedelta(days=2)
    SettlementRun.objects.create(
        settlement_date=old, status="succeeded", entries_created=3, finished_at=timezone.now()
    )
    SettlementRun.objects.create(
        settlement_date=old - dt.timedelta(days=1),
        status="succeeded",
        entries_created=0,
        finished_at=timezone.now(),
    )
    assert days_to_roll(target) == [old, target - dt.timedelta(days=1), target]
