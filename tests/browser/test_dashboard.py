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
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("#id_username", "county")
    page.fill("#id_password", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")
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
