"""Reports API and pages: shapes, periods, scope (town2 gets nothing of town1), exports,
and a query count that does not grow with the range."""

from __future__ import annotations

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from apps.reports.exports import SUMMARY_LABELS
from apps.reports.figures import percentile_minutes, summary, summary_raw
from apps.reports.models import RESPONSE_BUCKETS
from apps.reports.rollup import rollup_range
from tests.orders.factories import ServiceItemFactory

from .conftest import History
from .test_league import order

pytestmark = pytest.mark.django_db

SUMMARY_KEYS = {
    "site",
    "from",
    "to",
    "themes",
    "orders_placed",
    "orders_accepted",
    "orders_completed",
    "orders_cancelled",
    "orders_rejected",
    "orders_escalated",
    "completion_rate",
    "accept_minutes_median",
    "accept_minutes_p90",
    "complete_minutes_median",
    "complete_minutes_p90",
    "ratings",
    "average_rating",
    "high_rating_share",
    "volunteer_hours",
    "active_volunteers",
    "new_volunteers",
    "points_credited",
    "points_redeemed",
    "by_category",
}


@pytest.fixture
def rolled(history: History) -> History:
    rollup_range(history.first - dt.timedelta(days=1), timezone.localdate() - dt.timedelta(days=1))
    return history


def span(h: History) -> str:
    return f"from={h.first.isoformat()}&to={h.last.isoformat()}"


# --- percentiles ---------------------------------------------------------------------
def hist(**counts: int) -> list[int]:
    """``hist(b0=1, b13=2)``: a histogram with those bucket counts."""
    out = [0] * (len(RESPONSE_BUCKETS) + 1)
    for name, n in counts.items():
        out[int(name[1:])] = n
    return out


@pytest.mark.parametrize(
    "h, p, expected",
    [
        (hist(), 0.5, None),
        (hist(b0=1), 0.5, 5),
        (hist(b0=1), 0.9, 5),
        (hist(b0=1, b1=1), 0.5, 5),  # rank 1 of 2: the first bucket's bound
        (hist(b0=1, b1=1), 0.9, 10),
        (hist(b0=5, b3=5), 0.5, 5),  # exactly half in the first bucket
        (hist(b0=4, b3=6), 0.5, 30),
        (hist(b0=9, b12=1), 0.9, 5),  # the 9th of 10 is still in bucket 0
        (hist(b0=8, b12=2), 0.9, 10080),
        (hist(b2=3, b5=0, b7=7), 0.5, 480),  # empty buckets in between are skipped
        (hist(b13=3), 0.5, 10081),  # overflow: "more than the last bound"
        (hist(b0=1, b13=9), 0.9, 10081),
    ],
)
def test_percentile_minutes_at_bucket_boundaries(
    h: list[int], p: float, expected: int | None
) -> None:
    assert percentile_minutes(h, p) == expected


def test_medians_from_histograms_of_known_minutes(tree: Any, cast: Any) -> None:
    """Orders accepted after exactly 5, 10 and 11 minutes and 3 hours: the bucket
    ``≤ 5`` holds 5, ``≤ 10`` holds 10, 11 goes to ``≤ 15``."""
    day = timezone.localdate() - dt.timedelta(days=2)
    item = ServiceItemFactory(site=tree.village1)
    for minutes in (5, 10, 11, 180):
        order(tree.village1, item, cast.res1, day, accept=minutes, done=True)
    rollup_range(day, day)
    fig = summary(tree.county, day, day)
    assert fig.accept_hist[:6] == [1, 1, 1, 0, 0, 0] and fig.accept_hist[6] == 1
    assert (fig.as_dict()["accept_minutes_median"], fig.as_dict()["accept_minutes_p90"]) == (
        10,
        240,
    )
    assert fig.as_dict() == summary_raw(tree.county, day, day).as_dict()


# --- summary, time series, periods -----------------------------------------------------
def test_summary_api_shape_and_figures(rolled: History, cast: Any, api_as: Any, tree: Any) -> None:
    body = api_as(cast.county).get(f"/api/v1/reports/summary/?{span(rolled)}").json()
    assert set(body) == SUMMARY_KEYS
    assert body["site"] == {"id": tree.county.pk, "name": tree.county.name, "level": "county"}
    assert (body["from"], body["to"]) == (rolled.first.isoformat(), rolled.last.isoformat())
    raw = summary_raw(tree.county, rolled.first, rolled.last).as_dict()
    assert {k: body[k] for k in raw} == raw
    assert set(body["by_category"]["health"]) == {
        "label",
        "orders_placed",
        "orders_completed",
        "volunteer_hours",
    }


