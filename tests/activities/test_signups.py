"""招募令: sign-up, waiting list, withdrawal, approval, invitations, overlaps, residents."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from apps.accounts.models import Role
from apps.activities import services
from apps.activities.models import Activity, ActivityEvent, Registration, Signup
from apps.core.errors import ConflictError, NotFoundError, PermissionDeniedError
from apps.notifications.models import Notification
from apps.sites.scoping import forget_roles
from apps.volunteers.models import Team, TeamMembership
from tests.orders.factories import VolunteerFactory

from .conftest import make_activity

pytestmark = pytest.mark.django_db


def _role(activity: Activity, name: str) -> Any:
    return activity.roles.get(name=name)


def test_full_role_waitlists_and_promotes_in_order(
    activity: Activity, volunteers: list[Any]
) -> None:
    guide = _role(activity, "引导员")  # 2 places
    a, b, c, d = volunteers
    results = [
        services.signup_create(actor=v.user, activity_id=activity.pk, role_id=guide.pk)[0]
        for v in volunteers
    ]
    assert [s.status for s in results] == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    services.signup_withdraw(actor=a.user, activity_id=activity.pk)
    statuses = dict(Signup.objects.values_list("volunteer_id", "status"))
    assert statuses == {a.pk: "withdrawn", b.pk: "confirmed", c.pk: "confirmed", d.pk: "waitlisted"}
    assert Notification.objects.filter(user=c.user, kind="activity_promoted").count() == 1
    assert ActivityEvent.objects.filter(activity=activity, code="promoted").count() == 1
    # Withdrawing from the waiting list frees nothing.
    services.signup_withdraw(actor=d.user, activity_id=activity.pk)
    assert Signup.objects.filter(role=guide, status__in=["confirmed", "pending"]).count() == 2


def test_repeat_is_idempotent(activity: Activity, vol1: Any, cast: Any) -> None:
    first, created = services.signup_create(
        actor=cast.vol1, activity_id=activity.pk, idempotency_key="k1"
    )
    again, created_again = services.signup_create(
        actor=cast.vol1, activity_id=activity.pk, idempotency_key="k1"
    )
    assert created and not created_again and first.pk == again.pk
    services.signup_withdraw(actor=cast.vol1, activity_id=activity.pk)
    # The same key again (a retried request) does not sign up anew…
    replay, _ = services.signup_create(
        actor=cast.vol1, activity_id=activity.pk, idempotency_key="k1"
    )
    assert replay.status == "withdrawn"
    # …a new request does, at the end of the line.
    back, _ = services.signup_create(actor=cast.vol1, activity_id=activity.pk, idempotency_key="k2")
    assert back.pk == first.pk and back.status == "confirmed"
    assert Signup.objects.count() == 1


def test_only_approved_volunteers_in_scope(activity: Activity, cast: Any, tree: Any) -> None:
    with pytest.raises(PermissionDeniedError):
        services.signup_create(actor=cast.res1, activity_id=activity.pk)
    far = VolunteerFactory(site=tree.village1b)  # same township, another village
    with pytest.raises(NotFoundError):
        services.signup_create(actor=far.user, activity_id=activity.pk)
    # Living at village1 (it sees the activity) but volunteering at village1b.
    Role.objects.create(user=far.user, site=tree.village1, role="resident")
    forget_roles(far.user)
    with pytest.raises(PermissionDeniedError) as exc:
        services.signup_create(actor=far.user, activity_id=activity.pk)
    assert exc.value.code == "not_in_scope"
    stranger = VolunteerFactory(site=tree.village2)
    with pytest.raises(NotFoundError):
        services.signup_create(actor=stranger.user, activity_id=activity.pk)
    suspended = VolunteerFactory(site=tree.village1, status="suspended")
    with pytest.raises(PermissionDeniedError):
        services.signup_create(actor=suspended.user, activity_id=activity.pk)


def test_required_skill(cast: Any, tree: Any) -> None:
    activity = make_activity(
        cast.village1, tree.village1, roles=[{"name": "义诊", "slots": 2, "skill": "health"}]
    )
    plain = VolunteerFactory(site=tree.village1)
    doctor = VolunteerFactory(site=tree.village1, skills=["health"])
    with pytest.raises(ValidationError):
        services.signup_create(actor=plain.user, activity_id=activity.pk)
    signup, _ = services.signup_create(actor=doctor.user, activity_id=activity.pk)
    assert signup.status == "confirmed"


def test_deadline_closes_signup_and_withdrawal(activity: Activity, vol1: Any, cast: Any) -> None:
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    Activity.objects.filter(pk=activity.pk).update(signup_deadline=activity.created_at)
    with pytest.raises(ConflictError) as exc:
        services.signup_withdraw(actor=cast.vol1, activity_id=activity.pk)
    assert exc.value.code == "deadline_passed"
    late = VolunteerFactory(site=activity.site)
    with pytest.raises(ConflictError):
        services.signup_create(actor=late.user, activity_id=activity.pk)


def test_approval(cast: Any, tree: Any, volunteers: list[Any]) -> None:
    activity = make_activity(
        cast.village1, tree.village1, needs_approval=True, roles=[{"name": "讲解", "slots": 1}]
    )
    a, b = volunteers[:2]
    first, _ = services.signup_create(actor=a.user, activity_id=activity.pk)
    second, _ = services.signup_create(actor=b.user, activity_id=activity.pk)
    assert (first.status, second.status) == ("pending", "waitlisted")
    with pytest.raises(PermissionDeniedError):
        services.signup_approve(actor=b.user, activity_id=activity.pk, signup_id=first.pk)
    with pytest.raises(NotFoundError):
        services.signup_approve(actor=cast.town2, activity_id=activity.pk, signup_id=first.pk)
    services.signup_refuse(
        actor=cast.village1, activity_id=activity.pk, signup_id=first.pk, reason="人数已够"
    )
    second.refresh_from_db()
    assert second.status == "pending"  # promoted, still to be approved
    services.signup_approve(actor=cast.town1, activity_id=activity.pk, signup_id=second.pk)
    second.refresh_from_db()
    assert second.status == "confirmed"
    assert Notification.objects.filter(user=a.user, kind="activity_refused").exists()
    assert Notification.objects.filter(user=b.user, kind="activity_approved").exists()
    with pytest.raises(ConflictError):
        services.signup_approve(actor=cast.village1, activity_id=activity.pk, signup_id=second.pk)


def test_invite_a_team_and_answer(
    activity: Activity, cast: Any, tree: Any, volunteers: list[Any]
) -> None:
    team = Team.objects.create(site=tree.village1, name="东关环保队", category="environment")
    for v in volunteers[:3]:
        TeamMembership.objects.create(team=team, volunteer=v)
    outsider_team = Team.objects.create(site=tree.village2, name="桃花队", category="other")
    with pytest.raises(NotFoundError):
        services.signup_invite(
            actor=cast.village1, activity_id=activity.pk, role_id=None, team_id=outsider_team.pk
        )
    clean = _role(activity, "清扫")
    invited = services.signup_invite(
        actor=cast.village1, activity_id=activity.pk, role_id=clean.pk, team_id=team.pk
    )
    assert len(invited) == 3 and all(s.status == "invited" for s in invited)
    assert Notification.objects.filter(kind="activity_invited").count() == 3
    a, b = volunteers[:2]
    accepted = services.invite_answer(actor=a.user, activity_id=activity.pk, accept=True)
    declined = services.invite_answer(actor=b.user, activity_id=activity.pk, accept=False)
    assert (accepted.status, declined.status) == ("confirmed", "declined")
    # Inviting again leaves those who answered yes alone.
    again = services.signup_invite(
        actor=cast.village1, activity_id=activity.pk, role_id=clean.pk, team_id=team.pk
    )
    assert {s.volunteer_id for s in again} == {b.pk}


def test_overlap_needs_a_confirm(cast: Any, tree: Any, activity: Activity, vol1: Any) -> None:
    other = make_activity(
        cast.village1,
        tree.village1,
        title="同时段的讲座",
        starts_at=activity.starts_at + dt.timedelta(hours=1),
    )
    services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    with pytest.raises(ConflictError) as exc:
        services.signup_create(actor=cast.vol1, activity_id=other.pk)
    assert exc.value.code == "overlap"
    assert "同时段的讲座" not in exc.value.errors["overlaps"][0]
    assert "东关社区环境整治" in exc.value.errors["overlaps"][0]
    signup, _ = services.signup_create(actor=cast.vol1, activity_id=other.pk, confirm_overlap=True)
    assert signup.overlap_confirmed


def test_overlap_with_an_open_order(cast: Any, tree: Any, activity: Activity, vol1: Any) -> None:
    from apps.orders.models import OrderAssignment, ServiceOrder
    from tests.orders.factories import ServiceItemFactory

    item = ServiceItemFactory(site=tree.village1, title="上门理发")
    order = ServiceOrder.objects.create(
        service=item,
        site=tree.village1,
        handling_site=tree.village1,
        resident=cast.res1,
        placed_by=cast.res1,
        address="东关 1 号",
        contact_mobile="13600000001",
        preferred_start=activity.starts_at,
        preferred_end=activity.ends_at,
        status="accepted",
    )
    OrderAssignment.objects.create(
        order=order, volunteer=vol1, status="accepted", assigned_at=activity.created_at
    )
    with pytest.raises(ConflictError) as exc:
        services.signup_create(actor=cast.vol1, activity_id=activity.pk)
    assert "上门理发" in exc.value.errors["overlaps"][0]


def test_residents_register_within_the_limit(cast: Any, tree: Any) -> None:
    from tests.factories import user_with_role

    activity = make_activity(cast.village1, tree.village1, residents_allowed=True, resident_limit=1)
    closed = make_activity(cast.village1, tree.village1, title="不对外")
    with pytest.raises(PermissionDeniedError):
        services.registration_create(actor=cast.res1, activity_id=closed.pk)
    reg, created = services.registration_create(actor=cast.res1, activity_id=activity.pk)
    again, created_again = services.registration_create(actor=cast.res1, activity_id=activity.pk)
    assert created and not created_again and reg.pk == again.pk
    neighbour = user_with_role("res2", "resident", tree.village1)
    with pytest.raises(ConflictError) as exc:
        services.registration_create(actor=neighbour, activity_id=activity.pk)
    assert exc.value.code == "full"
    services.registration_cancel(actor=cast.res1, activity_id=activity.pk)
    services.registration_create(actor=neighbour, activity_id=activity.pk)
    assert Registration.objects.filter(activity=activity, status="registered").count() == 1
    with pytest.raises(NotFoundError):
        services.registration_create(actor=cast.res9, activity_id=activity.pk)
