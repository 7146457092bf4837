"""Fixtures for the volunteers suite: an application payload, volunteers at village1
(under town1) and village2 (under town2), and a snapshot of the volunteer tables."""

from __future__ import annotations

from typing import Any

import pytest

from apps.accounts.models import RoleName
from apps.volunteers import services
from apps.volunteers.models import Volunteer, VolunteerEvent, VolunteerSkill
from tests.factories import user_with_role

from .factories import VolunteerFactory, valid_id_number


def table_counts() -> tuple[int, int, int]:
    """(Volunteer, VolunteerSkill, VolunteerEvent) row counts: "nothing saved" checks."""
    return (
        Volunteer.objects.count(),
        VolunteerSkill.objects.count(),
        VolunteerEvent.objects.count(),
    )


@pytest.fixture
def payload(tree: Any) -> Any:
    """``payload(**overrides)``: a valid API application to village1."""

    def make(**overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "real_name": "张三",
            "mobile": "13812345678",
            "id_number": "11010519800105123x",
            "site": tree.village1.pk,
            "skills": ["health", "elderly"],
            "specialties": "护理",
            "service_area": "东关社区",
            "availability": ["5-am"],
            "emergency_contact_name": "张父",
            "emergency_contact_phone": "13987654321",
        }
        body.update(overrides)
        return body

    return make


@pytest.fixture
def pending_v1(tree: Any, cast: Any) -> Volunteer:
    """res1's application at village1 (under town1), made through the service."""
    return services.volunteer_apply(
        user=cast.res1,
        site=tree.village1,
        real_name="李四",
        mobile="13812345678",
        id_number="11010519800105123X",
        emergency_contact_name="李父",
        emergency_contact_phone="13987654321",
        skills=["health"],
        availability=1,
    )


@pytest.fixture
def approved_v1(pending_v1: Volunteer, cast: Any) -> Volunteer:
    return services.volunteer_approve(volunteer=pending_v1, actor=cast.village1)


@pytest.fixture
def approved_v2(tree: Any) -> Volunteer:
    """An approved volunteer at village2 (under town2)."""
    user = user_with_role("res2v", RoleName.RESIDENT, tree.village2, mobile="13600000022")
    return VolunteerFactory(
        user=user, site=tree.village2, approved=True, id_number=valid_id_number(900, "19700101")
    )
