"""Scope: a township's staff never see or touch another township's volunteers. town2
is the "not yours" staff member for everything under town1; not yours answers exactly
like not there (404 ``not_found``) and changes nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from apps.volunteers.models import Certificate, ServiceRecord, Volunteer, VolunteerEvent

from .factories import ServiceRecordFactory, TeamFactory, TeamMembershipFactory, VolunteerFactory

pytestmark = pytest.mark.django_db

ROSTER_API = "/api/v1/volunteers/"


def _ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def _state(volunteer):
    fresh = Volunteer.objects.get(pk=volunteer.pk)
    return (
        fresh.status,
        fresh.status_reason,
        fresh.number,
        fresh.hours,
        VolunteerEvent.objects.filter(volunteer=volunteer).count(),
        ServiceRecord.objects.filter(volunteer=volunteer).count(),
        Certificate.objects.filter(volunteer=volunteer).count(),
    )


class TestRosterApi:
    def test_each_staff_member_lists_their_subtree(
        self, api_as, cast, tree, pending_v1, approved_v2
    ):
        village1b = VolunteerFactory(site=tree.village1b)
        assert _ids(api_as(cast.town2).get(ROSTER_API)) == {approved_v2.pk}
        assert _ids(api_as(cast.town1).get(ROSTER_API)) == {pending_v1.pk, village1b.pk}
        assert _ids(api_as(cast.village1).get(ROSTER_API)) == {pending_v1.pk}
        assert _ids(api_as(cast.county).get(ROSTER_API)) == {
            pending_v1.pk,
            village1b.pk,
            approved_v2.pk,
        }

    @pytest.mark.parametrize("who", ["res1", "res9", "vol1", "nobody"])
    def test_without_staff_role_the_roster_is_not_there(
        self, api_as, login_as, cast, who, pending_v1
    ):
        user = getattr(cast, who)
        response = api_as(user).get(ROSTER_API)
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert login_as(user).get("/volunteers/roster/").status_code == 404

    def test_a_volunteer_is_not_staff(self, api_as, login_as, cast, approved_v1):
        # res1 is now an approved volunteer (volunteer role granted): still no roster.
        assert api_as(cast.res1).get(ROSTER_API).status_code == 404
        assert login_as(cast.res1).get("/volunteers/roster/").status_code == 404

    def test_anonymous(self, api, client, tree):
        assert api.get(ROSTER_API).status_code == 401
        assert client.get("/volunteers/roster/").status_code == 302

    def test_site_filter_outside_scope_returns_nothing(
        self, api_as, cast, tree, pending_v1, approved_v2
    ):
        client = api_as(cast.town2)
        assert _ids(client.get(ROSTER_API, {"site": tree.village1.pk})) == set()
        assert _ids(client.get(ROSTER_API, {"site": tree.village2.pk})) == {approved_v2.pk}

    def test_filters(self, api_as, cast, tree, approved_v1, pending_v1):
        other = VolunteerFactory(
            site=tree.village1b,
            approved=True,
            skills=["legal"],
            real_name="欧阳锋",
            mobile="13711112222",
            star_level=2,
        )
        team = TeamFactory(site=tree.town1)
        TeamMembershipFactory(team=team, volunteer=other)
        client = api_as(cast.town1)
        assert _ids(client.get(ROSTER_API, {"status": "approved"})) == {approved_v1.pk, other.pk}
        assert _ids(client.get(ROSTER_API, {"skill": "legal"})) == {other.pk}
        assert _ids(client.get(ROSTER_API, {"skill": "health"})) == {approved_v1.pk}
        assert _ids(client.get(ROSTER_API, {"team": team.pk})) == {other.pk}
        assert _ids(client.get(ROSTER_API, {"star_level": 2})) == {other.pk}
        assert _ids(client.get(ROSTER_API, {"star_level": 0})) == {approved_v1.pk}
        assert _ids(client.get(ROSTER_API, {"q": "欧阳"})) == {other.pk}
        assert _ids(client.get(ROSTER_API, {"q": "1371111"})) == {other.pk}
        assert _ids(client.get(ROSTER_API, {"q": approved_v1.number})) == {approved_v1.pk}
        assert _ids(client.get(ROSTER_API, {"site": tree.village1b.pk})) == {other.pk}


class TestNotYours:
    """town2 against town1's (village1's) volunteer: 404 ``not_found``, nothing changed."""

    @pytest.mark.parametrize(
        ("action", "body"),
        [
            ("approve", {}),
            ("reject", {"reason": "不是你的"}),
            ("suspend", {"reason": "不是你的"}),
        ],
    )
    def test_review_actions(self, api_as, cast, pending_v1, approved_v1, action, body):
        before = _state(approved_v1)
        response = api_as(cast.town2).post(
            f"{ROSTER_API}{approved_v1.pk}/{action}/", body, format="json"
        )
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert _state(approved_v1) == before

    def test_approve_pending(self, api_as, cast, pending_v1):
        before = _state(pending_v1)
        response = api_as(cast.town2).post(f"{ROSTER_API}{pending_v1.pk}/approve/")
        assert response.status_code == 404
        assert _state(pending_v1) == before

    def test_retrieve_answers_like_a_missing_id(self, api_as, cast, pending_v1):
        client = api_as(cast.town2)
        mine = client.get(f"{ROSTER_API}{pending_v1.pk}/")
        missing = client.get(f"{ROSTER_API}999999/")
        assert mine.status_code == missing.status_code == 404
        assert mine.json() == missing.json() == {"code": "not_found", "message": "志愿者不存在。"}

    def test_record_service(self, api_as, cast, tree, approved_v1):
        before = _state(approved_v1)
        for site in (tree.village1, tree.village2):
            response = api_as(cast.town2).post(
                f"{ROSTER_API}{approved_v1.pk}/service-records/",
                {
                    "site": site.pk,
                    "service_date": str(timezone.localdate()),
                    "title": "义诊",
                    "hours": "2",
                },
                format="json",
            )
            assert response.status_code == 404
            assert response.json()["code"] == "not_found"
        assert (
            api_as(cast.town2).get(f"{ROSTER_API}{approved_v1.pk}/service-records/").status_code
            == 404
        )
        assert _state(approved_v1) == before

    def test_issue_certificate(self, api_as, cast, approved_v1):
        ServiceRecordFactory(volunteer=approved_v1, hours=3)
        before = _state(approved_v1)
        response = api_as(cast.town2).post(f"{ROSTER_API}{approved_v1.pk}/certificates/")
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
        assert _state(approved_v1) == before
        assert Certificate.objects.count() == 0

    def test_pages(self, login_as, cast, pending_v1):
        client = login_as(cast.town2)
        before = _state(pending_v1)
        assert client.get(f"/volunteers/{pending_v1.pk}/").status_code == 404
        for action in ("approve", "reject", "suspend"):
            response = client.post(f"/volunteers/{pending_v1.pk}/review/{action}/", {"reason": "x"})
            assert response.status_code == 404
        assert (
            client.post(
                f"/volunteers/{pending_v1.pk}/records/",
                {
                    "site": pending_v1.site_id,
                    "service_date": str(timezone.localdate()),
                    "title": "x",
                    "hours": "1",
                },
            ).status_code
            == 404
        )
        assert client.post(f"/volunteers/{pending_v1.pk}/certificates/").status_code == 404
        assert _state(pending_v1) == before
        roster = client.get("/volunteers/roster/").content.decode()
        assert pending_v1.real_name not in roster

    @pytest.mark.parametrize("staff", ["town1", "village1"])
    def test_in_scope_staff_can(self, api_as, login_as, cast, tree, pending_v1, staff):
        actor = getattr(cast, staff)
        client = api_as(actor)
        assert client.get(f"{ROSTER_API}{pending_v1.pk}/").status_code == 200
        assert client.post(f"{ROSTER_API}{pending_v1.pk}/approve/").status_code == 200
        response = client.post(
            f"{ROSTER_API}{pending_v1.pk}/service-records/",
            {
                "site": tree.village1.pk,
                "service_date": str(timezone.localdate() - dt.timedelta(1)),
                "title": "义诊",
                "hours": "2.5",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        assert client.post(f"{ROSTER_API}{pending_v1.pk}/certificates/").status_code == 201
        pending_v1.refresh_from_db()
        assert pending_v1.hours == 2.5
        assert Certificate.objects.filter(volunteer=pending_v1, issued_by=actor).count() == 1
        page = login_as(actor).get(f"/volunteers/{pending_v1.pk}/")
        assert page.status_code == 200
        # Issue #12: masked by default, shown by the explicit (logged) action.
        assert pending_v1.id_number not in page.content.decode()
        shown = login_as(actor).post(f"/volunteers/{pending_v1.pk}/reveal/id_number/")
        assert pending_v1.id_number in shown.content.decode()


@pytest.mark.parametrize("query", ["site=abc", "team=abc", "star_level=abc", "site=1.5"])
def test_non_numeric_filters_match_nothing(api_as, login_as, cast, pending_v1, query):
    # Issue #12: the API's one validation layer answers 400 with a stable code.
    response = api_as(cast.town1).get(f"{ROSTER_API}?{query}")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    page = login_as(cast.town1).get(f"/volunteers/roster/?{query}")
    assert page.status_code == 200
    assert "没有符合条件的志愿者" in page.content.decode()
    assert api_as(cast.town1).get(f"/api/v1/teams/?{query}").status_code == 200
