"""Seed the demo county. Idempotent: running it again adds nothing new.

Each app contributes its demo data through a ``demo.seed(ctx, log)`` function listed
in ``DEMO_SEEDERS`` (bottom app first); later seeders read what earlier ones put in
``ctx`` (the county, townships, villages, users, ...).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.module_loading import import_string

DEFAULT_SEEDERS = ["apps.sites.demo.seed", "apps.accounts.demo.seed"]

DEMO_ACCOUNTS = """
演示账号（密码均为 demo12345）：
  admin      系统管理员（超级用户，可进入 /admin/）
  county     县级管理员（县新时代文明实践中心）
  town1      城关镇实践所工作人员
  town2      桃源乡实践所工作人员
  village1   东关社区实践站工作人员（城关镇下）
  editor     县融媒体中心编辑（晒成果终审、撤稿）
  vol1…vol5  东关社区实践站志愿者
  res1…res3  东关社区实践站居民
  res9       桃花村实践站居民（桃源乡下）
"""


class Command(BaseCommand):
    help = "创建演示县的阵地、账号及各模块的演示数据（可重复运行）。"

    def handle(self, *args: Any, **options: Any) -> None:
        ctx: dict[str, Any] = {}
        seeders = getattr(settings, "DEMO_SEEDERS", DEFAULT_SEEDERS)
        for dotted in seeders:
            seed = import_string(dotted)
            with transaction.atomic():
                seed(ctx, lambda msg: self.stdout.write(f"  {msg}"))
        self.stdout.write(self.style.SUCCESS("演示数据已就绪。"))
        self.stdout.write(DEMO_ACCOUNTS)
