"""The English catalog: the language switch's cookie turns the pages into English;
without it the portal speaks Chinese, whatever the browser's Accept-Language says."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db


def _english(client: Client) -> Client:
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    return client


def _html_lang(html: str) -> str:
    match = re.search(r'<html lang="([^"]*)"', html)
    assert match, "no <html lang=...>"
    return match.group(1)


def _get(client: Client, url: str, **extra: str) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200, (url, response.status_code)
    return response.content.decode()


def test_cookie_is_the_one_the_switch_sets():
    # base.html posts to Django's set_language, which stores the choice in this cookie;
    # the portal middleware reads the same one.
    assert settings.LANGUAGE_COOKIE_NAME == "django_language"
    assert ("en", "English") in [(code, name) for code, name in settings.LANGUAGES]


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/", ["Log in", "Register", "How it works", "Place an order"]),
        (
            "/accounts/login/",
            ["Log in", "Username or mobile number", "Password", "Register as a resident"],
        ),
        ("/sites/", ["Site directory", "County center"]),
    ],
)
def test_anonymous_pages_in_english(client, tree, url, expected):
    html = _get(_english(client), url)
    assert _html_lang(html) == "en"
    for text in expected:
        assert text in html, text
    assert "新时代文明实践志愿服务平台" not in html  # the portal name is translated too
    assert "登录" not in html


def test_resident_home_in_english(client, cast):
    client.force_login(cast.res1)
    html = _get(_english(client), "/")
    assert _html_lang(html) == "en"
    assert "Hello, " in html
    assert "Service menu" in html and "My orders" in html  # navigation labels
    assert "Log out" in html and "Large text" in html
    assert "我的点单" not in html and "退出" not in html


def test_login_error_in_english(client, cast):
    response = _english(client).post(
        "/accounts/login/", {"username": "res1", "password": "not-the-password"}
    )
    assert response.status_code == 200
    assert "Incorrect username (mobile number) or password." in response.content.decode()


@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/sites/"])
def test_chinese_by_default_even_if_the_browser_asks_for_english(client, tree, url):
    html = _get(client, url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert _html_lang(html) == "zh-hans"
    assert "登录" in html
    assert "Log in" not in html and "Register" not in html


def test_resident_home_chinese_without_cookie(client, cast):
    client.force_login(cast.res1)
    html = _get(client, "/", HTTP_ACCEPT_LANGUAGE="en")
    assert _html_lang(html) == "zh-hans"
    assert "我的点单" in html and "退出" in html
    assert "My orders" not in html


def test_switch_sets_the_cookie_and_the_next_page_is_english(client, tree):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = _get(client, "/")
    assert _html_lang(html) == "en" and "Log in" in html
