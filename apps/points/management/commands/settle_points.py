from __future__ import annotations

import datetime as dt
import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from apps.points.settlement import settle


def _bar(done: int, total: int, label: str, width: int = 30) -> str:
    filled = int(width * done / total) if total else width
    return f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {label}"


class Command(BaseCommand):
    help = "结算积分：把某日考核通过的订单记入积分账本，并更新服务时长和星级（可重复运行）。"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--date", help="结算日期 YYYY-MM-DD（默认昨天，北京时间）")
        parser.add_argument("--to", help="结算到该日期为止（含），与 --date 组成区间")
        parser.add_argument("--no-progress", action="store_true", help="不显示进度条")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            first = (
                dt.date.fromisoformat(options["date"])
                if options["date"]
                else timezone.localdate() - dt.timedelta(days=1)
            )
            last = dt.date.fromisoformat(options["to"]) if options["to"] else first
        except ValueError as exc:
            raise CommandError(f"日期格式应为 YYYY-MM-DD：{exc}") from None
        if last < first:
            raise CommandError("--to 不能早于 --date。")
        days = [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]
        # The bar redraws one line: only on a terminal, never into logs.
        show = not options["no_progress"] and sys.stderr.isatty()
        for n, day in enumerate(days, start=1):
            prefix = f"{day} ({n}/{len(days)})"

            def on_step(done: int, total: int, label: str, prefix: str = prefix) -> None:
                if show:
                    sys.stderr.write(_bar(done, total, f"{prefix} {label}".ljust(40)))
                    sys.stderr.flush()

            try:
                run = settle(day, on_step=on_step)
            except Exception as exc:
                raise CommandError(f"{day} 结算失败：{exc}") from exc
            if show:
                sys.stderr.write("\n")
            self.stdout.write(
                f"{day}: 订单 {run.orders_seen}，新增流水 {run.entries_created}，"
                f"积分 {run.points_credited}，时长 {run.hours_credited} 小时，"
                f"志愿者 {run.volunteers_credited} 名"
            )
