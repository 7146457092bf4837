"""Development backend: each message is printed to stdout."""

from __future__ import annotations

import sys

from .base import BaseSmsBackend


class SmsBackend(BaseSmsBackend):
    def send(self, mobile: str, text: str) -> None:
        sys.stdout.write(f"[SMS → {mobile}] {text}\n")
        sys.stdout.flush()
