"""Texts to a mobile that belong to no in-app notification (an account-claim code):
one SMS ``Delivery`` in the outbox, claimed once, retried and given up like any other.
Registered with ``apps.accounts.texts`` in ``NotificationsConfig.ready``."""

from __future__ import annotations

from typing import Any

from .models import Channel, Delivery
from .outbox import queue_one
from .services import render_sms

SUBJECTS = {"account_claim_code": "开通账号验证码"}


def text_queue(*, mobile: str, kind: str, context: dict[str, Any], dedupe_key: str) -> None:
    """Queue one text; a second call with the same ``dedupe_key`` queues nothing.

    The body holds what the text says (a claim code in clear) until it is sent: the
    staff deliveries page shows subjects only, and rows without a notification or a
    site are listed to global admins only."""
    queue_one(
        Delivery(
            channel=Channel.SMS,
            recipient=mobile,
            subject=SUBJECTS.get(kind, kind)[:200],
            body=render_sms(kind, context),
            dedupe_key=dedupe_key,
        )
    )
