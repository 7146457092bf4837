"""Activities (活动): the county's monthly themes (一月一主题), activities organised by
any site with volunteer roles, sign-ups with a waiting list (招募令), residents
registered to attend, check-in that proves presence (a rotating QR code), and the
attendance the organisers confirm afterwards.

Layering: above ``orders`` (an open order counts as a clash when a volunteer signs
up) and below ``points``, which credits confirmed attendance. This app never imports
``points``; the settlement reads what it needs through two public functions:

``apps.activities.selectors.confirmed_attendance_for_settlement(*, confirmed_before=None)``
    Confirmed, not yet credited attendance: one dict per sign-up with ``signup_id``,
    ``source_key`` (``"activity:<activity id>:signup:<signup id>"``, stable, unique per
    sign-up: the ledger entry's idempotency key), ``volunteer_id``, ``user_id``,
    ``activity_id``, ``site_id`` (the organising site, whose account pays),
    ``title``, ``starts_at`` (the service day, Asia/Shanghai), ``hours`` (Decimal,
    confirmed, capped by the activity's length) and ``points`` (int, fixed at
    confirmation by the activity's points mode). No-shows are never in it. Ordered by
    confirmation time; ``confirmed_before`` bounds a nightly run.

``apps.activities.services.attendance_mark_credited(*, signup_ids, now=None)``
    Marks rows credited with a conditional ``UPDATE … WHERE credited_at IS NULL``;
    returns how many this call marked, so a rerun marks (and should credit) nothing.
    Once credited, a row's attendance can no longer be corrected.
"""
