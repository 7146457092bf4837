"""Every report table as rows, and those rows as .xlsx (openpyxl) or CSV."""

from __future__ import annotations

import csv
import datetime as dt
import io
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from apps.sites.models import Site

from .figures import Figures, timeseries
from .league import LeagueRow

Table = tuple[str, list[str], list[list[Any]]]

SUMMARY_LABELS = [
    ("orders_placed", "点单数"),
    ("orders_accepted", "接单数"),
    ("orders_completed", "完成数"),
    ("orders_cancelled", "取消数"),
    ("orders_rejected", "未受理数"),
    ("orders_escalated", "上报数"),
    ("completion_rate", "完成率"),
    ("accept_minutes_median", "接单用时中位数（分钟）"),
    ("accept_minutes_p90", "接单用时 90 分位（分钟）"),
    ("complete_minutes_median", "完成用时中位数（分钟）"),
    ("complete_minutes_p90", "完成用时 90 分位（分钟）"),
    ("ratings", "评价数"),
    ("average_rating", "平均评分"),
    ("high_rating_share", "4–5 分占比"),
    ("volunteer_hours", "志愿服务时长（小时）"),
    ("active_volunteers", "活跃志愿者"),
    ("new_volunteers", "新增志愿者"),
    ("points_credited", "发放积分"),
    ("points_redeemed", "兑换积分"),
]


def tables(
    site: Site,
    day_from: dt.date,
    day_to: dt.date,
    figures: Figures,
    league: list[LeagueRow],
    items: list[Any],
) -> list[Table]:
    data = figures.as_dict()
    summary_rows = [[label, data[key]] for key, label in SUMMARY_LABELS]
    summary_rows.insert(0, ["阵地", site.name])
    summary_rows.insert(1, ["统计期间", f"{day_from.isoformat()} 至 {day_to.isoformat()}"])
    league_rows = [
        [
            r.rank,
            r.previous_rank or "—",
            r.site.name,
            r.score,
            r.figures.completion_rate,
            r.figures.average_rating,
            r.hours_per_volunteer,
            r.accept_median,
            r.figures.orders_placed,
            r.figures.orders_completed,
            float(r.figures.volunteer_hours),
            r.figures.active_volunteers,
        ]
        for r in league
    ]
    bucket = "month" if (day_to - day_from).days > 62 else "day"
    trend = [
        [
            p["period"],
            p["orders_placed"],
            p["orders_completed"],
            p["orders_cancelled"],
            float(p["volunteer_hours"]),
            p["average_rating"],
        ]
        for p in timeseries(site, day_from, day_to, bucket)
    ]
    cats = [
        [v["label"], v["orders_placed"], v["orders_completed"], float(v["volunteer_hours"])]
        for v in data["by_category"].values()
    ]
    item_rows = [
        [
            i.title,
            i.site.name,
            i.get_category_display(),
            i.rating_count,
            round(i.rating_avg, 2) if i.rating_avg is not None else "—",
            "是" if i.used_recently else "否",
        ]
        for i in items
    ]
    return [
        ("概况", ["指标", "数值"], summary_rows),
        (
            "各阵地排行",
            [
                "名次",
                "上期名次",
                "阵地",
                "得分",
                "完成率",
                "平均评分",
                "人均服务时长",
                "接单用时中位数（分钟）",
                "点单数",
                "完成数",
                "服务时长",
                "活跃志愿者",
            ],
            league_rows,
        ),
        ("趋势", ["期间", "点单数", "完成数", "取消数", "服务时长", "平均评分"], trend),
        ("服务类别", ["类别", "点单数", "完成数", "服务时长"], cats),
        (
            "待整改菜单",
            ["服务项目", "发布阵地", "类别", "评价数", "平均评分", "近90天有点单"],
            item_rows,
        ),
    ]


TABLE_KEYS = {
    "summary": "概况",
    "sites": "各阵地排行",
    "timeseries": "趋势",
    "categories": "服务类别",
    "items": "待整改菜单",
}


