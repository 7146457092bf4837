"""Browser: a county admin issues an Open311 key; the key, shown once, fits a 360 px
phone in standard and large-text modes and a desktop. Screenshots go to
test-artifacts/open311-keys-*.png (gitignored)."""

from __future__ import annotations

import os
from typing import Any

import pytest
from django.conf import settings

from apps.open311.models import ApiKey
from tests.browser.conftest import ARTIFACTS
from tests.browser.test_accessibility import session_cookie

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("width", "large"), [(360, False), (360, True), (1280, False)], ids=["phone", "large", "desk"]
)
@pytest.mark.django_db(transaction=True)
def test_issue_a_key(live_server: Any, browser: Any, cast: Any, tree: Any, width: int, large: bool):
    context = browser.new_context(viewport={"width": width, "height": 800}, locale="zh-CN")
    cookies = [session_cookie(cast.county, live_server.url)]
    if large:
        cookies.append({"name": settings.LARGE_TEXT_COOKIE, "value": "1", "url": live_server.url})
    context.add_cookies(cookies)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/open311/keys/")
    page.fill("#id_name", "融媒体中心 酒都惠")
    page.select_option("#id_site", str(tree.town1.pk))
    page.click("form.form button[type=submit]")
    shown = page.text_content("code.secret")
    assert shown and ApiKey.objects.get().prefix == shown[:8]
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = f"{width}{'-large' if large else ''}"
    page.screenshot(path=str(ARTIFACTS / f"open311-keys-{suffix}.png"), full_page=True)
    context.close()
