"""Site pages: the manage page is scoped to the staff member's subtree, editing is for
county admins, and access_site answers "not there" and "not yours" the same."""

from __future__ import annotations

import pytest

from apps.core.errors import NotFoundError
from apps.sites.models import Site, SiteLevel
from apps.sites.scoping import access_site

pytestmark = pytest.mark.django_db

MANAGE_URL = "/sites/manage/"


def _names_on(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def response_rows(response) -> set[int]:
    """The sites listed on a manage page."""
    return {s.pk for s in response.context["page"].object_list}


class TestManagePage:
    def test_town2_sees_none_of_town1s_subtree(self, login_as, tree, cast):
        response = login_as(cast.town2).get(MANAGE_URL)
        assert response_rows(response) == {tree.town2.pk, tree.village2.pk}
        html = _names_on(response)
        assert tree.town2.name in html and tree.village2.name in html
        for site in (tree.town1, tree.village1, tree.village1b, tree.base):
            assert site.name not in html
        assert f'href="/sites/{tree.village1.pk}/"' not in html

    def test_town1_sees_its_subtree(self, login_as, tree, cast):
        response = login_as(cast.town1).get(MANAGE_URL)
        assert response_rows(response) == {tree.town1.pk, tree.village1.pk, tree.village1b.pk}
        html = _names_on(response)
        assert tree.village2.name not in html
        # Staff see the sites but only county admins edit them.
        assert "/sites/manage/new/" not in html
        assert f"/sites/manage/{tree.village1.pk}/edit/" not in html

    def test_village_staff_see_their_point(self, login_as, tree, cast):
        assert response_rows(login_as(cast.village1).get(MANAGE_URL)) == {tree.village1.pk}

    def test_county_admin_sees_everything_and_may_edit(self, login_as, tree, cast):
        response = login_as(cast.county).get(MANAGE_URL)
        assert response_rows(response) == set(Site.objects.values_list("pk", flat=True))
        html = _names_on(response)
        assert "/sites/manage/new/" in html
        assert f"/sites/manage/{tree.village2.pk}/edit/" in html

    @pytest.mark.parametrize("who", ["res1", "vol1", "nobody"])
    def test_non_staff_get_404(self, login_as, cast, who):
        assert login_as(getattr(cast, who)).get(MANAGE_URL).status_code == 404

    def test_anonymous_is_sent_to_login(self, client, tree):
        response = client.get(MANAGE_URL)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")

    def test_pages_of_fifty(self, login_as, tree, cast):
        for i in range(60):
            Site(name=f"新{i}村", level=SiteLevel.VILLAGE, parent=tree.town2).save()
        first = login_as(cast.town2).get(MANAGE_URL)
        assert len(first.context["page"].object_list) == 50
        second = login_as(cast.town2).get(MANAGE_URL, {"page": 2})
        assert len(second.context["page"].object_list) == 12
        assert response_rows(first).isdisjoint(response_rows(second))


class TestEditPage:
    def test_staff_cannot_open_the_editor(self, login_as, tree, cast):
        client = login_as(cast.town1)
        assert client.get(f"/sites/manage/{tree.village1.pk}/edit/").status_code == 404
        assert client.get("/sites/manage/new/").status_code == 404
        response = client.post(f"/sites/manage/{tree.village1.pk}/edit/", {"name": "改掉"})
        assert response.status_code == 404
        tree.village1.refresh_from_db()
        assert tree.village1.name == "东关社区实践站"

    def test_county_admin_edits_a_site(self, login_as, tree, cast):
        response = login_as(cast.county).post(
            f"/sites/manage/{tree.village1.pk}/edit/",
            {
                "name": "东关社区实践站（新）",
                "contact_name": "钱站长",
                "is_active": "on",
                # Disabled fields: whatever is posted, level and parent stay.
                "level": "base",
                "parent": tree.town2.pk,
            },
        )
        assert response.status_code == 302
        tree.village1.refresh_from_db()
        assert tree.village1.name == "东关社区实践站（新）"
        assert tree.village1.contact_name == "钱站长"
        assert (tree.village1.level, tree.village1.parent_id) == ("village", tree.town1.pk)

    def test_county_admin_creates_a_site(self, login_as, tree, cast):
        response = login_as(cast.county).post(
            "/sites/manage/new/",
            {"name": "新建村", "level": "village", "parent": tree.town2.pk, "is_active": "on"},
        )
        assert response.status_code == 302
        site = Site.objects.get(name="新建村")
        assert site.parent_id == tree.town2.pk and site.depth == 2

    def test_level_rule_is_a_form_error_on_parent(self, login_as, tree, cast):
        before = Site.objects.count()
        response = login_as(cast.county).post(
            "/sites/manage/new/",
            {"name": "挂错的村", "level": "village", "parent": tree.county.pk, "is_active": "on"},
        )
        assert response.status_code == 400
        assert response.context["form"].errors["parent"]
        assert Site.objects.count() == before


class TestAccessSite:
    def test_staff_reach_their_subtree(self, tree, cast):
        assert access_site(cast.town1, tree.village1.pk) == tree.village1
        assert access_site(cast.town1, str(tree.village1b.pk)) == tree.village1b
        assert access_site(cast.county, tree.village2.pk) == tree.village2

    @pytest.mark.parametrize(
        ("who", "target"),
        [
            ("town2", "village1"),
            ("town2", "town1"),
            ("town2", "county"),
            ("town1", "village2"),
            ("village1", "village1b"),
            ("res1", "village1"),
            ("vol1", "village1"),
            ("nobody", "county"),
        ],
    )
    def test_not_yours_is_not_found(self, tree, cast, who, target):
        with pytest.raises(NotFoundError) as exc:
            access_site(getattr(cast, who), getattr(tree, target).pk)
        assert exc.value.code == "site_not_found"

    @pytest.mark.parametrize("bad_id", [999999, "abc", None, ""])
    def test_not_there_answers_the_same(self, tree, cast, bad_id):
        with pytest.raises(NotFoundError) as missing:
            access_site(cast.county, bad_id)
        with pytest.raises(NotFoundError) as not_yours:
            access_site(cast.town2, tree.village1.pk)
        assert (missing.value.code, missing.value.message, missing.value.status_code) == (
            not_yours.value.code,
            not_yours.value.message,
            not_yours.value.status_code,
        )
