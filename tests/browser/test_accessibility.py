"""Browser: every page each role reaches, on a 360 px phone, in standard, large-text
(长辈模式) and English modes: axe-core (vendored, WCAG 2 A/AA) finds no serious or
critical violation, nothing overflows sideways, and the page title is on the first
screen. Screenshots go to test-artifacts/a11y/ (gitignored)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.conftest import ARTIFACTS
from tests.orders.conftest import flow, m, v  # noqa: F401 - fixtures

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
VIEWPORT = {"width": 360, "height": 740}
MODES = {
    "standard": {},
    "large": {settings.LARGE_TEXT_COOKIE: "1"},
    "english": {settings.LANGUAGE_COOKIE_NAME: "en"},
}
RUN_AXE = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa']},
    resultTypes: ['violations'],
  });
  return result.violations
    .filter(v => v.impact === 'serious' || v.impact === 'critical')
    .map(v => ({id: v.id, impact: v.impact,
                nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ') + ' ' + (n.failureSummary || '').slice(0, 160))}));
}"""
LAYOUT = """() => {
  const h1 = document.querySelector('main h1');
  return {scrollWidth: document.documentElement.scrollWidth, width: window.innerWidth,
          h1Top: h1 ? h1.getBoundingClientRect().top : null};
}"""


def pages_by_role(cast: Any, make: Any) -> dict[str, tuple[Any, list[str]]]:
    done = make("completed")
    make("dispatched")
    make("rated")
    return {
        "visitor": (None, ["/", "/accounts/login/", "/accounts/register/", "/accounts/claim/"]),
        "resident": (
            cast.res1,
            [
                "/",
                "/orders/menu/",
                "/orders/new/",
                "/orders/mine/",
                f"/orders/{done.pk}/",
                "/notifications/",
                "/accounts/profile/",
            ],
        ),
        "volunteer": (
            cast.vol1,
            [
                "/orders/tasks/",
                "/volunteers/me/",
                "/points/",
                "/points/shop/",
            ],
        ),
        "village": (
            cast.village1,
            ["/", "/orders/board/", "/orders/phone/", "/volunteers/roster/", "/orders/family/"],
        ),
        "county": (
            cast.county,
            [
                "/",
                "/orders/assessment/",
                "/reports/",
                "/reports/bulletin/",
                "/sites/manage/",
                "/points/handover/",
                "/notifications/deliveries/",
                "/orders/items/",
                "/open311/keys/",
                "/reports/national/",
            ],
        ),
    }


def session_cookie(user: Any, base: str) -> dict[str, Any]:
    client = Client()
    client.force_login(user, backend="apps.accounts.backends.UsernameOrMobileBackend")
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
        "url": base,
    }


@pytest.mark.django_db(transaction=True)
def test_every_role_page_passes_axe_in_every_mode_at_360px(
    live_server: Any,
    browser: Any,
    cast: Any,
    v: Any,  # noqa: F811 - the fixture
    flow: Any,  # noqa: F811 - the fixture
) -> None:
    roles = pages_by_role(cast, flow)
    axe_source = AXE.read_text(encoding="utf-8")
    out = ARTIFACTS / "a11y"
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for role, (user, paths) in roles.items():
        for mode, cookies in MODES.items():
            context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
            context.add_cookies(
                ([session_cookie(user, live_server.url)] if user is not None else [])
                + [{"name": k, "value": val, "url": live_server.url} for k, val in cookies.items()]
            )
            page = context.new_page()
            page.set_default_timeout(15_000)
            for path in paths:
                page.goto(f"{live_server.url}{path}")
                page.wait_for_load_state("networkidle")
                page.add_script_tag(content=axe_source)
                violations = page.evaluate(RUN_AXE)
                layout = page.evaluate(LAYOUT)
                name = f"{role}-{mode}-{path.strip('/').replace('/', '_') or 'home'}"
                page.screenshot(path=str(out / f"{name}.png"), full_page=False)
                where = f"{role} {mode} {path}"
                if violations:
                    problems.append(f"{where}: {json.dumps(violations, ensure_ascii=False)}")
                if layout["scrollWidth"] > layout["width"]:
                    problems.append(f"{where}: overflows sideways ({layout['scrollWidth']} px)")
                if layout["h1Top"] is None or layout["h1Top"] > VIEWPORT["height"] - 60:
                    problems.append(f"{where}: title not on the first screen ({layout['h1Top']})")
            context.close()
    assert not problems, "\n".join(problems)

    # Charts have an error state: with the reports API failing, the page says so.
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    context.add_cookies([session_cookie(cast.county, live_server.url)])
    page = context.new_page()
    page.route("**/api/v1/reports/timeseries/**", lambda route: route.fulfill(status=500))
    page.goto(f"{live_server.url}/reports/")
    page.wait_for_selector('.chart-state.chart-error[data-for="trend-chart"]')
    assert "图表加载失败" in page.inner_text('.chart-state[data-for="trend-chart"]')
    context.close()
