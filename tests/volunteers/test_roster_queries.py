"""The roster's query count does not depend on the page size (API and page)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import User
from apps.volunteers.models import TeamMembership, VolunteerStatus

from .factories import TeamFactory, VolunteerFactory

pytestmark = pytest.mark.django_db

SKILLS = [["health", "elderly"], ["legal"], ["culture", "education", "sports"]]


@pytest.fixture
def sixty(tree):
    teams = [TeamFactory(site=tree.village1), TeamFactory(site=tree.town1, kind="special")]
    volunteers = []
    for i in range(60):
        site = tree.village1 if i % 2 else tree.village1b
        volunteers.append(VolunteerFactory(site=site, approved=True, skills=SKILLS[i % 3]))
    TeamMembership.objects.bulk_create(
        [
            TeamMembership(team=teams[0], volunteer=v, is_leader=(n == 0))
            for n, v in enumerate(volunteers)
            if v.site_id == tree.village1.pk
        ]
        + [TeamMembership(team=teams[1], volunteer=v) for v in volunteers]
    )
    return volunteers


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def test_api_roster(api_as, cast, sixty, record_property):
    def fresh():
        # A user object as a real request would load it: roles not yet cached on it.
        return api_as(User.objects.get(pk=cast.town1.pk))

    _count(fresh(), "/api/v1/volunteers/?page_size=1")  # warm-up (content types, etc.)
    small, r5 = _count(fresh(), "/api/v1/volunteers/?page_size=5")
    large, r50 = _count(fresh(), "/api/v1/volunteers/?page_size=50")
    assert len(r5.json()["results"]) == 5
    assert len(r50.json()["results"]) == 50
    assert r50.json()["count"] == 60
    row = r50.json()["results"][0]
    assert row["skills"] and row["teams"] and row["site"]["name"]
    print(f"API roster queries: page_size=5 → {small}, page_size=50 → {large}")
    record_property("api_queries", (small, large))
    assert small == large
    assert large <= 8


def test_roster_page(login_as, cast, tree, sixty, record_property):
    VolunteerFactory.create_batch(
        3, site=tree.village1, status=VolunteerStatus.PENDING, skills=["health"]
    )
    client = login_as(cast.town1)
    _count(client, "/volunteers/roster/")  # warm-up
    # 63 volunteers, 20 a page: page 4 holds 3 rows, page 1 holds 20.
    few, page4 = _count(client, "/volunteers/roster/?page=4")
    full, page1 = _count(client, "/volunteers/roster/?page=1")
    assert page4.context["page"].object_list.__len__() == 3
    assert len(page1.context["page"].object_list) == 20
    assert page1.content.decode().count('class="tag"') >= 20
    print(f"Roster page queries: 3 rows → {few}, 20 rows → {full}")
    record_property("page_queries", (few, full))
    assert few == full
    assert full <= 14
