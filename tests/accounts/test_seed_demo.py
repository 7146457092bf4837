"""seed_demo builds the demo county, a second run adds nothing, and every documented
demo account signs in with the documented password."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from apps.accounts.models import Role, RoleName, User
from apps.sites.models import Site, SiteLevel

pytestmark = pytest.mark.django_db

DEMO_ACCOUNTS = [
    "admin",
    "county",
    "town1",
    "town2",
    "village1",
    "vol1",
    "vol2",
    "vol3",
    "vol4",
    "vol5",
    "res1",
    "res2",
    "res3",
    "res9",
]


def _row_counts() -> dict[str, int]:
    """Rows in every table of our own apps (whatever later apps add to the demo)."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("apps.")
    }


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db) -> dict[str, int]:
    _seed()
    return _row_counts()


FOUNDATION_APPS = ("sites.", "accounts.")


def test_second_run_adds_nothing_to_the_foundation(seeded):
    # Later apps' seeders may add people and sites; the foundation's are all there.
    assert set(DEMO_ACCOUNTS) <= set(User.objects.values_list("username", flat=True))
    assert Site.objects.filter(level=SiteLevel.VILLAGE).count() >= 12
    output = _seed()
    assert "演示数据已就绪" in output
    after = _row_counts()
    assert {k: v for k, v in after.items() if k.startswith(FOUNDATION_APPS)} == {
        k: v for k, v in seeded.items() if k.startswith(FOUNDATION_APPS)
    }


def test_second_run_adds_nothing_anywhere(seeded):
    """The command's promise covers every app's seeder, not just the foundation's."""
    _seed()
    after = _row_counts()
    grown = {k: (seeded[k], after[k]) for k in after if after[k] != seeded[k]}
    assert grown == {}


def test_demo_tree_and_roles(seeded):
    county = Site.objects.get(level=SiteLevel.COUNTY)
    assert Site.objects.filter(level=SiteLevel.TOWNSHIP, parent=county).count() == 3
    for site in Site.objects.exclude(pk=county.pk):
        assert site.path.startswith(county.path)
    town1 = Role.objects.get(user__username="town1").site
    town2 = Role.objects.get(user__username="town2").site
    res9_site = Role.objects.get(user__username="res9").site
    assert res9_site.is_within(town2) and not res9_site.is_within(town1)
    res1_site = Role.objects.get(user__username="res1").site
    assert res1_site.is_within(town1) and res1_site.level == SiteLevel.VILLAGE
    assert set(User.objects.get(username="vol3").roles.values_list("role", flat=True)) >= {
        RoleName.VOLUNTEER,
        RoleName.RESIDENT,
    }
    assert User.objects.get(username="admin").is_superuser


def test_every_demo_account_signs_in(client, seeded):
    # One seeding for all fourteen accounts: seeding is the slow part.
    refused = []
    for username in DEMO_ACCOUNTS:
        client.logout()
        response = client.post("/accounts/login/", {"username": username, "password": "demo12345"})
        signed_in = client.session.get("_auth_user_id")
        if (
            response.status_code != 302
            or signed_in is None
            or int(signed_in) != (User.objects.get(username=username).pk)
        ):
            refused.append(username)
    assert refused == []


OPEN_STATUSES = ("submitted", "dispatched", "accepted", "in_service")


def test_nothing_in_the_demo_happens_in_the_future(seeded):
    """Every time the demo writes is past, except the bookings of orders still open and
    the schedule of activities not yet held."""
    import datetime as dt

    from django.db import models as m
    from django.utils import timezone

    from apps.activities.models import Activity
    from apps.orders.models import ServiceOrder

    now = timezone.now() + dt.timedelta(seconds=5)
    future = {}
    for model in apps.get_models():
        if not model.__module__.startswith("apps."):
            continue
        for field in model._meta.fields:
            if not isinstance(field, m.DateTimeField):
                continue
            rows = model._default_manager.filter(**{f"{field.name}__gt": now})
            if model is ServiceOrder and field.name in ("preferred_start", "preferred_end"):
                rows = rows.exclude(status__in=OPEN_STATUSES)
            if model is Activity and field.name in ("starts_at", "ends_at", "signup_deadline"):
                rows = rows.exclude(status__in=("draft", "published", "cancelled"))
            if rows.exists():
                future[f"{model._meta.label}.{field.name}"] = rows.count()
    assert future == {}
    joined = User.objects.filter(date_joined__gt=now)
    assert not joined.exists()