# Cell formats by what a column (or, on the summary sheet, a row) holds: rates as
# percentages, hours and averages with their decimals, counts as whole numbers.
PERCENT = "0.0%"
ONE_DECIMAL = "0.0"
TWO_DECIMALS = "0.00"
WHOLE = "0"
PERCENT_LABELS = {"完成率", "4–5 分占比"}
DECIMAL_LABELS = {"志愿服务时长（小时）", "服务时长", "人均服务时长", "得分"}
TWO_DECIMAL_LABELS = {"平均评分"}
# Sheets wider than this print in landscape.
LANDSCAPE_FROM_COLUMNS = 6


def number_or_text(value: Any) -> Any:
    """Numbers stay numbers (Decimal and numeric strings such as "12.5" become floats),
    so Excel and WPS can sum and sort them; everything else is left as it is."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, str):
        try:
            number = Decimal(value)
        except InvalidOperation:
            return value
        if number.is_finite() and value.strip() == value and value:
            return float(number) if "." in value else int(number)
    return value


def number_format_for(label: str, value: Any) -> str | None:
    if not isinstance(value, int | float) or isinstance(value, bool):
        return None
    if label in PERCENT_LABELS:
        return PERCENT
    if label in TWO_DECIMAL_LABELS:
        return TWO_DECIMALS
    if label in DECIMAL_LABELS:
        return ONE_DECIMAL
    return WHOLE if isinstance(value, int) else TWO_DECIMALS


def display_width(value: Any) -> int:
    """Characters as a spreadsheet column counts them: CJK characters are two wide."""
    text = str(value if value is not None else "")
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


HEADER_WRAP_WIDTH = 14  # header text wider than this wraps (in CJK-double character units)


def to_xlsx(all_tables: list[Table], heading: str = "") -> bytes:
    """One sheet per table, opening cleanly in Excel and WPS: a bold header row frozen
    and repeated on every printed page, numbers stored as numbers with their formats,
    column widths from the content, printed to fit one page wide (landscape for wide
    sheets) on A4, centred, each page headed with the sheet's name and ``heading`` (the
    site and period) and numbered "第 n 页，共 m 页" at its foot."""
    wb = Workbook()
    wb.remove(wb.active)
    for title, header, rows in all_tables:
        ws = wb.create_sheet(title=title[:31])
        ws.append(header)
        for cell in ws[1]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="F2E6E6")
            cell.alignment = Alignment(vertical="center", wrap_text=True)
        row_labelled = header[:2] == ["指标", "数值"]  # the summary: one figure per row
        for row in rows:
            values = [number_or_text(v) for v in row]
            ws.append(values)
            for index, value in enumerate(values):
                label = str(values[0]) if row_labelled else header[index]
                fmt = number_format_for(label, value)
                if fmt:
                    ws.cell(row=ws.max_row, column=index + 1).number_format = fmt
        # Widths from the data; a long header wraps onto two or three lines instead of
        # widening its column (a wide sheet printed one page wide shrinks every column).
        header_lines = 1
        for index, column in enumerate(ws.columns, start=1):
            cells = list(column)
            data = max((display_width(c.value) for c in cells[1:]), default=0)
            head = display_width(cells[0].value)
            width = min(max(10, data + 2, min(head + 2, HEADER_WRAP_WIDTH)), 50)
            ws.column_dimensions[get_column_letter(index)].width = width
            header_lines = max(header_lines, -(-(head + 1) // int(width - 1)))
        ws.row_dimensions[1].height = 15 * min(header_lines, 3) + 3
        ws.freeze_panes = "A2"
        ws.print_title_rows = "1:1"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.orientation = (
            ws.ORIENTATION_LANDSCAPE
            if len(header) > LANDSCAPE_FROM_COLUMNS
            else ws.ORIENTATION_PORTRAIT
        )
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0  # as many pages down as it takes
        ws.print_options.gridLines = True
        ws.print_options.horizontalCentered = True
        ws.page_margins.left = ws.page_margins.right = 0.5
        # Header and footer codes (&A the sheet's name, &P / &N page and pages) are the
        # same in Excel, WPS and LibreOffice; "&" in the text itself is doubled.
        ws.oddHeader.center.text = "&A" + (f"  {heading.replace('&', '&&')}" if heading else "")
        ws.oddHeader.center.size = 10
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        ws.oddFooter.center.size = 9
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def to_csv(table: Table) -> str:
    _title, header, rows = table
    out = io.StringIO()
    out.write("\ufeff")  # BOM: Excel opens UTF-8 CSV with Chinese text correctly
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()
