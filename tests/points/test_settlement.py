"""Nightly settlement: assessed orders of one Asia/Shanghai day become service credits,
service records, hours and star levels; reruns add nothing; a crashed run leaves
nothing and its rerun equals a clean run."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction

from apps.orders.models import OrderStatus
from apps.points.models import (
    Account,
    AccountKind,
    EntryKind,
    LedgerTransaction,
    Leg,
    SettlementRun,
    SettlementStatus,
)
from apps.points.settlement import STEPS, settle
from apps.points.verification import verify_ledger
from apps.volunteers.models import ServiceRecord, Volunteer
from apps.volunteers.services import volunteers_recompute_hours

from .conftest import balance, site_balance
from .factories import ServiceItemFactory, assessed_order, local

DAY1 = dt.date(2024, 3, 1)
DAY2 = dt.date(2024, 3, 2)


@pytest.fixture
def world(tree: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, item: Any) -> dict[str, Any]:
    """Orders around the 1st of March 2024 (Asia/Shanghai):

    * o1 at 23:59 local on the 1st, assessed by town1: vol 2.5 h, vol_b 1.0 h (10/h);
    * o3 at 00:00:30 local on the 1st, assessed by the county: vol 1.5 h (12/h), vol_b 0 h;
    * o2 at 00:01 local on the 2nd: vol 3 h (10/h) — belongs to the 2nd;
    * o0 at 23:59:59 local on 29 February — belongs to the 29th;
    * on the 1st, paying nothing: a rejected order, an assessed but unapproved order, and
      an approved order whose only volunteer has no confirmed hours.
    """
    item12 = ServiceItemFactory(site=tree.county, title="法律咨询", points_per_hour=12)
    common = {"site": tree.village1, "resident": cast.res1, "assessed_by": cast.town1}
    o1 = assessed_order(
        item=item,
        assessed_at=local(2024, 3, 1, 23, 59),
        assessed_site=tree.town1,
        hours=[(vol, "2.5"), (vol_b, "1.0")],
        checked_in_at=local(2024, 3, 1, 9),
        **common,
    )
    o3 = assessed_order(
        item=item12,
        assessed_at=local(2024, 3, 1, 0, 0, 30),
        assessed_site=tree.county,
        hours=[(vol, "1.5"), (vol_b, "0")],
        **common,
    )
    o2 = assessed_order(
        item=item,
        assessed_at=local(2024, 3, 2, 0, 1),
        assessed_site=tree.town1,
        hours=[(vol, "3")],
        **common,
    )
    o0 = assessed_order(
        item=item,
        assessed_at=local(2024, 2, 29, 23, 59, 59),
        assessed_site=tree.town1,
        hours=[(vol_b, "4")],
        **common,
    )
    assessed_order(
        item=item,
        assessed_at=local(2024, 3, 1, 10),
        assessed_site=tree.town1,
        hours=[(vol, "5")],
        status=OrderStatus.REJECTED,
        approved=False,
        **common,
    )
    assessed_order(
        item=item,
        assessed_at=local(2024, 3, 1, 11),
        assessed_site=tree.town1,
        hours=[(vol, "6")],
        approved=False,
        **common,
    )
    assessed_order(
        item=item,
        assessed_at=local(2024, 3, 1, 12),
        assessed_site=tree.town1,
        hours=[(vol_b, "0"), (vol, None)],
        **common,
    )
    return {"o0": o0, "o1": o1, "o2": o2, "o3": o3}


def snapshot() -> dict[str, Any]:
    """Everything a settlement writes, by natural keys (no ids or timestamps), so two
    databases that went through different histories can be compared."""
    txns = sorted(
        (t.source_key, t.kind, t.amount, t.hours, t.volunteer_id, t.site_id, t.order_id)
        for t in LedgerTransaction.objects.all()
    )
    legs = sorted(
        (
            lg.transaction.source_key,
            lg.account.kind,
            lg.account.volunteer_id,
            lg.account.site_id,
            lg.amount,
            lg.kind,
        )
        for lg in Leg.objects.select_related("transaction", "account")
    )
    accounts = sorted(
        (a.kind, a.volunteer_id, a.site_id, a.balance, a.lifetime_earned)
        for a in Account.objects.all()
    )
    records = sorted(
        (r.source_key, r.volunteer_id, r.site_id, r.service_date, r.hours, r.title)
        for r in ServiceRecord.objects.all()
    )
    volunteers = sorted(Volunteer.objects.values_list("id", "hours", "star_level"))
    return {
        "txns": txns,
        "legs": legs,
        "accounts": accounts,
        "records": records,
        "volunteers": volunteers,
    }


def run_figures(run: SettlementRun) -> tuple[Any, ...]:
    return (
        run.status,
        run.orders_seen,
        run.entries_created,
        run.points_credited,
        run.hours_credited,
        run.volunteers_credited,
    )


def test_settles_the_orders_assessed_that_local_day(
    world: dict[str, Any], tree: Any, cast: Any, vol: Volunteer, vol_b: Volunteer
) -> None:
    o1, o3 = world["o1"], world["o3"]

    run = settle(DAY1)

    run.refresh_from_db()
    assert run.status == SettlementStatus.SUCCEEDED
    assert run.settlement_date == DAY1
    assert run.finished_at is not None and run.error == ""
    assert run_figures(run) == (SettlementStatus.SUCCEEDED, 2, 3, 25 + 10 + 18, Decimal("5.0"), 2)

    credits = {t.source_key: t for t in LedgerTransaction.objects.filter(run=run)}
    assert set(credits) == {
        f"order:{o1.pk}:volunteer:{vol.pk}",
        f"order:{o1.pk}:volunteer:{vol_b.pk}",
        f"order:{o3.pk}:volunteer:{vol.pk}",
    }
    c = credits[f"order:{o1.pk}:volunteer:{vol.pk}"]
    assert (c.kind, c.amount, c.hours, c.site_id, c.order_id, c.volunteer_id) == (
        EntryKind.SERVICE,
        25,
        Decimal("2.5"),
        tree.town1.pk,
        o1.pk,
        vol.pk,
    )
    assert credits[f"order:{o3.pk}:volunteer:{vol.pk}"].site_id == tree.county.pk
    # One credit per volunteer per order, each a balanced pair of legs: the assessing
    # site's issuing account pays, the volunteer receives.
    for txn in credits.values():
        legs = sorted(
            (lg.amount, lg.account.kind, lg.account.volunteer_id, lg.account.site_id)
            for lg in txn.legs.select_related("account")
        )
        assert legs == [
            (-txn.amount, AccountKind.ISSUING, None, txn.site_id),
            (txn.amount, AccountKind.VOLUNTEER, txn.volunteer_id, None),
        ]
        assert all(lg.run_id == run.pk for lg in txn.legs.all())

    assert balance(vol) == 43 and balance(vol_b) == 10
    assert Account.objects.get(volunteer=vol).lifetime_earned == 43
    assert site_balance(tree.town1, AccountKind.ISSUING) == -35
    assert site_balance(tree.county, AccountKind.ISSUING) == -18

    records = {r.source_key: r for r in ServiceRecord.objects.all()}
    assert set(records) == set(credits)
    r1 = records[f"order:{o1.pk}:volunteer:{vol.pk}"]
    assert (
        r1.volunteer_id,
        r1.site_id,
        r1.service_date,
        r1.hours,
        r1.title,
        r1.recorded_by_id,
    ) == (vol.pk, tree.village1.pk, DAY1, Decimal("2.5"), "陪老人就医", cast.town1.pk)
    # No check-in time: the record's date is the assessment's local date (the 1st,
    # although 00:00:30 in Shanghai is still the 29th of February in UTC).
    assert records[f"order:{o3.pk}:volunteer:{vol.pk}"].service_date == DAY1

    vol.refresh_from_db()
    vol_b.refresh_from_db()
    assert (vol.hours, vol_b.hours) == (Decimal("4.0"), Decimal("1.0"))
    assert verify_ledger().ok


def test_next_day_gets_the_order_assessed_one_minute_after_midnight(
    world: dict[str, Any], vol: Volunteer
) -> None:
    o2 = world["o2"]
    settle(DAY1)
    run = settle(DAY2)
    assert list(LedgerTransaction.objects.filter(run=run).values_list("source_key", flat=True)) == [
        f"order:{o2.pk}:volunteer:{vol.pk}"
    ]
    assert (run.orders_seen, run.entries_created, run.points_credited) == (1, 1, 30)
    assert balance(vol) == 43 + 30


def test_day_before_gets_the_order_assessed_one_second_before_midnight(
    world: dict[str, Any], vol_b: Volunteer
) -> None:
    run = settle(dt.date(2024, 2, 29))
    assert list(LedgerTransaction.objects.filter(run=run).values_list("source_key", flat=True)) == [
        f"order:{world['o0'].pk}:volunteer:{vol_b.pk}"
    ]
    assert balance(vol_b) == 40


def test_rejected_unapproved_and_zero_hour_work_pays_nothing(
    tree: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, item: Any
) -> None:
    common = {"site": tree.village1, "resident": cast.res1, "assessed_site": tree.town1}
    assessed_order(
        item=item,
        assessed_at=local(2024, 3, 1, 10),
        hours=[(vol, "5")],
        status=OrderStatus.REJECTED,
        approved=False,
        **common,
    )
    assessed_order(
        item=item, assessed_at=local(2024, 3, 1, 11), hours=[(vol, "6")], approved=False, **common
    )
    assessed_order(
        item=item, assessed_at=local(2024, 3, 1, 12), hours=[(vol, "6")], approved=None, **common
    )
    assessed_order(
        item=item, assessed_at=local(2024, 3, 1, 13), hours=[(vol_b, "0"), (vol, None)], **common
    )

    run = settle(DAY1)

    assert run_figures(run) == (SettlementStatus.SUCCEEDED, 0, 0, 0, Decimal("0"), 0)
    assert not LedgerTransaction.objects.exists() and not Leg.objects.exists()
    assert not ServiceRecord.objects.exists()
    assert balance(vol) == 0 and balance(vol_b) == 0
    assert sorted(Volunteer.objects.values_list("hours", flat=True)) == [0, 0]


def test_hours_accumulate_and_star_level_is_recomputed(
    tree: Any, cast: Any, vol: Volunteer, item: Any
) -> None:
    # 96 hours already on record (four full days): the settlement's 4 hours make 100,
    # the first star's threshold.
    for n in range(4):
        ServiceRecord.objects.create(
            volunteer=vol,
            site=tree.village1,
            title="往期服务",
            service_date=dt.date(2023, 5, n + 1),
            hours=Decimal("24"),
            source_key=f"manual:prior-{n}",
        )
    Volunteer.objects.filter(pk=vol.pk).update(hours=Decimal("96"))
    assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=tree.town1,
        assessed_at=local(2024, 3, 1, 15),
        hours=[(vol, "4")],
    )

    settle(DAY1)

    vol.refresh_from_db()
    assert (vol.hours, vol.star_level) == (Decimal("100.0"), 1)


def test_incremental_hours_equal_a_full_recompute(
    world: dict[str, Any], tree: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, item: Any
) -> None:
    """The settlement adds the hours of the records it wrote to what each volunteer
    had; a full recompute from all records afterwards changes nothing, over several
    nights, a rerun, prior manual records and a star threshold crossed."""
    for n in range(3):
        ServiceRecord.objects.create(
            volunteer=vol,
            site=tree.village1,
            title="往期服务",
            service_date=dt.date(2023, 5, n + 1),
            hours=Decimal("23.5"),
            source_key=f"manual:prior-{n}",
        )
    Volunteer.objects.filter(pk=vol.pk).update(hours=Decimal("70.5"))
    assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=tree.town1,
        assessed_at=local(2024, 3, 2, 9),
        hours=[(vol, "24"), (vol_b, "0.5")],
    )
    for day in (dt.date(2024, 2, 29), DAY1, DAY2, DAY1):
        settle(day)
        figures = sorted(Volunteer.objects.values_list("id", "hours", "star_level"))
        with transaction.atomic():
            assert volunteers_recompute_hours() == 0  # nothing to correct
        assert sorted(Volunteer.objects.values_list("id", "hours", "star_level")) == figures
    vol.refresh_from_db()
    vol_b.refresh_from_db()
    # 70.5 prior + 4 (the 1st) + 3 + 24 (the 2nd): past the first star's 100 hours.
    assert (vol.hours, vol.star_level) == (Decimal("101.5"), 1)
    assert (vol_b.hours, vol_b.star_level) == (Decimal("5.5"), 0)


def test_zero_point_work_still_gets_its_record_and_accounts(
    tree: Any, cast: Any, vol: Volunteer
) -> None:
    """An item worth no points: no credit, but the service record, the hours and both
    accounts (empty), as before."""
    free = ServiceItemFactory(site=tree.town1, title="义务宣传", points_per_hour=0)
    assessed_order(
        item=free,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=tree.town1,
        assessed_at=local(2024, 3, 1, 15),
        hours=[(vol, "2")],
    )
    run = settle(DAY1)
    assert run_figures(run) == (SettlementStatus.SUCCEEDED, 1, 0, 0, Decimal("0"), 0)
    assert not LedgerTransaction.objects.exists() and not Leg.objects.exists()
    assert ServiceRecord.objects.get().hours == Decimal("2")
    vol.refresh_from_db()
    assert vol.hours == Decimal("2")
    assert sorted(Account.objects.values_list("kind", "volunteer_id", "site_id", "balance")) == [
        (AccountKind.ISSUING, None, tree.town1.pk, 0),
        (AccountKind.VOLUNTEER, vol.pk, None, 0),
    ]


def test_issuing_site_falls_back_to_the_handling_site(
    tree: Any, cast: Any, vol: Volunteer, item: Any
) -> None:
    assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=None,
        assessed_at=local(2024, 3, 1, 15),
        hours=[(vol, "1")],
    )
    settle(DAY1)
    assert site_balance(tree.village1, AccountKind.ISSUING) == -10


def test_rerun_adds_nothing(
    world: dict[str, Any], tree: Any, vol: Volunteer, vol_b: Volunteer
) -> None:
    first = settle(DAY1)
    before = snapshot()

    second = settle(DAY1)

    assert second.pk != first.pk
    assert run_figures(second) == (SettlementStatus.SUCCEEDED, 2, 0, 0, Decimal("0"), 0)
    assert snapshot() == before
    assert SettlementRun.objects.filter(settlement_date=DAY1).count() == 2
    assert balance(vol) == 43 and balance(vol_b) == 10


def test_rerun_pays_only_what_is_new(
    world: dict[str, Any], tree: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, item: Any
) -> None:
    settle(DAY1)
    late = assessed_order(
        item=item,
        site=tree.village1,
        resident=cast.res1,
        assessed_site=tree.town1,
        assessed_at=local(2024, 3, 1, 20),
        hours=[(vol_b, "2")],
    )

    run = settle(DAY1)

    assert (run.orders_seen, run.entries_created, run.points_credited, run.volunteers_credited) == (
        3,
        1,
        20,
        1,
    )
    assert (
        LedgerTransaction.objects.get(run=run).source_key == f"order:{late.pk}:volunteer:{vol_b.pk}"
    )
    assert balance(vol) == 43 and balance(vol_b) == 30
    assert verify_ledger().ok


class Boom(RuntimeError):
    pass


def crash_at(n: int) -> Any:
    def on_step(done: int, total: int, label: str) -> None:
        assert total == len(STEPS) and label == STEPS[done - 1]
        if done == n:
            raise Boom(f"killed at step {n}")

    return on_step


@pytest.mark.parametrize("step", [1, 3, 5, 7, 8])
def test_crashed_run_leaves_nothing_and_rerun_equals_a_clean_run(
    world: dict[str, Any], step: int
) -> None:
    # The reference: a clean run on the same data, then rolled back.
    with transaction.atomic():
        clean_run = settle(DAY1)
        clean = snapshot()
        clean_figures = run_figures(clean_run)
        transaction.set_rollback(True)
    assert clean["txns"], "the clean run must have written something to compare with"
    assert not SettlementRun.objects.exists()
    before = snapshot()

    with pytest.raises(Boom):
        settle(DAY1, on_step=crash_at(step))

    failed = SettlementRun.objects.get()
    assert failed.status == SettlementStatus.FAILED
    assert f"killed at step {step}" in failed.error and "Boom" in failed.error
    assert failed.finished_at is not None
    assert (failed.entries_created, failed.points_credited) == (0, 0)
    assert snapshot() == before  # no transactions, legs, accounts, records or hours

    rerun = settle(DAY1)

    assert run_figures(rerun) == clean_figures
    assert snapshot() == clean
    assert verify_ledger().ok
