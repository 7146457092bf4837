"""Test backend: messages are kept in ``outbox`` (like ``django.core.mail.outbox``).
Tests clear it between runs; ``fail_next`` makes the next sends raise (a provider down)."""

from __future__ import annotations

from dataclasses import dataclass

from .base import BaseSmsBackend, SmsError


@dataclass(frozen=True)
class SentSms:
    mobile: str
    text: str


outbox: list[SentSms] = []
fail_next: list[str] = []  # error messages, one popped per send


class SmsBackend(BaseSmsBackend):
    def send(self, mobile: str, text: str) -> None:
        if fail_next:
            raise SmsError(fail_next.pop(0))
        outbox.append(SentSms(mobile, text))
