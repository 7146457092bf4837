"""The rotating check-in code (签到码) that proves presence.

The staff page shows a QR code of a URL carrying a token for (activity, kind, time
window): a new window every ``WINDOW_SECONDS`` (30 s) and a token is accepted during
its own window and the next one, so a code is valid for 30–60 s. A photographed or
forwarded code therefore stops working within a minute. The token names no person:
whoever opens it is the signed-in user of the session, and only a volunteer signed
up for the activity can check in with it. Tokens are HMAC-SHA256 (Django's
``salted_hmac`` over ``SECRET_KEY``), so one cannot be made without the server.

Windows outside the activity's time (``CHECKIN_OPENS`` before the start to
``CHECKOUT_CLOSES`` after the end) have no valid token at all.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import math
from decimal import Decimal

import qrcode
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import Activity

WINDOW_SECONDS = 30
# Check-in opens half an hour before the start (volunteers set up early) and the codes
# stop an hour after the end (check-out after tidying up).
CHECKIN_OPENS = dt.timedelta(minutes=30)
CHECKOUT_CLOSES = dt.timedelta(hours=1)
KINDS = ("in", "out")
# Farther than this from the activity's coordinates, a check-in is flagged for the
# organisers. 500 m covers a village square or a community's grounds plus the error of
# a phone's location indoors (often 100–300 m); it is a flag for review, not a refusal.
FAR_RADIUS_M = 500


class TokenError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code  # forged, expired, outside_time


def window_of(moment: dt.datetime) -> int:
    return int(moment.timestamp()) // WINDOW_SECONDS


def _signature(activity_id: int, kind: str, window: int) -> str:
    value = f"{activity_id}:{kind}:{window}"
    return salted_hmac("apps.activities.checkin", value, algorithm="sha256").hexdigest()[:32]


def in_activity_time(activity: Activity, moment: dt.datetime) -> bool:
    return activity.starts_at - CHECKIN_OPENS <= moment <= activity.ends_at + CHECKOUT_CLOSES


def token_for(activity: Activity, kind: str, now: dt.datetime) -> str | None:
    """The token of the current window, or None outside the activity's time."""
    if kind not in KINDS or not in_activity_time(activity, now):
        return None
    window = window_of(now)
    return f"{window}.{_signature(activity.pk, kind, window)}"


def verify(activity: Activity, kind: str, token: str, now: dt.datetime) -> int:
    """The token's window if it is genuine, current (this window or the previous one)
    and inside the activity's time; ``TokenError`` otherwise."""
    window_text, _, signature = str(token or "").partition(".")
    if kind not in KINDS or not window_text.isdigit() or len(window_text) > 12:
        raise TokenError("forged")
    window = int(window_text)
    if not constant_time_compare(signature, _signature(activity.pk, kind, window)):
        raise TokenError("forged")
    issued = dt.datetime.fromtimestamp(window * WINDOW_SECONDS, tz=dt.UTC)
    if not in_activity_time(activity, issued):
        raise TokenError("outside_time")
    current = window_of(now)
    if not current - 1 <= window <= current:
        raise TokenError("expired")
    return window


def qr_png_data_uri(text: str) -> str:
    """The QR code of ``text`` as a PNG ``data:`` URI (rendered on the server)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def distance_m(
    lat1: Decimal | float, lon1: Decimal | float, lat2: Decimal | float, lon2: Decimal | float
) -> int:
    """Great-circle distance in metres (haversine, mean Earth radius)."""
    p1, p2 = math.radians(float(lat1)), math.radians(float(lat2))
    dp, dl = p2 - p1, math.radians(float(lon2) - float(lon1))
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return round(2 * 6_371_000 * math.asin(min(1.0, math.sqrt(a))))
