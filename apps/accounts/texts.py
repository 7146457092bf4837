"""Text messages that belong to no notification (an account-claim code), sent through
the notifications outbox.

``accounts`` sits below ``notifications`` and may not import it. The notifications app
registers its sender here in its ``AppConfig.ready``; ``send_text`` hands the text to
it inside the caller's transaction, so the outbox row commits (and is sent, retried or
given up) with the change that asked for it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import ImproperlyConfigured

# sender(mobile=..., kind=..., context=..., dedupe_key=...): queue one text to ``mobile``
# rendered from templates/notifications/sms/<kind>.txt, once per ``dedupe_key``.
TextSender = Callable[..., object]

_senders: list[TextSender] = []


def register_text_sender(sender: TextSender) -> TextSender:
    """Register ``sender`` (idempotent: registering twice keeps one)."""
    if sender not in _senders:
        _senders.append(sender)
    return sender


def send_text(*, mobile: str, kind: str, context: dict[str, Any], dedupe_key: str) -> None:
    if not _senders:
        raise ImproperlyConfigured("no text sender registered (apps.notifications not installed?)")
    for sender in list(_senders):
        sender(mobile=mobile, kind=kind, context=context, dedupe_key=dedupe_key)
