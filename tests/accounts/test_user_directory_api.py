"""GET /api/v1/users/: the staff directory is scoped to the caller's subtree, masks
numbers it may not show, and costs the same number of queries for 5 users or 50."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.accounts.models import Role, RoleName, User

from ..factories import UserFactory

pytestmark = pytest.mark.django_db

URL = "/api/v1/users/"


def _usernames(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {u["username"] for u in response.json()["results"]}


def test_town2_sees_none_of_town1s_subtree(api_as, cast):
    names = _usernames(api_as(cast.town2).get(URL))
    assert names == {"town2", "res9"}
    assert not names & {"res1", "vol1", "village1", "town1"}


def test_town1_sees_its_subtree(api_as, cast):
    names = _usernames(api_as(cast.town1).get(URL))
    assert names == {"town1", "village1", "vol1", "res1"}


def test_village_staff_see_their_point_only(api_as, cast):
    assert _usernames(api_as(cast.village1).get(URL)) == {"village1", "vol1", "res1"}


def test_county_sees_everyone_with_a_role(api_as, cast):
    names = _usernames(api_as(cast.county).get(URL))
    assert names == {"county", "town1", "town2", "village1", "vol1", "res1", "res9"}
    assert "nobody" not in names  # no role anywhere, so in nobody's directory


def test_county_sees_numbers_masked(api_as, cast):
    # Issue #12: full numbers only to their owner (reveals are explicit and logged).
    rows = {u["username"]: u for u in api_as(cast.county).get(URL).json()["results"]}
    assert rows["res1"]["mobile"] == "136****0001"
    assert rows["res9"]["mobile"] == "136****0009"
    assert rows["county"]["mobile"] == cast.county.mobile
    assert rows["res1"]["roles"] == [
        {
            "role": "resident",
            "site": {
                "id": cast.res1.roles.get().site_id,
                "name": "东关社区实践站",
                "level": "village",
            },
        }
    ]


def test_a_role_in_scope_lists_the_user(api_as, tree, cast):
    # res9 lives under town2 but also volunteers at village1 (town1's subtree).
    assert "res9" not in _usernames(api_as(cast.town1).get(URL))
    Role.objects.create(user=cast.res9, site=tree.village1, role=RoleName.VOLUNTEER)
    rows = {u["username"]: u for u in api_as(cast.town1).get(URL).json()["results"]}
    assert rows["res1"]["mobile"] == "136****0001"
    assert rows["res9"]["mobile"] == "136****0009"


def test_a_role_under_town2_makes_town1s_staff_member_visible_to_town2(api_as, tree, cast):
    # town1's staff member is also a resident at village2 (town2's subtree): town2
    # lists them (number masked), and still sees nobody else of town1.
    Role.objects.create(user=cast.town1, site=tree.village2, role=RoleName.RESIDENT)
    rows = {u["username"]: u for u in api_as(cast.town2).get(URL).json()["results"]}
    assert set(rows) == {"town2", "res9", "town1"}
    assert rows["town1"]["mobile"] == "139****0011"


@pytest.mark.parametrize("who", ["res1", "vol1", "nobody"])
def test_people_without_a_staff_role_are_refused(api_as, cast, who):
    response = api_as(getattr(cast, who)).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "results" not in response.json()


def test_anonymous_is_401(api):
    response = api.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_role_filter_and_search(api_as, cast):
    client = api_as(cast.town1)
    assert _usernames(client.get(URL, {"role": "resident"})) == {"res1"}
    assert _usernames(client.get(URL, {"q": "vol"})) == {"vol1"}
    # A search cannot reach outside the scope.
    assert _usernames(client.get(URL, {"q": "res9"})) == set()


def test_query_count_does_not_depend_on_the_number_of_users(api_as, tree, cast):
    def queries() -> int:
        # A fresh user object each time: the roles cache on it would hide a query.
        client = api_as(User.objects.get(pk=cast.county.pk))
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {"page_size": 100})
        assert response.status_code == 200
        return len(ctx.captured_queries)

    small = queries()
    for i in range(40):
        # Explicit numbers: the factory's 135{n:08d} sequence meets nobody's 13500000099.
        user = UserFactory(mobile=f"158{i:08d}")
        Role.objects.create(user=user, site=tree.village1b, role=RoleName.RESIDENT)
        Role.objects.create(user=user, site=tree.village2, role=RoleName.VOLUNTEER)
    large = queries()
    assert api_as(cast.county).get(URL, {"page_size": 100}).json()["count"] == 47
    assert large == small
