"""Signed JSON events to another system (the county media center's app): queued in the
outbox like every delivery (``outbox.queue_signed_event``), retried with the same
backoff, sent once per event id.

The body is stored as the exact bytes to send and signed when sent, so a rotated secret
signs the retries too. Headers (README: "Showcase → webhook push"):

``X-Portal-Signature: sha256=<hex>``
    HMAC-SHA256 of the raw request body under ``settings.PORTAL_WEBHOOK_SECRET``.
``X-Portal-Event-Id``
    The event's stable id, the same on every attempt: a receiver keeps the ids it has
    processed and drops a repeat (a retry after a lost answer).
``X-Delivery-Id``
    The outbox row, for support.

Any 2xx answer counts as delivered; anything else (or no answer) is retried.
"""

from __future__ import annotations

import hashlib
import hmac
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings

from .models import Delivery

SIGNATURE_HEADER = "X-Portal-Signature"
EVENT_ID_HEADER = "X-Portal-Event-Id"


class SignedDeliveryError(Exception):
    pass


def signature(body: bytes, secret: str | None = None) -> str:
    """The header value for ``body``: ``sha256=<hex>``."""
    key = (settings.PORTAL_WEBHOOK_SECRET if secret is None else secret).encode("utf-8")
    return "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()


def signature_valid(body: bytes, header: str, secret: str) -> bool:
    """What a receiver does: recompute and compare in constant time."""
    return hmac.compare_digest(signature(body, secret), header or "")


def event_id_of(delivery: Delivery) -> str:
    return (delivery.dedupe_key or f"signed:delivery-{delivery.pk}").removeprefix("signed:")


def send_signed(delivery: Delivery, *, timeout: float) -> None:
    body = delivery.body.encode("utf-8")
    headers: dict[str, Any] = {
        "Content-Type": "application/json; charset=utf-8",
        SIGNATURE_HEADER: signature(body),
        EVENT_ID_HEADER: event_id_of(delivery),
        "X-Delivery-Id": str(delivery.pk),
    }
    request = urllib.request.Request(  # noqa: S310 - URL from the deployment's settings
        delivery.recipient, data=body, method="POST", headers=headers
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            response.read(65536)
    except urllib.error.HTTPError as exc:
        raise SignedDeliveryError(f"HTTP {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SignedDeliveryError(f"连接失败：{reason}") from None
