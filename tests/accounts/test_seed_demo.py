"""seed_demo builds the demo county, a second run adds nothing, and every documented
demo account signs in with the documented password."""

from __future__ import annotations

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from apps.accounts.models import Role, RoleName, User
from apps.sites.models import Site, SiteLevel

pytestmark = pytest.mark.django_db

DEMO_ACCOUNTS = [
    "admin",
    "county",
    "town1",
    "town2",
    "village1",
    "vol1",
    "vol2",
    "vol3",
    "vol4",
    "vol5",
    "res1",
    "res2",
    "res3",
    "res9",
]


def _row_counts() -> dict[str, int]:
    """Rows in every table of our own apps (whatever later apps add to the demo)."""
    return {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models()
        if model.__module__.startswith("apps.")
    }


def _seed() -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(db) -> dict[str, int]:
    _seed()
    return _row_counts()


FOUNDATION_APPS = ("sites.", "accounts.")


def test_second_run_adds_nothing_to_the_foundation(seeded):
    # Later apps' seeders may add people and sites; the foundation's are all there.
    assert set(DEMO_ACCOUNTS) <= set(User.objects.values_list("username", flat=True))
    assert Site.objects.filter(level=SiteLevel.VILLAGE).count() >= 12
    output = _seed()
    assert "演示数据已就绪" in output
    after = _row_counts()
    assert {k: v for k, v in after.items() if k.startswith(FOUNDATION_APPS)} == {
        k: v for k, v in seeded.items() if k.startswith(FOUNDATION_APPS)
    }


def test_second_run_adds_nothing_anywhere(seeded):
    """The command's promise covers every app's seeder, not just the foundation's."""
    _seed()
    after = _row_counts()
    grown = {k: (seeded[k], after[k]) for k in after if after[k] != seeded[k]}
    assert grown == {}


def test_demo_tree_and_roles(seeded):
    county = Site.objects.get(level=SiteLevel.COUNTY)
    assert Site.objects.filter(level=SiteLevel.TOWNSHIP, parent=county).count() == 3
    for site in Site.objects.exclude(pk=county.pk):
        assert site.path.startswith(county.path)
    town1 = Role.objects.get(user__username="town1").site
    town2 = Role.objects.get(user__username="town2").site
    res9_site = Role.objects.get(user__username="res9").site
    assert res9_site.is_within(town2) and not res9_site.is_within(town1)
    res1_site = Role.objects.get(user__username="res1").site
    assert res1_site.is_within(town1) and res1_site.level == SiteLevel.VILLAGE
    assert set(User.objects.get(username="vol3").roles.values_list("role", flat=True)) >= {
        RoleName.VOLUNTEER,
        RoleName.RESIDENT,
    }
    assert User.objects.get(username="admin").is_superuser


def test_every_demo_account_signs_in(client, seeded):
    # One seeding for all fourteen accounts: seeding is the slow part.
    refused = []
    for username in DEMO_ACCOUNTS:
        client.logout()
        response = client.post("/accounts/login/", {"username": username, "password": "demo12345"})
        signed_in = client.session.get("_auth_user_id")
        if (
            response.status_code != 302
            or signed_in is None
            or int(signed_in) != (User.objects.get(username=username).pk)
        ):
            refused.append(username)
    assert refused == []