def test_order_times_run_in_order_and_spread_over_weeks(seeded):
    import datetime as dt

    from django.db.models import F, Max, Min
    from django.utils import timezone

    from apps.orders.models import OrderAssignment, OrderEvent, ServiceOrder

    orders = ServiceOrder.objects.all()
    chain = ["created_at", "dispatched_at", "accepted_at", "started_at", "completed_at"]
    chain += ["rated_at", "assessed_at"]
    for earlier, later in zip(chain, chain[1:], strict=False):
        assert not orders.filter(**{f"{later}__lt": F(earlier)}).exists(), (earlier, later)
        # and past any gap in the chain (an unrated order assessed after completion)
        for skip in chain[chain.index(later) + 1 :]:
            assert not orders.filter(**{f"{skip}__lt": F(earlier)}).exists(), (earlier, skip)
    assert not orders.filter(closed_at__lt=F("created_at")).exists()
    assert not orders.filter(status_changed_at__lt=F("created_at")).exists()
    served = OrderAssignment.objects.filter(checked_out_at__isnull=False)
    assert not served.filter(checked_out_at__lt=F("checked_in_at")).exists()
    assert not served.filter(checked_out_at__gt=F("order__completed_at")).exists()
    assert not served.filter(checked_in_at__lt=F("order__accepted_at")).exists()
    assert not OrderEvent.objects.filter(created_at__lt=F("order__created_at")).exists()
    # The live demo orders (every state, through the services) are spread over weeks,
    # not all placed at the seeding.
    live = orders.filter(idempotency_key__startswith="demo-")
    span = live.aggregate(first=Min("created_at"), last=Max("created_at"))
    assert span["last"] - span["first"] >= dt.timedelta(days=14)
    days = {timezone.localdate(t) for t in live.values_list("created_at", flat=True)}
    assert len(days) >= 8
    everything = orders.aggregate(first=Min("created_at"))["first"]
    assert timezone.now() - everything >= dt.timedelta(days=14)
    # Each event's messages were written when the event happened.
    from apps.notifications.models import Notification

    for note in Notification.objects.filter(dedupe_key__startswith="order-event:"):
        event = OrderEvent.objects.get(pk=int(note.dedupe_key.split(":")[1]))
        assert abs(note.created_at - event.created_at) < dt.timedelta(minutes=1)


def test_volunteers_joined_on_different_days_before_they_served(seeded):
    import datetime as dt

    from django.db.models import Min
    from django.utils import timezone

    from apps.orders.models import OrderAssignment
    from apps.volunteers.models import Volunteer

    demo = Volunteer.objects.filter(user__username__startswith="vol")
    approved = list(demo.values_list("reviewed_at", flat=True))
    assert len({timezone.localdate(t) for t in approved}) == 5
    assert max(approved) - min(approved) >= dt.timedelta(days=14)
    assert timezone.now() - max(approved) >= dt.timedelta(days=7)
    for vol in Volunteer.objects.filter(status="approved"):
        assert vol.applied_at <= vol.reviewed_at
        assert vol.user.date_joined <= vol.applied_at
        first = OrderAssignment.objects.filter(volunteer=vol).aggregate(t=Min("assigned_at"))["t"]
        assert first is None or vol.reviewed_at <= first, vol


def test_demo_points_come_from_the_ledger(seeded):
    """vol1's figures as README quotes them, from the settlement's ledger (no balance
    written by hand): the ledger sums to zero and every cached balance matches it."""
    from io import StringIO

    from apps.points.models import Account, LedgerTransaction
    from apps.volunteers.models import Volunteer

    out = StringIO()
    call_command("verify_ledger", stdout=out)
    vol1 = Volunteer.objects.get(user__username="vol1")
    account = Account.objects.get(volunteer=vol1)
    credits = LedgerTransaction.objects.filter(volunteer=vol1, kind="service")
    assert account.balance == sum(credits.values_list("amount", flat=True))
    assert (vol1.hours, vol1.star_level, account.balance) == (
        README_VOL1_HOURS,
        1,
        README_VOL1_POINTS,
    )


# README's demo table: "vol1 has 138 h: one star, 346 points".
README_VOL1_HOURS = 138
README_VOL1_POINTS = 346
