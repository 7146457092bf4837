"""factory_boy factories for volunteers, teams and service records.

``valid_id_number(n)`` makes a distinct ID-card number that passes the GB 11643
checksum, so every factory volunteer is a plausible applicant.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import factory
from django.utils import timezone

from apps.volunteers.idcard import id_check_digit
from apps.volunteers.models import (
    ServiceRecord,
    Team,
    TeamKind,
    TeamMembership,
    Volunteer,
    VolunteerSkill,
    VolunteerStatus,
)
from tests.factories import SiteFactory, UserFactory

# A valid number whose last four characters are "123X": the masking examples use it.
ID_123X = "11010519800105123X"
# The classic GB 11643 example, check digit X.
ID_CLASSIC = "11010519491231002X"


def valid_id_number(seq: int, birth: str = "19900101", region: str = "330102") -> str:
    """A checksum-valid ID number; ``seq`` (0–999 per birth date) keeps them distinct."""
    day = dt.date(int(birth[:4]), int(birth[4:6]), int(birth[6:])) + dt.timedelta(days=seq // 1000)
    first17 = f"{region}{day:%Y%m%d}{seq % 1000:03d}"
    return first17 + id_check_digit(first17)


def wrong_checksum(id_number: str) -> str:
    """The same number with a check digit that does not match."""
    good = id_number[-1]
    bad = next(c for c in "0123456789X" if c != good)
    return id_number[:-1] + bad


class VolunteerFactory(factory.django.DjangoModelFactory):
    """A volunteer application (pending by default). Pass ``site=``; ``skills=[...]``
    adds VolunteerSkill rows. ``approved=True`` (a trait) gives it a number too."""

    class Meta:
        model = Volunteer
        skip_postgeneration_save = True

    # Own username/mobile ranges: the shared UserFactory's 135… numbers meet the cast's
    # fixed ones (nobody is 13500000099) once a test makes ~100 users.
    user = factory.SubFactory(
        UserFactory,
        username=factory.Sequence(lambda n: f"vuser{n}"),
        mobile=factory.Sequence(lambda n: f"158{n:08d}"),
    )
    site = factory.SubFactory(SiteFactory)
    real_name = factory.Sequence(lambda n: f"志愿者{n}")
    mobile = factory.Sequence(lambda n: f"138{n:08d}")
    id_number = factory.Sequence(lambda n: valid_id_number(n))
    emergency_contact_name = "家属"
    emergency_contact_phone = factory.Sequence(lambda n: f"139{n:08d}")
    status = VolunteerStatus.PENDING

    class Params:
        approved = factory.Trait(
            status=VolunteerStatus.APPROVED,
            number=factory.Sequence(lambda n: f"ZYT{n:07d}"),
            reviewed_at=factory.LazyFunction(timezone.now),
        )

    @factory.post_generation
    def skills(obj: Volunteer, create: bool, extracted: Any, **kwargs: Any) -> None:  # noqa: N805
        if create and extracted:
            VolunteerSkill.objects.bulk_create(
                [VolunteerSkill(volunteer=obj, category=c) for c in extracted]
            )


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"服务队{n}")
    kind = TeamKind.STANDING
    category = "health"


class TeamMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TeamMembership

    team = factory.SubFactory(TeamFactory)
    volunteer = factory.SubFactory(VolunteerFactory)
    is_leader = False


class ServiceRecordFactory(factory.django.DjangoModelFactory):
    """A record row only: it does not touch ``Volunteer.hours`` (use the service or
    ``volunteers_recompute_hours`` for that)."""

    class Meta:
        model = ServiceRecord

    volunteer = factory.SubFactory(VolunteerFactory, approved=True)
    site = factory.SelfAttribute("volunteer.site")
    service_date = factory.LazyFunction(lambda: timezone.localdate() - dt.timedelta(days=7))
    title = "助老上门服务"
    hours = Decimal("2.0")
    source_key = factory.Sequence(lambda n: f"test:{n}")
