"""Teams (志愿服务队, "8+N"): scoped list and create, members (approved volunteers of
the team's subtree only), leaders, removal, and the team pages."""

from __future__ import annotations

import pytest

from apps.volunteers.models import Team, TeamMembership

from .factories import TeamFactory, TeamMembershipFactory, VolunteerFactory

pytestmark = pytest.mark.django_db

TEAMS = "/api/v1/teams/"


@pytest.fixture
def teams(tree):
    return {
        "village1": TeamFactory(site=tree.village1, name="东关卫生健康服务队"),
        "town1": TeamFactory(site=tree.town1, name="城关红马甲", kind="special"),
        "village2": TeamFactory(site=tree.village2, name="桃花村文艺队", category="culture"),
    }


def _names(response):
    assert response.status_code == 200, response.content
    return {row["name"] for row in response.json()["results"]}


def _members(team):
    return set(TeamMembership.objects.filter(team=team).values_list("volunteer_id", "is_leader"))


class TestListAndCreate:
    def test_list_is_scoped(self, api_as, cast, teams):
        assert _names(api_as(cast.town2).get(TEAMS)) == {"桃花村文艺队"}
        assert _names(api_as(cast.town1).get(TEAMS)) == {"东关卫生健康服务队", "城关红马甲"}
        assert _names(api_as(cast.village1).get(TEAMS)) == {"东关卫生健康服务队"}
        assert len(_names(api_as(cast.county).get(TEAMS))) == 3

    @pytest.mark.parametrize("who", ["res1", "vol1", "nobody"])
    def test_list_not_there_without_staff_role(self, api_as, cast, teams, who):
        assert api_as(getattr(cast, who)).get(TEAMS).status_code == 404

    def test_create(self, api_as, cast, tree):
        response = api_as(cast.town1).post(
            TEAMS,
            {
                "site": tree.village1b.pk,
                "name": " 西街法律服务队 ",
                "kind": "standing",
                "category": "legal",
            },
            format="json",
        )
        assert response.status_code == 201, response.json()
        team = Team.objects.get(pk=response.json()["id"])
        assert (team.site, team.name, team.category) == (tree.village1b, "西街法律服务队", "legal")
        assert response.json()["member_count"] == 0

    def test_create_out_of_scope(self, api_as, cast, tree):
        response = api_as(cast.town2).post(
            TEAMS, {"site": tree.village1.pk, "name": "越界队"}, format="json"
        )
        assert response.status_code == 404
        assert not Team.objects.filter(name="越界队").exists()

    def test_duplicate_name_per_site(self, api_as, cast, tree, teams):
        response = api_as(cast.village1).post(
            TEAMS, {"site": tree.village1.pk, "name": "东关卫生健康服务队"}, format="json"
        )
        assert response.status_code == 400
        assert response.json()["errors"]["name"] == ["本阵地已有同名服务队。"]
        assert Team.objects.filter(name="东关卫生健康服务队").count() == 1

    def test_duplicate_name_out_of_scope_does_not_leak(self, api_as, cast, tree, teams):
        # Another township learns nothing, not even that the name is taken.
        response = api_as(cast.town2).post(
            TEAMS, {"site": tree.village1.pk, "name": "东关卫生健康服务队"}, format="json"
        )
        assert response.status_code == 404
        assert Team.objects.filter(name="东关卫生健康服务队").count() == 1

    def test_rename_to_a_taken_name(self, api_as, cast, tree, teams):
        other = TeamFactory(site=tree.village1, name="东关文艺队")
        response = api_as(cast.village1).patch(
            f"{TEAMS}{other.pk}/", {"name": "东关卫生健康服务队"}, format="json"
        )
        assert response.status_code == 400
        assert "name" in response.json()["errors"]
        other.refresh_from_db()
        assert other.name == "东关文艺队"

    def test_retrieve_and_update_out_of_scope(self, api_as, cast, teams):
        team = teams["village1"]
        client = api_as(cast.town2)
        assert client.get(f"{TEAMS}{team.pk}/").status_code == 404
        assert (
            client.patch(f"{TEAMS}{team.pk}/", {"name": "改名"}, format="json").status_code == 404
        )
        team.refresh_from_db()
        assert team.name == "东关卫生健康服务队"

    def test_update_in_scope(self, api_as, cast, teams):
        team = teams["village1"]
        response = api_as(cast.town1).patch(
            f"{TEAMS}{team.pk}/", {"is_active": False}, format="json"
        )
        assert response.status_code == 200
        team.refresh_from_db()
        assert team.is_active is False