@pytest.mark.parametrize("bucket", ["day", "week", "month"])
def test_timeseries_buckets(rolled: History, cast: Any, api_as: Any, bucket: str) -> None:
    response = api_as(cast.county).get(
        f"/api/v1/reports/timeseries/?{span(rolled)}&bucket={bucket}"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["bucket"] == bucket
    periods = [dt.date.fromisoformat(p["period"]) for p in body["results"]]
    assert periods == sorted(periods) and len(set(periods)) == len(periods)
    assert set(body["results"][0]) == {
        "period",
        "orders_placed",
        "orders_completed",
        "orders_cancelled",
        "volunteer_hours",
        "average_rating",
    }
    if bucket == "day":
        assert periods[0] == rolled.first and len(periods) > 30
    elif bucket == "week":
        assert all(p.weekday() == 0 for p in periods)
    else:
        assert all(p.day == 1 for p in periods)
    total = summary(rolled.county, rolled.first, rolled.last)
    assert sum(p["orders_placed"] for p in body["results"]) == total.orders_placed


@pytest.mark.parametrize(
    "query, field",
    [
        ("bucket=year", "bucket"),
        ("from=2026-10-05&to=2026-10-01", "from"),
        ("from=2026-10-05&to=yesterday", "from"),
        ("from=2020-01-01&to=2026-01-01", "from"),  # longer than three years
        ("period=2026-13", "period"),
        ("period=2026Q5", "period"),
    ],
)
def test_bad_parameters_answer_400_with_a_code(
    db: Any, cast: Any, api_as: Any, query: str, field: str
) -> None:
    response = api_as(cast.county).get(f"/api/v1/reports/timeseries/?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and field in body["errors"]


@pytest.mark.parametrize(
    "period, first, last",
    [
        ("2026-10", "2026-10-01", "2026-10-31"),
        ("2026-02", "2026-02-01", "2026-02-28"),
        ("2024-2", "2024-02-01", "2024-02-29"),
        ("2026Q4", "2026-10-01", "2026-12-31"),
        ("2026q1", "2026-01-01", "2026-03-31"),
    ],
)
def test_period_parsing(
    db: Any, cast: Any, api_as: Any, period: str, first: str, last: str
) -> None:
    body = api_as(cast.county).get(f"/api/v1/reports/summary/?period={period}").json()
    assert (body["from"], body["to"]) == (first, last)


def test_default_range_is_the_last_30_days(db: Any, cast: Any, api_as: Any) -> None:
    body = api_as(cast.county).get("/api/v1/reports/summary/").json()
    today = timezone.localdate()
    assert (body["from"], body["to"]) == (
        (today - dt.timedelta(days=29)).isoformat(),
        today.isoformat(),
    )


# --- scope ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["summary/", "sites/", "timeseries/", "export.xlsx", "export.csv?table=summary&"]
)
def test_town2_gets_nothing_of_town1(
    rolled: History, cast: Any, api_as: Any, tree: Any, path: str
) -> None:
    sep = "" if path.endswith("&") else "?"
    url = f"/api/v1/reports/{path}{sep}site={tree.town1.pk}&{span(rolled)}"
    for site in (tree.town1, tree.village1, tree.county):
        response = api_as(cast.town2).get(url.replace(f"site={tree.town1.pk}", f"site={site.pk}"))
        assert response.status_code == 404, site.name
        assert response.json()["code"] == "site_not_found"
    assert api_as(cast.town1).get(url).status_code == 200


def test_town2_defaults_to_its_own_township(
    rolled: History, cast: Any, api_as: Any, tree: Any
) -> None:
    body = api_as(cast.town2).get(f"/api/v1/reports/summary/?{span(rolled)}").json()
    assert body["site"]["id"] == tree.town2.pk
    own = summary_raw(tree.town2, rolled.first, rolled.last).as_dict()
    county = summary_raw(tree.county, rolled.first, rolled.last).as_dict()
    assert body["orders_placed"] == own["orders_placed"] < county["orders_placed"]
    assert body["points_redeemed"] == 0  # the redemption was at town1's shop
    league = api_as(cast.town2).get(f"/api/v1/reports/sites/?{span(rolled)}").json()
    assert {r["site"]["id"] for r in league["results"]} == {tree.village2.pk, rolled.village2b.pk}


@pytest.mark.parametrize("who", ["res1", "vol1", "nobody"])
@pytest.mark.parametrize("path", ["summary/", "sites/", "timeseries/", "export.xlsx", "export.csv"])
def test_non_staff_get_404(db: Any, cast: Any, api_as: Any, who: str, path: str) -> None:
    response = api_as(getattr(cast, who)).get(f"/api/v1/reports/{path}")
    assert response.status_code == 404


def test_anonymous_is_refused(db: Any, api: Any) -> None:
    assert api.get("/api/v1/reports/summary/").status_code in (401, 403)


def test_pages_are_scoped(rolled: History, cast: Any, login_as: Any, tree: Any) -> None:
    client = login_as(cast.town2)
    q = span(rolled)
    assert client.get(f"/reports/?site={tree.town1.pk}&{q}").status_code == 404
    assert client.get(f"/reports/bulletin/?site={tree.town1.pk}&period=2026-10").status_code == 404
    page = client.get(f"/reports/?{q}")
    assert page.status_code == 200
    html = page.content.decode()
    assert tree.town2.name in html and "桃花村实践站" in html
    assert tree.town1.name not in html and tree.village1.name not in html
    bulletin = client.get(f"/reports/bulletin/?period={rolled.first:%Y-%m}")
    assert bulletin.status_code == 200 and tree.town1.name not in bulletin.content.decode()
    for who in (cast.res1, cast.vol1, cast.nobody):
        other = login_as(who)
        assert other.get(f"/reports/?{q}").status_code == 404
        assert other.get("/reports/bulletin/?period=2026-10").status_code == 404


def test_dashboard_and_bulletin_for_the_county(
    rolled: History, cast: Any, login_as: Any, tree: Any
) -> None:
    client = login_as(cast.county)
    html = client.get(f"/reports/?{span(rolled)}").content.decode()
    fig = summary(tree.county, rolled.first, rolled.last)
    for canvas in ("trend-chart", "sites-chart", "category-chart"):
        assert f'id="{canvas}"' in html
    assert "vendor/chartjs/chart.umd.min.js" in html and "cdn" not in html.lower()
    assert tree.town1.name in html and tree.town2.name in html
    assert str(fig.orders_placed) in html
    response = client.get("/reports/bulletin/")
    assert response.status_code == 302 and "period=" in response["Location"]
    bulletin = client.get(
        f"/reports/bulletin/?period={rolled.first:%Y}Q{(rolled.first.month - 1) // 3 + 1}"
    )
    assert bulletin.status_code == 200 and "季度" in bulletin.content.decode()


# --- exports -------------------------------------------------------------------------
SHEETS = ["概况", "各阵地排行", "趋势", "服务类别", "待整改菜单"]


def test_xlsx_export(rolled: History, cast: Any, api_as: Any, tree: Any) -> None:
    response = api_as(cast.county).get(f"/api/v1/reports/export.xlsx?{span(rolled)}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert wb.sheetnames == SHEETS
    rows = {name: list(wb[name].iter_rows(values_only=True)) for name in SHEETS}
    fig = summary(tree.county, rolled.first, rolled.last).as_dict()
    assert rows["概况"][0] == ("指标", "数值")
    values = {r[0]: r[1] for r in rows["概况"][1:]}
    assert values["阵地"] == tree.county.name
    assert values["点单数"] == fig["orders_placed"] and values["完成数"] == fig["orders_completed"]
    assert values["兑换积分"] == fig["points_redeemed"] == 2
    assert len(values) == len(SUMMARY_LABELS) + 2
    assert rows["各阵地排行"][0][:4] == ("名次", "上期名次", "阵地", "得分")
    assert [r[2] for r in rows["各阵地排行"][1:]] != [] and {
        r[2] for r in rows["各阵地排行"][1:]
    } == {tree.town1.name, tree.town2.name}
    assert rows["趋势"][0] == ("期间", "点单数", "完成数", "取消数", "服务时长", "平均评分")
    assert sum(r[1] for r in rows["趋势"][1:]) == fig["orders_placed"]
    assert rows["服务类别"][0] == ("类别", "点单数", "完成数", "服务时长")
    assert len(rows["服务类别"]) == 1 + len(fig["by_category"])
    assert rows["待整改菜单"][0][0] == "服务项目"


@pytest.mark.parametrize(
    "table, header",
    [
        ("summary", ["指标", "数值"]),
        ("sites", ["名次", "上期名次", "阵地", "得分"]),
        ("timeseries", ["期间", "点单数"]),
        ("categories", ["类别", "点单数"]),
        ("items", ["服务项目", "发布阵地"]),
    ],
)
def test_csv_export_per_table(
    rolled: History, cast: Any, api_as: Any, tree: Any, table: str, header: list[str]
) -> None:
    response = api_as(cast.county).get(f"/api/v1/reports/export.csv?{span(rolled)}&table={table}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[0][: len(header)] == header
    if table == "sites":
        assert {r[2] for r in rows[1:]} == {tree.town1.name, tree.town2.name}
    if table in ("summary", "timeseries", "categories"):
        assert len(rows) > 2


def test_csv_export_unknown_table_is_404(db: Any, cast: Any, api_as: Any) -> None:
    response = api_as(cast.county).get("/api/v1/reports/export.csv?table=secrets")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


# --- query counts --------------------------------------------------------------------
def count_queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    # A range in the past reads roll-ups only, never the orders.
    assert not [q["sql"] for q in ctx.captured_queries if "orders_serviceorder" in q["sql"]]
    return len(ctx.captured_queries)


@pytest.mark.parametrize("path", ["summary/", "sites/", "timeseries/?bucket=week&"])
def test_query_count_does_not_grow_with_the_range(
    rolled: History, cast: Any, api_as: Any, path: str
) -> None:
    client = api_as(cast.county)
    sep = "" if path.endswith("&") else "?"
    short = (
        f"from={rolled.first.isoformat()}&to={(rolled.first + dt.timedelta(days=9)).isoformat()}"
    )
    base = f"/api/v1/reports/{path}{sep}"
    # Warm up: the first request reads the caller's roles once and caches them on the user.
    count_queries(client, base + short)
    n_short = count_queries(client, base + short)
    n_long = count_queries(client, base + span(rolled))
    assert n_short == n_long
    assert n_long <= 12


def test_xlsx_cells_are_typed_formatted_frozen_and_print_ready(
    rolled: History, cast: Any, api_as: Any
) -> None:
    """Opens cleanly in Excel and WPS: numbers as numbers (hours too), rates as
    percentages, the header frozen and repeated on printed pages, widths set, one page
    wide, landscape for the wide league sheet."""
    response = api_as(cast.county).get(f"/api/v1/reports/export.xlsx?{span(rolled)}")
    wb = load_workbook(io.BytesIO(response.content))
    summary_ws = wb["概况"]
    cells = {row[0].value: row[1] for row in summary_ws.iter_rows(min_row=2)}
    hours = cells["志愿服务时长（小时）"]
    assert hours.data_type == "n" and isinstance(hours.value, float)
    assert hours.number_format == "0.0"
    rate = cells["完成率"]
    assert rate.data_type == "n" and 0 <= rate.value <= 1 and rate.number_format == "0.0%"
    assert cells["点单数"].data_type == "n" and cells["点单数"].number_format == "0"
    league = wb["各阵地排行"]
    header = [c.value for c in league[1]]
    rate_col = header.index("完成率") + 1
    for row in league.iter_rows(min_row=2):
        assert row[rate_col - 1].number_format == "0.0%"
        assert row[header.index("服务时长")].data_type == "n"
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2", ws.title
        assert ws.print_title_rows in ("1:1", "$1:$1"), ws.title
        assert ws.sheet_properties.pageSetUpPr.fitToPage is True
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
        assert str(ws.page_setup.paperSize) == ws.PAPERSIZE_A4  # "9"
        assert all(ws.column_dimensions[c].width >= 10 for c in "AB")
        assert ws["A1"].font.bold
        # Every printed page says what it is and which page it is.
        assert ws.oddHeader.center.text.startswith("&A  ")
        assert "清河县新时代文明实践中心" in ws.oddHeader.center.text
        assert ws.oddFooter.center.text == "第 &P 页，共 &N 页"
        assert ws.print_options.horizontalCentered is True
    assert league.page_setup.orientation == "landscape"
    assert summary_ws.page_setup.orientation == "portrait"
    # Long names get wide columns (CJK characters count double).
    assert league.column_dimensions["C"].width >= 2 * len("城关镇新时代文明实践所")
