"""The account pages: login by username or mobile, the home page per visitor, the
large-text switch and the language switch."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

LOGIN_URL = "/accounts/login/"


def _signed_in_as(client) -> int | None:
    raw = client.session.get("_auth_user_id")
    return int(raw) if raw is not None else None


def _body_classes(html: str) -> list[str]:
    match = re.search(r'<body class="([^"]*)"', html)
    assert match, "no <body class=...>"
    return match.group(1).split()


class TestLogin:
    @pytest.mark.parametrize("identifier", ["res1", "13600000001", "+86 136 0000 0001"])
    def test_by_username_or_mobile(self, client, cast, demo_password, identifier):
        response = client.post(LOGIN_URL, {"username": identifier, "password": demo_password})
        assert response.status_code == 302
        assert response["Location"] == "/"
        assert _signed_in_as(client) == cast.res1.pk

    def test_wrong_password_shows_an_error(self, client, cast):
        response = client.post(LOGIN_URL, {"username": "13600000001", "password": "nope-nope"})
        assert response.status_code == 200
        assert "用户名（手机号）或密码错误" in response.content.decode()
        assert _signed_in_as(client) is None

    def test_next_is_followed(self, client, cast, demo_password):
        response = client.post(
            LOGIN_URL + "?next=/accounts/profile/",
            {"username": "res1", "password": demo_password, "next": "/accounts/profile/"},
        )
        assert response["Location"] == "/accounts/profile/"

    def test_login_page_renders(self, client):
        response = client.get(LOGIN_URL)
        assert response.status_code == 200
        assert "用户名或手机号" in response.content.decode()

    def test_logout_signs_out(self, client, cast, demo_password):
        client.post(LOGIN_URL, {"username": "res1", "password": demo_password})
        response = client.post("/accounts/logout/")
        assert response.status_code == 302
        assert _signed_in_as(client) is None


class TestHome:
    def test_resident_sees_their_point(self, login_as, tree, cast):
        html = login_as(cast.res1).get("/").content.decode()
        assert f"您所在的实践站：{tree.village1.name}" in html
        assert tree.village2.name not in html
        assert cast.res1.display_name in html

    def test_resident_of_another_township_sees_theirs(self, login_as, tree, cast):
        html = login_as(cast.res9).get("/").content.decode()
        assert f"您所在的实践站：{tree.village2.name}" in html
        assert tree.village1.name not in html

    def test_staff_get_no_resident_point(self, login_as, tree, cast):
        html = login_as(cast.town1).get("/").content.decode()
        assert "您所在的实践站" not in html
        assert "/sites/manage/" in html

    def test_anonymous_sees_the_tree_and_register_link(self, client, tree):
        response = client.get("/")
        assert response.status_code == 200
        html = response.content.decode()
        assert 'href="/accounts/register/"' in html
        assert 'href="/accounts/login/"' in html
        for site in (tree.county, tree.town1, tree.town2, tree.village1, tree.village2, tree.base):
            assert f'href="/sites/{site.pk}/"' in html
            assert site.name in html

    def test_anonymous_tree_hides_inactive_sites(self, client, tree):
        tree.village1b.is_active = False
        tree.village1b.save()
        assert tree.village1b.name not in client.get("/").content.decode()

    def test_anonymous_home_query_count_does_not_grow_with_the_tree(
        self, client, tree, django_assert_max_num_queries
    ):
        from apps.sites.models import Site, SiteLevel

        for i in range(30):
            Site(name=f"新村{i}实践站", level=SiteLevel.VILLAGE, parent=tree.town2).save()
        with django_assert_max_num_queries(3):
            client.get("/")


class TestLargeText:
    def test_switch_sets_the_cookie_and_the_next_page_is_large(self, client):
        assert "large-text" not in _body_classes(client.get("/").content.decode())
        response = client.post("/accounts/large-text/", {"next": "/sites/"})
        assert response.status_code == 302
        assert response["Location"] == "/sites/"
        assert client.cookies[settings.LARGE_TEXT_COOKIE].value == "1"
        page = client.get("/sites/")
        assert "large-text" in _body_classes(page.content.decode())
        # The switch now offers the way back.
        assert "标准模式" in page.content.decode()

    def test_switch_twice_turns_it_off(self, client):
        client.post("/accounts/large-text/", {"next": "/"})
        client.post("/accounts/large-text/", {"next": "/"})
        assert "large-text" not in _body_classes(client.get("/").content.decode())

    def test_get_is_refused(self, client):
        assert client.get("/accounts/large-text/").status_code == 405

    def test_offsite_next_is_ignored(self, client):
        response = client.post("/accounts/large-text/", {"next": "https://evil.example/"})
        assert response["Location"] == "/"


class TestLanguage:
    def test_chinese_by_default(self, client):
        html = client.get("/").content.decode()
        assert '<html lang="zh-hans">' in html

    def test_an_english_browser_still_gets_chinese(self, client):
        html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
        assert '<html lang="zh-hans">' in html

    def test_switch_to_english(self, client):
        response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
        assert response.status_code == 302
        html = client.get("/").content.decode()
        assert '<html lang="en">' in html
        # The switch offers Chinese back.
        assert 'value="zh-hans"' in html
