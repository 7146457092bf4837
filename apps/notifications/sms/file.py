"""Development backend: one JSON line per message appended to ``SMS_FILE_PATH``
(default ``sms.log`` in the project directory)."""

from __future__ import annotations

import json
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def send(self, mobile: str, text: str) -> None:
        path = Path(getattr(settings, "SMS_FILE_PATH", "") or Path(settings.BASE_DIR) / "sms.log")
        line = json.dumps(
            {"at": timezone.now().isoformat(), "mobile": mobile, "text": text},
            ensure_ascii=False,
        )
        with path.open("a", encoding="utf-8") as fh:
            fh.write(line + "\n")
