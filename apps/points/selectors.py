"""Points reads, scoped by the caller."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from apps.accounts.models import User
from apps.sites.scoping import can_manage_site, is_global, managed_paths, scope_queryset
from apps.volunteers.models import Volunteer
from apps.volunteers.stars import next_level_hours

from .models import Account, AccountKind, Leg, Redemption, Reward, SettlementRun


@dataclass
class Balance:
    balance: int
    lifetime_earned: int
    hours: Decimal
    star_level: int
    hours_to_next_star: Decimal | None


def balance_of(volunteer: Volunteer) -> Balance:
    account = Account.objects.filter(kind=AccountKind.VOLUNTEER, volunteer=volunteer).first()
    return Balance(
        balance=account.balance if account else 0,
        lifetime_earned=account.lifetime_earned if account else 0,
        hours=volunteer.hours,
        star_level=volunteer.star_level,
        hours_to_next_star=next_level_hours(volunteer.hours),
    )


def ledger_entries(
    *, fetched_by: User | AnonymousUser, volunteer: Volunteer | None = None
) -> QuerySet[Leg]:
    """A volunteer's own legs, or (staff) the legs of volunteers in scope."""
    qs = (
        Leg.objects.filter(account__kind=AccountKind.VOLUNTEER)
        .select_related("transaction", "account__volunteer")
        .order_by("-created_at", "-id")
    )
    if volunteer is not None:
        if volunteer.user_id != getattr(fetched_by, "pk", None) and not can_manage_site(
            fetched_by, volunteer.site
        ):
            return qs.none()
        return qs.filter(account__volunteer=volunteer)
    own = Q(account__volunteer__user=fetched_by)
    if is_global(fetched_by):
        return qs
    paths = managed_paths(fetched_by)
    scoped = Q(pk__in=[])
    for p in paths:
        scoped |= Q(account__volunteer__site__path__startswith=p)
    return qs.filter(own | scoped)


def rewards_for(
    *,
    volunteer: Volunteer | None = None,
    site_id: int | None = None,
    include_inactive: bool = False,
) -> QuerySet[Reward]:
    """The shop: rewards at a site, or those a volunteer may redeem (their site and its
    ancestors' shops)."""
    qs = Reward.objects.select_related("site")
    if not include_inactive:
        qs = qs.filter(is_active=True)
    if site_id is not None:
        qs = qs.filter(site_id=site_id)
    if volunteer is not None:
        qs = qs.filter(site_id__in=volunteer.site.ancestor_ids())
    return qs.order_by("site__path", "points_cost", "name")


def rewards_managed(*, fetched_by: User | AnonymousUser) -> QuerySet[Reward]:
    return scope_queryset(Reward.objects.select_related("site"), fetched_by).order_by(
        "site__path", "points_cost", "name"
    )


def redemption_list(
    *, fetched_by: User | AnonymousUser, status: str | None = None
) -> QuerySet[Redemption]:
    """Own redemptions plus, for staff, those at shops in their scope."""
    qs = Redemption.objects.select_related("reward", "volunteer", "site").order_by(
        "-created_at", "-id"
    )
    own = Q(volunteer__user=fetched_by)
    if not is_global(fetched_by):
        scoped = Q(pk__in=[])
        for p in managed_paths(fetched_by):
            scoped |= Q(site__path__startswith=p)
        qs = qs.filter(own | scoped)
    if status:
        qs = qs.filter(status=status)
    return qs


def settlement_runs(*, fetched_by: User | AnonymousUser) -> QuerySet[SettlementRun]:
    if not (is_global(fetched_by) or managed_paths(fetched_by)):
        return SettlementRun.objects.none()
    return SettlementRun.objects.select_related("triggered_by").order_by("-started_at", "-id")
