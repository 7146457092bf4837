"""The named cast every test can use. It mirrors the demo county:

county center
├── town1 (城关镇)  ── village1 (东关), village1b
└── town2 (桃源乡)  ── village2

Users: ``county`` (county_admin at the center), ``town1``/``town2`` (staff of their
township), ``village1`` (staff of village1), ``vol1`` (volunteer at village1),
``res1`` (resident at village1), ``res9`` (resident at village2, under town2), and
``nobody`` (a signed-in user with no role). ``town2`` is the "not yours" staff member
for everything under town1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from apps.accounts.models import RoleName, User
from apps.sites.models import Site, SiteLevel

from .factories import PASSWORD, UserFactory, user_with_role


@dataclass
class Tree:
    county: Site
    town1: Site
    town2: Site
    village1: Site
    village1b: Site
    village2: Site
    base: Site


@dataclass
class Cast:
    county: User
    town1: User
    town2: User
    village1: User
    vol1: User
    res1: User
    res9: User
    nobody: User


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    # Throttle counters live in the cache (axes keeps its state in the database, which
    # each test rolls back): start every test clean.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _close_breakers() -> Any:
    # A Redis failure in one test (a stopped server) must not make the next test's
    # cache and enqueue skip Redis for the breaker's cooldown.
    from apps.core.breaker import BROKER_BREAKER, CACHE_BREAKER

    for breaker in (CACHE_BREAKER, BROKER_BREAKER):
        breaker.reset()
    yield
    for breaker in (CACHE_BREAKER, BROKER_BREAKER):
        breaker.reset()


@pytest.fixture
def tree(db: Any) -> Tree:
    def make(name: str, level: str, parent: Site | None) -> Site:
        site = Site(name=name, level=level, parent=parent)
        site.save()
        return site

    county = make("清河县新时代文明实践中心", SiteLevel.COUNTY, None)
    town1 = make("城关镇新时代文明实践所", SiteLevel.TOWNSHIP, county)
    town2 = make("桃源乡新时代文明实践所", SiteLevel.TOWNSHIP, county)
    village1 = make("东关社区实践站", SiteLevel.VILLAGE, town1)
    village1b = make("西街村实践站", SiteLevel.VILLAGE, town1)
    village2 = make("桃花村实践站", SiteLevel.VILLAGE, town2)
    base = make("红色教育实践基地", SiteLevel.BASE, county)
    return Tree(county, town1, town2, village1, village1b, village2, base)


@pytest.fixture
def cast(tree: Tree) -> Cast:
    return Cast(
        county=user_with_role("county", RoleName.COUNTY_ADMIN, tree.county, mobile="13900000001"),
        town1=user_with_role("town1", RoleName.STAFF, tree.town1, mobile="13900000011"),
        town2=user_with_role("town2", RoleName.STAFF, tree.town2, mobile="13900000012"),
        village1=user_with_role("village1", RoleName.STAFF, tree.village1, mobile="13900000021"),
        vol1=user_with_role("vol1", RoleName.VOLUNTEER, tree.village1, mobile="13700000001"),
        res1=user_with_role("res1", RoleName.RESIDENT, tree.village1, mobile="13600000001"),
        res9=user_with_role("res9", RoleName.RESIDENT, tree.village2, mobile="13600000009"),
        nobody=UserFactory(username="nobody", mobile="14700000099"),
    )


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def api_as(api: APIClient) -> Any:
    """``api_as(user)``: an API client authenticated as ``user`` (session-less)."""

    def login(user: User) -> APIClient:
        client = APIClient()
        client.force_authenticate(user)
        return client

    return login


@pytest.fixture
def demo_password() -> str:
    return PASSWORD


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings: Any) -> None:
    # The production PBKDF2 hasher costs ~0.2 s per password: every cast member and
    # every login would pay it. MD5 here keeps the suite fast; hashing is Django's
    # concern, not ours. (Autouse, so it applies before ``cast`` creates users.)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def login_as(client: Any) -> Any:
    """``login_as(user)``: the page test client, signed in as ``user`` (no password)."""

    def login(user: User) -> Any:
        client.force_login(user, backend="apps.accounts.backends.UsernameOrMobileBackend")
        return client

    return login


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix: None) -> None:
    """Tests close their connections after each request: with persistent connections a
    live-server thread would keep the test database open and block its teardown. (Each
    pytest-xdist worker keeps its own test database: the suffix fixture names it.)"""
    from django.conf import settings

    settings.DATABASES["default"]["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True, scope="session")
def _media_in_tmp(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """Uploads made by tests (photos, seals, the demo's service photos) go to a
    temporary folder, not the project's media/."""
    from django.conf import settings

    original = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")
    yield
    settings.MEDIA_ROOT = original


@pytest.fixture(autouse=True)
def _sms_outbox(settings: Any) -> Any:
    """Text messages go to ``apps.notifications.sms.locmem.outbox``, emptied per test."""
    from apps.notifications.sms import locmem

    settings.SMS_BACKEND = "apps.notifications.sms.locmem.SmsBackend"
    locmem.outbox.clear()
    locmem.fail_next.clear()
    yield locmem.outbox
    locmem.outbox.clear()
    locmem.fail_next.clear()


@pytest.fixture(autouse=True)
def _nudge_right_away(settings: Any) -> None:
    """Most tests nudge an order they have just placed; the 30-minute first wait is
    tested on its own (tests/orders/test_nudge_wait.py sets it back)."""
    settings.ORDER_NUDGE_WAIT_MINUTES = 0
