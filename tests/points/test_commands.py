"""``manage.py settle_points`` and the nightly Celery task run the same settlement."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from apps.points import settlement, tasks
from apps.points.models import LedgerTransaction, SettlementRun, SettlementStatus
from apps.volunteers.models import Volunteer

from .conftest import balance
from .factories import assessed_order, local


@pytest.fixture
def two_days(tree: Any, cast: Any, vol: Volunteer, vol_b: Volunteer, item: Any) -> None:
    common = {
        "item": item,
        "site": tree.village1,
        "resident": cast.res1,
        "assessed_site": tree.town1,
    }
    assessed_order(assessed_at=local(2024, 3, 1, 15), hours=[(vol, "2.5"), (vol_b, "1")], **common)
    assessed_order(assessed_at=local(2024, 3, 2, 9), hours=[(vol, "3")], **common)


def settle_points(*args: str) -> str:
    out = StringIO()
    call_command("settle_points", *args, "--no-progress", stdout=out, stderr=StringIO())
    return out.getvalue()


def test_settle_one_date(two_days: None, vol: Volunteer, vol_b: Volunteer) -> None:
    out = settle_points("--date", "2024-03-01")
    assert out.strip() == ("2024-03-01: 订单 1，新增流水 2，积分 35，时长 3.5 小时，志愿者 2 名")
    assert balance(vol) == 25 and balance(vol_b) == 10
    again = settle_points("--date", "2024-03-01")
    assert "新增流水 0，积分 0" in again
    assert LedgerTransaction.objects.count() == 2
    assert (
        list(SettlementRun.objects.values_list("status", flat=True))
        == [SettlementStatus.SUCCEEDED] * 2
    )


def test_settle_a_range(two_days: None, vol: Volunteer) -> None:
    out = settle_points("--date", "2024-02-29", "--to", "2024-03-02").strip().splitlines()
    assert [line.split(":")[0] for line in out] == ["2024-02-29", "2024-03-01", "2024-03-02"]
    assert "新增流水 0" in out[0] and "新增流水 1，积分 30" in out[2]
    assert balance(vol) == 55


@pytest.mark.parametrize(
    "args",
    [
        ("--date", "2024-13-01"),
        ("--date", "01/03/2024"),
        ("--date", "2024-03-01", "--to", "yesterday"),
    ],
)
def test_bad_date_is_a_command_error(db: Any, args: tuple[str, ...]) -> None:
    with pytest.raises(CommandError, match="日期格式应为 YYYY-MM-DD"):
        settle_points(*args)
    assert not SettlementRun.objects.exists()


def test_range_backwards_is_a_command_error(db: Any) -> None:
    with pytest.raises(CommandError, match="--to 不能早于 --date"):
        settle_points("--date", "2024-03-02", "--to", "2024-03-01")
    assert not SettlementRun.objects.exists()


def test_a_failed_run_is_a_command_error_and_recorded(
    two_days: None, vol: Volunteer, monkeypatch: Any
) -> None:
    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("star table unavailable")

    # The star levels fail after the credits were written: the last step on SQLite
    # (the recompute), and the last statement on PostgreSQL (its star-level SQL).
    monkeypatch.setattr(settlement, "volunteers_recompute_hours", broken)
    monkeypatch.setattr(settlement, "star_level_sql", broken)
    with pytest.raises(CommandError, match="2024-03-01 结算失败：star table unavailable"):
        settle_points("--date", "2024-03-01")
    run = SettlementRun.objects.get()
    assert run.status == SettlementStatus.FAILED and "star table unavailable" in run.error
    assert not LedgerTransaction.objects.exists() and balance(vol) == 0


def test_the_nightly_task_settles_the_given_day(two_days: None, vol: Volunteer) -> None:
    run_id = tasks.settle_points("2024-03-02")
    run = SettlementRun.objects.get(pk=run_id)
    assert (run.settlement_date, run.entries_created) == (dt.date(2024, 3, 2), 1)
    assert balance(vol) == 30


def test_the_nightly_task_defaults_to_yesterday_in_shanghai(db: Any, monkeypatch: Any) -> None:
    from django.utils import timezone

    # 00:30 on the 2nd in Shanghai is still the 1st in UTC: yesterday is the 1st, not
    # the 29th of February a UTC calendar would give.
    monkeypatch.setattr(timezone, "now", lambda: local(2024, 3, 2, 0, 30))
    run = SettlementRun.objects.get(pk=tasks.settle_points())
    assert run.settlement_date == dt.date(2024, 3, 1)
