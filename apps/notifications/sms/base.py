"""The backend interface every SMS backend implements."""

from __future__ import annotations

import abc

# One mainland text message holds 70 characters (Chinese or not) before the carrier
# splits it in two and charges twice; the provider adds the 【签名】 within that budget
# on some plans, so templates stay at or under 70 on their own and tests keep them so.
MAX_SMS_CHARS = 70


class SmsError(Exception):
    """The provider refused or could not be reached; the message is retried."""


class BaseSmsBackend(abc.ABC):
    """What ``SMS_BACKEND`` names (console, file, locmem, aliyun): a class with ``send``."""

    @abc.abstractmethod
    def send(self, mobile: str, text: str) -> None:
        """Send ``text`` to ``mobile``; raise ``SmsError`` to have it retried."""
