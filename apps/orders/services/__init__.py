"""Order workflow and service menu writes, one module per stage.

- ``workflow``: the transition table (``TRANSITIONS``) and the lock / check / record
  helpers every move uses;
- ``menu``: service menu writes;
- ``placing``: placing an order (点单, 代点单);
- ``phone_in``: a phone call recorded, the caller registered if new, the order placed;
- ``dispatch``: staff assign volunteers (派单);
- ``serving``: the volunteer accepts, declines, checks in and out;
- ``feedback``: the resident rates, disputes, nudges;
- ``closing``: cancel and reject;
- ``release``: a volunteer leaves an order (suspended, withdrawn, no answer);
- ``escalation``: escalating by hand and the periodic escalation job;
- ``assessment``: assessing (考核定单) and the unrated-order lapse job;
- ``offers``: which actions a page offers.

Callers import from ``apps.orders.services``; the names below are the public surface.
"""

from .assessment import (
    BULK_ASSESS_MAX,
    UNCONTESTED_MIN_SCORE,
    assessing_site_id,
    can_assess,
    is_assessor,
    order_assess,
    orders_bulk_assess,
    orders_lapse_unrated,
    uncontested_reason,
)
from .closing import order_cancel, order_reject
from .dispatch import order_dispatch
from .escalation import escalation_limit, order_escalate, orders_escalate_overdue
from .feedback import nudge_opens_at, nudge_wait, order_dispute, order_nudge, order_rate
from .menu import service_item_create, service_item_update
from .offers import actions_for
from .phone_in import phone_order_place
from .placing import order_place
from .release import assignments_end_for_volunteer, assignments_lapse_unanswered
from .serving import (
    MAX_PHOTOS,
    clean_photos,
    default_hours,
    order_accept,
    order_complete,
    order_decline,
    order_start,
)
from .workflow import (
    ACTION_LABELS,
    NUDGE_INTERVAL,
    RATING_WINDOW,
    TRANSITIONS,
    TooSoonError,
    order_visible_to,
    resident_points,
    slot_bit_for,
)

__all__ = [
    "ACTION_LABELS",
    "BULK_ASSESS_MAX",
    "UNCONTESTED_MIN_SCORE",
    "MAX_PHOTOS",
    "NUDGE_INTERVAL",
    "RATING_WINDOW",
    "TRANSITIONS",
    "TooSoonError",
    "actions_for",
    "assignments_end_for_volunteer",
    "assignments_lapse_unanswered",
    "assessing_site_id",
    "can_assess",
    "clean_photos",
    "default_hours",
    "escalation_limit",
    "nudge_opens_at",
    "nudge_wait",
    "order_accept",
    "order_assess",
    "orders_bulk_assess",
    "is_assessor",
    "uncontested_reason",
    "order_cancel",
    "order_complete",
    "order_decline",
    "order_dispatch",
    "order_dispute",
    "order_escalate",
    "order_nudge",
    "order_place",
    "order_rate",
    "order_reject",
    "order_start",
    "order_visible_to",
    "phone_order_place",
    "orders_escalate_overdue",
    "orders_lapse_unrated",
    "resident_points",
    "service_item_create",
    "service_item_update",
    "slot_bit_for",
]
