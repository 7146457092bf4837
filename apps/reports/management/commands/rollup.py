from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.reports.rollup import rollup_range


class Command(BaseCommand):
    help = "重建统计日汇总（可重复运行，结果相同）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--from", dest="day_from", help="开始日期 YYYY-MM-DD（默认昨天）")
        parser.add_argument("--to", dest="day_to", help="结束日期 YYYY-MM-DD（默认同开始日期）")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            first = (
                dt.date.fromisoformat(options["day_from"])
                if options["day_from"]
                else timezone.localdate() - dt.timedelta(days=1)
            )
            last = dt.date.fromisoformat(options["day_to"]) if options["day_to"] else first
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{exc}") from None
        if last < first:
            raise CommandError("--to 不能早于 --from。")
        total = (last - first).days + 1
        show = not options["no_progress"] and sys.stderr.isatty()

        def progress(day: dt.date) -> None:
            if show:
                n = (day - first).days + 1
                done = int(30 * n / total)
                sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] {n}/{total} {day}")
                sys.stderr.flush()

        rows = rollup_range(first, last, on_day=progress)
        if show:
            sys.stderr.write("\n")
        self.stdout.write(f"已重建 {first} 至 {last} 共 {total} 天，{rows} 行阵地日汇总。")
