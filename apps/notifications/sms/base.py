"""The backend interface every SMS backend implements."""

from __future__ import annotations

# One mainland text message holds 70 characters (Chinese or not) before the carrier
# splits it in two and charges twice; the provider adds the 【签名】 within that budget
# on some plans, so templates stay at or under 70 on their own and tests keep them so.
MAX_SMS_CHARS = 70


class SmsError(Exception):
    """The provider refused or could not be reached; the message is retried."""


class BaseSmsBackend:
    def send(self, mobile: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError
