"""Confirmed activity attendance through the nightly settlement: one credit per
attendance from the organising site's issuing account, its service record and hours,
the sign-up marked credited; a rerun adds nothing; no-shows, unconfirmed attendance
and other days' confirmations are not credited."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from apps.activities import services as activity_services
from apps.activities.models import Signup
from apps.points.models import Account, AccountKind, LedgerTransaction, Leg
from apps.points.settlement import settle
from apps.points.verification import verify_ledger
from apps.volunteers.models import ServiceRecord, Volunteer
from tests.activities.test_attendance import finished

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


@pytest.fixture
def volunteers(tree: Any) -> list[Any]:
    from tests.orders.factories import VolunteerFactory

    return [VolunteerFactory(site=tree.village1) for _ in range(4)]


def _today() -> dt.date:
    return timezone.localtime(timezone.now(), SHANGHAI).date()


def test_confirmed_attendance_is_credited_once_with_its_record(cast, tree, volunteers) -> None:
    activity = finished(cast, tree, volunteers)
    activity_services.attendance_confirm(actor=cast.village1, activity_id=activity.pk)
    credited = list(
        Signup.objects.filter(activity=activity, attendance="confirmed", confirmed_hours__gt=0)
    )
    assert credited, "the fixture has attendance to credit"
    not_credited = Signup.objects.filter(activity=activity).exclude(pk__in=[s.pk for s in credited])
    hours_before = {
        v.pk: v.hours for v in Volunteer.objects.filter(pk__in=[v.pk for v in volunteers])
    }

    run = settle(_today())
    assert run.status == "succeeded"
    assert run.entries_created == len(credited)
    for signup in credited:
        key = f"activity:{activity.pk}:signup:{signup.pk}"
        txn = LedgerTransaction.objects.get(source_key=key)
        assert (txn.volunteer_id, txn.site_id, txn.amount, txn.hours, txn.run_id) == (
            signup.volunteer_id,
            tree.village1.pk,
            signup.points,
            signup.confirmed_hours,
            run.pk,
        )
        assert txn.order_id is None and txn.memo == activity.title
        legs = {(leg.account.kind, leg.amount) for leg in Leg.objects.filter(transaction=txn)}
        assert legs == {
            (AccountKind.VOLUNTEER, signup.points),
            (AccountKind.ISSUING, -signup.points),
        }
        record = ServiceRecord.objects.get(source_key=key)
        assert (record.volunteer_id, record.site_id, record.hours, record.title) == (
            signup.volunteer_id,
            tree.village1.pk,
            signup.confirmed_hours,
            activity.title,
        )
        assert record.service_date == timezone.localtime(activity.starts_at, SHANGHAI).date()
        assert record.recorded_by_id == cast.village1.pk
        v = Volunteer.objects.get(pk=signup.volunteer_id)
        assert v.hours == hours_before[v.pk] + signup.confirmed_hours
        signup.refresh_from_db()
        assert signup.credited_at is not None
    issuing = Account.objects.get(kind=AccountKind.ISSUING, site=tree.village1)
    assert issuing.balance == -sum(s.points for s in credited)
    for signup in not_credited:
        assert not LedgerTransaction.objects.filter(
            source_key__endswith=f":signup:{signup.pk}"
        ).exists()
        assert Signup.objects.get(pk=signup.pk).credited_at is None

    rerun = settle(_today())
    assert rerun.entries_created == 0
    assert LedgerTransaction.objects.filter(source_key__startswith="activity:").count() == len(
        credited
    )
    assert ServiceRecord.objects.filter(source_key__startswith="activity:").count() == len(credited)
    assert Volunteer.objects.get(pk=credited[0].volunteer_id).hours == (
        hours_before[credited[0].volunteer_id] + credited[0].confirmed_hours
    )
    assert verify_ledger().ok


def test_only_confirmed_attendance_of_the_day_is_settled(cast, tree, volunteers) -> None:
    activity = finished(cast, tree, volunteers)
    # Finished, checked in and out, but not yet confirmed by staff: nothing to credit.
    assert settle(_today()).entries_created == 0
    activity_services.attendance_confirm(actor=cast.village1, activity_id=activity.pk)
    # Confirmed today: yesterday's settlement does not take it.
    assert settle(_today() - dt.timedelta(days=1)).entries_created == 0
    assert not Signup.objects.filter(credited_at__isnull=False).exists()
    run = settle(_today())
    assert run.entries_created >= 1 and Decimal(run.hours_credited) > 0
    assert Signup.objects.filter(credited_at__isnull=False).count() == run.entries_created
