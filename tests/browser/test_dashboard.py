"""Browser: the county dashboard draws its three charts from the reports API with the
vendored Chart.js. The county admin signs in, opens /reports/ over the generated history,
and the trend, child-site and category canvases each hold a chart with data; the
screenshot goes to test-artifacts/dashboard.png (gitignored)."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest
from django.utils import timezone

from apps.reports.figures import summary
from apps.reports.rollup import rollup_range
from tests.browser.conftest import ARTIFACTS
from tests.factories import PASSWORD
from tests.reports.conftest import History, history, today_orders  # noqa: F401 - fixtures

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse
# the ORM calls made here (fixtures, assertions) as "async unsafe".
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


pytestmark = pytest.mark.browser


def sign_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{base}/")


CHART_STATE = """ids => ids.map(id => {
    const chart = Chart.getChart(document.getElementById(id));
    if (!chart) return {id, drawn: false};
    return {id, drawn: true, type: chart.config.type, labels: chart.data.labels.length,
            total: chart.data.datasets[0].data.reduce((a, b) => a + b, 0)};
})"""


@pytest.mark.django_db(transaction=True)
def test_dashboard_draws_the_charts(
    live_server: Any,
    browser: Any,
    history: History,  # noqa: F811
    cast: Any,
    tree: Any,
) -> None:
    rollup_range(history.first - dt.timedelta(days=1), timezone.localdate() - dt.timedelta(days=1))
    fig = summary(tree.county, history.first, history.last)
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    sign_in(page, live_server.url, "county")
    page.goto(
        f"{live_server.url}/reports/?from={history.first.isoformat()}"
        f"&to={history.last.isoformat()}&bucket=week"
    )
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => ['trend-chart', 'sites-chart', 'category-chart']"
        ".every(id => Chart.getChart(document.getElementById(id)))"
    )
    state = {
        s["id"]: s
        for s in page.evaluate(CHART_STATE, ["trend-chart", "sites-chart", "category-chart"])
    }
    assert state["trend-chart"]["type"] == "line"
    assert state["trend-chart"]["labels"] >= 6  # weeks of the history
    assert state["trend-chart"]["total"] == fig.orders_placed
    assert state["sites-chart"]["type"] == "bar"
    assert state["sites-chart"]["labels"] == 2  # town1 and town2; no base
    assert state["sites-chart"]["total"] == fig.orders_placed  # every order is under a township
    assert state["category-chart"]["type"] == "doughnut"
    assert state["category-chart"]["labels"] == len(fig.by_category) == 4
    assert state["category-chart"]["total"] == fig.orders_placed
    # Every canvas has pixels on it: something was painted, not just configured.
    painted = page.evaluate(
        """ids => ids.map(id => {
        const c = document.getElementById(id);
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
        return n; })""",
        ["trend-chart", "sites-chart", "category-chart"],
    )
    assert all(n > 1000 for n in painted), painted
    assert not errors, errors
    assert not failed, failed
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    context.close()


PHONE_LAYOUT = """() => {
    const sites = Chart.getChart(document.getElementById('sites-chart'));
    const ring = Chart.getChart(document.getElementById('category-chart'));
    const canvas = ring.canvas.getBoundingClientRect();
    const items = ring.legend.legendItems.length;
    const boxes = ring.legend.legendHitBoxes;
    return {
        axis: sites.options.indexAxis,
        siteLabels: sites.data.labels,
        fontSize: Chart.defaults.font.size,
        legendItems: items,
        legendShown: boxes.filter(b => b.top >= 0 && b.top + b.height <= canvas.height).length,
        scrollWidth: document.documentElement.scrollWidth,
    };
}"""


@pytest.mark.parametrize("large_text", [False, True])
@pytest.mark.django_db(transaction=True)
def test_charts_fit_a_phone(
    live_server: Any,
    browser: Any,
    history: History,  # noqa: F811
    cast: Any,
    tree: Any,
    large_text: bool,
) -> None:
    """At 360 px: the child sites as horizontal bars with their names on short lines,
    every service category on the doughnut's legend (none cut off), larger type in
    large-text mode, and nothing wider than the screen."""
    rollup_range(history.first - dt.timedelta(days=1), timezone.localdate() - dt.timedelta(days=1))
    context = browser.new_context(viewport={"width": 360, "height": 780}, locale="zh-CN")
    if large_text:
        context.add_cookies([{"name": "portal_large_text", "value": "1", "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in(page, live_server.url, "county")
    page.goto(
        f"{live_server.url}/reports/?from={history.first.isoformat()}&to={history.last.isoformat()}"
    )
    page.wait_for_function(
        "() => ['sites-chart', 'category-chart']"
        ".every(id => Chart.getChart(document.getElementById(id)))"
    )
    layout = page.evaluate(PHONE_LAYOUT)
    assert layout["axis"] == "y"
    width = 6 if large_text else 7
    lines = [label if isinstance(label, list) else [label] for label in layout["siteLabels"]]
    assert sorted("".join(parts) for parts in lines) == sorted([tree.town1.name, tree.town2.name])
    assert all(len(line) <= width for parts in lines for line in parts)
    assert any(len(parts) > 1 for parts in lines)  # the long names did wrap
    assert layout["legendItems"] == 4
    assert layout["legendShown"] == layout["legendItems"]
    assert layout["fontSize"] == (16 if large_text else 12)
    assert layout["scrollWidth"] <= 360
    ARTIFACTS.mkdir(exist_ok=True)
    suffix = "-large" if large_text else ""
    page.screenshot(path=str(ARTIFACTS / f"dashboard-360{suffix}.png"), full_page=True)
    context.close()
