"""The Open311 keys page and the national records export page read English for an
English reader (the site names are data and stay as they were entered)."""

from __future__ import annotations

import re

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

CJK = re.compile(r"[\u4e00-\u9fff]")


def english_text(client, url, *names):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    html = response.content.decode()
    main = re.search(r"<main[^>]*>(.*)</main>", html, re.S).group(1)
    for name in names:  # data, not wording
        main = main.replace(name, "")
    return main


def test_keys_page_in_english(client, cast, tree):
    client.force_login(cast.county)
    names = [s.name for s in (tree.county, tree.town1, tree.town2, tree.village1,
                              tree.village1b, tree.village2)]  # fmt: skip
    main = english_text(client, "/open311/keys/", *names)
    assert "Open311 keys" in main and "Issue a new key" in main and "Integrator" in main
    assert not CJK.search(main), CJK.findall(main)[:20]


def test_keys_after_issuing_in_english(client, cast, tree):
    client.force_login(cast.county)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.post("/open311/keys/", {"name": "Hotline", "site": tree.town1.pk})
    html = response.content.decode()
    assert "Copy it now" in html and "Revoke" in html and "Active" in html


def test_national_export_page_in_english(client, cast, tree):
    client.force_login(cast.county)
    names = [s.name for s in (tree.county, tree.town1, tree.town2, tree.village1,
                              tree.village1b, tree.village2)]  # fmt: skip
    main = english_text(client, "/reports/national/", *names)
    assert "Records for the national volunteer information system" in main
    assert not CJK.search(main), CJK.findall(main)[:20]
