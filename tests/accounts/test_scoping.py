from __future__ import annotations

import pytest

from apps.accounts.models import Role
from apps.core.errors import NotFoundError
from apps.sites.models import Site
from apps.sites.scoping import access_site, can_manage_site, managed_paths, scope_queryset

pytestmark = pytest.mark.django_db


def test_town2_sees_nothing_of_town1(tree, cast):
    visible = set(
        scope_queryset(Site.objects.all(), cast.town2, site_field="").values_list("pk", flat=True)
    )
    assert visible == {tree.town2.pk, tree.village2.pk}
    assert not can_manage_site(cast.town2, tree.village1)
    with pytest.raises(NotFoundError):
        access_site(cast.town2, tree.village1.pk)


def test_county_admin_manages_everything_below(tree, cast):
    visible = set(
        scope_queryset(Site.objects.all(), cast.county, site_field="").values_list("pk", flat=True)
    )
    assert visible == set(Site.objects.values_list("pk", flat=True))


def test_village_staff_manage_only_their_point(tree, cast):
    assert can_manage_site(cast.village1, tree.village1)
    assert not can_manage_site(cast.village1, tree.village1b)
    assert not can_manage_site(cast.village1, tree.town1)


def test_residents_and_volunteers_manage_nothing(tree, cast):
    for user in (cast.res1, cast.vol1, cast.nobody):
        assert managed_paths(user) == []
        assert not scope_queryset(Site.objects.all(), user, site_field="").exists()


def test_scoping_through_a_relation(tree, cast):
    # Roles of town1's subtree are visible to town1's staff, not to town2's.
    town1_roles = scope_queryset(Role.objects.all(), cast.town1)
    assert cast.res1.pk in set(town1_roles.values_list("user_id", flat=True))
    assert cast.res9.pk not in set(town1_roles.values_list("user_id", flat=True))
    town2_roles = scope_queryset(Role.objects.all(), cast.town2)
    assert set(town2_roles.values_list("user_id", flat=True)) == {cast.town2.pk, cast.res9.pk}


def _fresh(user):
    return type(user).objects.get(pk=user.pk)  # no role cache carried over


def test_a_single_site_scope_filters_on_the_site_column(tree, cast):
    from apps.sites.scoping import managed_single_site
    from apps.volunteers.models import Volunteer
    from tests.volunteers.factories import VolunteerFactory

    mine = VolunteerFactory(site=tree.village1)
    VolunteerFactory(site=tree.village1b)
    staff = _fresh(cast.village1)
    assert managed_single_site(staff) == tree.village1.pk
    qs = scope_queryset(Volunteer.objects.all(), staff)
    sql = str(qs.query)
    assert '"site_id" = ' in sql and "LIKE" not in sql and "sites_site" not in sql
    assert set(qs.values_list("pk", flat=True)) == {mine.pk}
    # Sites of their own: a township's staff, the county's, or holding roles at two points.
    assert managed_single_site(_fresh(cast.town1)) is None
    assert managed_single_site(_fresh(cast.county)) is None
    Role.objects.create(user=staff, site=tree.village1b, role="staff")
    assert managed_single_site(_fresh(staff)) is None
    assert managed_single_site(_fresh(cast.vol1)) is None  # manages nothing


def test_a_point_with_a_site_under_it_is_scoped_by_its_subtree(tree, cast):
    from apps.sites.models import SiteLevel
    from apps.sites.scoping import managed_single_site
    from apps.volunteers.models import Volunteer
    from tests.volunteers.factories import VolunteerFactory

    base = Site(name="东关红色基地", level=SiteLevel.BASE, parent=tree.village1)
    base.save()
    at_base = VolunteerFactory(site=base)
    at_point = VolunteerFactory(site=tree.village1)
    staff = _fresh(cast.village1)
    assert managed_single_site(staff) is None
    visible = set(scope_queryset(Volunteer.objects.all(), staff).values_list("pk", flat=True))
    assert visible == {at_base.pk, at_point.pk}