class TestMembers:
    def url(self, team):
        return f"{TEAMS}{team.pk}/members/"

    def test_add_members_and_leaders(self, api_as, cast, teams, approved_v1, tree):
        team = teams["town1"]
        other = VolunteerFactory(site=tree.village1b, approved=True)
        client = api_as(cast.town1)
        response = client.post(
            self.url(team), {"volunteer": approved_v1.pk, "is_leader": True}, format="json"
        )
        assert response.status_code == 201, response.json()
        assert (
            client.post(self.url(team), {"volunteer": other.pk}, format="json").status_code == 201
        )
        assert _members(team) == {(approved_v1.pk, True), (other.pk, False)}
        # Adding again changes the leader flag, not the membership count.
        client.post(
            self.url(team), {"volunteer": approved_v1.pk, "is_leader": False}, format="json"
        )
        client.post(self.url(team), {"volunteer": other.pk, "is_leader": True}, format="json")
        assert _members(team) == {(approved_v1.pk, False), (other.pk, True)}
        detail = client.get(f"{TEAMS}{team.pk}/").json()
        assert detail["member_count"] == 2
        assert [m["volunteer"] for m in detail["members"]] == [other.pk, approved_v1.pk]
        me = api_as(cast.res1).get("/api/v1/volunteers/me/").json()
        assert me["teams"] == [{"id": team.pk, "name": "城关红马甲", "is_leader": False}]

    def test_only_approved_volunteers(self, api_as, cast, teams, pending_v1):
        response = api_as(cast.village1).post(
            self.url(teams["village1"]), {"volunteer": pending_v1.pk}, format="json"
        )
        assert response.status_code == 400
        assert "volunteer" in response.json()["errors"]
        assert TeamMembership.objects.count() == 0

    def test_volunteer_of_another_township(self, api_as, cast, teams, approved_v2):
        response = api_as(cast.town1).post(
            self.url(teams["town1"]), {"volunteer": approved_v2.pk}, format="json"
        )
        assert response.status_code == 404
        assert TeamMembership.objects.count() == 0

    @pytest.mark.parametrize(
        ("actor", "team_key", "volunteer_site"),
        [
            # town1 manages both villages, but a village team takes its own village's people.
            ("town1", "village1", "village1b"),
            # The county manages everything, still a village1 team is not for village2.
            ("county", "village1", "village2"),
        ],
    )
    def test_volunteer_outside_the_team_subtree(
        self, api_as, cast, tree, teams, actor, team_key, volunteer_site
    ):
        outsider = VolunteerFactory(site=getattr(tree, volunteer_site), approved=True)
        response = api_as(getattr(cast, actor)).post(
            self.url(teams[team_key]), {"volunteer": outsider.pk}, format="json"
        )
        assert response.status_code == 400
        assert "本阵地及下级阵地" in response.json()["errors"]["volunteer"][0]
        assert TeamMembership.objects.count() == 0

    def test_out_of_scope_staff(self, api_as, cast, teams, approved_v1):
        response = api_as(cast.town2).post(
            self.url(teams["village1"]), {"volunteer": approved_v1.pk}, format="json"
        )
        assert response.status_code == 404
        assert TeamMembership.objects.count() == 0

    def test_remove(self, api_as, cast, teams, approved_v1):
        team = teams["village1"]
        TeamMembershipFactory(team=team, volunteer=approved_v1, is_leader=True)
        url = f"{TEAMS}{team.pk}/members/{approved_v1.pk}/"
        assert api_as(cast.town2).delete(url).status_code == 404
        assert _members(team) == {(approved_v1.pk, True)}
        assert api_as(cast.village1).delete(url).status_code == 204
        assert _members(team) == set()


class TestPages:
    def test_list_page_is_scoped(self, login_as, cast, teams):
        html = login_as(cast.town2).get("/volunteers/teams/").content.decode()
        assert "桃花村文艺队" in html
        assert "东关卫生健康服务队" not in html and "城关红马甲" not in html

    def test_create_on_the_page(self, login_as, cast, tree):
        response = login_as(cast.village1).post(
            "/volunteers/teams/",
            {
                "site": tree.village1.pk,
                "name": "东关环保队",
                "kind": "standing",
                "category": "environment",
                "description": "",
            },
        )
        team = Team.objects.get(name="东关环保队")
        assert response.status_code == 302
        assert response["Location"] == f"/volunteers/teams/{team.pk}/"

    def test_create_outside_scope_on_the_page(self, login_as, cast, tree):
        response = login_as(cast.village1).post(
            "/volunteers/teams/", {"site": tree.village2.pk, "name": "越界队", "kind": "standing"}
        )
        assert response.status_code == 400
        assert not Team.objects.filter(name="越界队").exists()

    def test_team_page_add_and_remove(self, login_as, cast, teams, approved_v1):
        team = teams["village1"]
        client = login_as(cast.village1)
        page = client.get(f"/volunteers/teams/{team.pk}/")
        assert page.status_code == 200 and "还没有队员" in page.content.decode()
        response = client.post(
            f"/volunteers/teams/{team.pk}/", {"volunteer": approved_v1.number, "is_leader": "on"}
        )
        assert response.status_code == 302
        assert _members(team) == {(approved_v1.pk, True)}
        html = client.get(f"/volunteers/teams/{team.pk}/").content.decode()
        assert approved_v1.real_name in html and "队长" in html
        remove = f"/volunteers/teams/{team.pk}/remove/{approved_v1.pk}/"
        assert client.get(remove).status_code == 200
        assert _members(team) == {(approved_v1.pk, True)}  # GET only asks
        assert client.post(remove).status_code == 302
        assert _members(team) == set()

    def test_team_page_unknown_volunteer(self, login_as, cast, teams, approved_v2):
        response = login_as(cast.village1).post(
            f"/volunteers/teams/{teams['village1'].pk}/", {"volunteer": approved_v2.number}
        )
        assert response.status_code == 400
        assert "没有找到该志愿者" in response.content.decode()
        assert TeamMembership.objects.count() == 0

    def test_team_pages_not_yours(self, login_as, cast, teams, approved_v1):
        team = teams["village1"]
        TeamMembershipFactory(team=team, volunteer=approved_v1)
        client = login_as(cast.town2)
        assert client.get(f"/volunteers/teams/{team.pk}/").status_code == 404
        assert (
            client.post(f"/volunteers/teams/{team.pk}/remove/{approved_v1.pk}/").status_code == 404
        )
        assert TeamMembership.objects.filter(team=team).count() == 1
        assert login_as(cast.res1).get("/volunteers/teams/").status_code == 404
