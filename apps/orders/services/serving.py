"""The volunteer's moves: accept or decline (接单), check in (签到) and check out (签退)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import dateformat, timezone
from django.utils.translation import gettext

from apps.accounts.models import User
from apps.core.errors import ConflictError
from apps.core.types import Id
from apps.core.uploads import CleanImage, clean_image

from ..models import (
    OrderAssignment,
    OrderPhoto,
    ServiceOrder,
    measured_hours,
)
from .workflow import (
    A,
    S,
    check_transition,
    clean_hours,
    clean_text,
    lapse_assignments,
    lock_visible,
    my_assignment,
    record,
    require_active_volunteer,
    require_open,
)

MAX_PHOTOS = 9


def order_accept(*, order_id: Id, actor: User) -> ServiceOrder:
    """An assigned volunteer accepts (接单). The order is ``accepted`` once as many
    volunteers as it needs have accepted; the other open assignments then lapse."""
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        mine = my_assignment(order, actor)
        require_active_volunteer(mine)
        check_transition(order, "accept")
        require_open(mine, "accept")
        now = timezone.now()
        mine.status, mine.responded_at = A.ACCEPTED, now
        mine.save(update_fields=["status", "responded_at"])
        accepted = OrderAssignment.objects.filter(order_id=order.pk, status=A.ACCEPTED).count()
        name = mine.volunteer.real_name
        if accepted >= order.volunteers_needed:
            lapse_assignments(order, now, A.ASSIGNED)
            order.accepted_at = now
            record(
                order,
                action="accept",
                actor=actor,
                to=S.ACCEPTED,
                now=now,
                code="accepted",
                params={"name": name},
                fields=["accepted_at"],
            )
        else:
            record(
                order,
                action="accept",
                actor=actor,
                to=S.DISPATCHED,
                now=now,
                code="accepted_n_of_m",
                params={"name": name, "accepted": accepted, "needed": order.volunteers_needed},
            )
    return order


def order_decline(*, order_id: Id, actor: User, reason: str) -> ServiceOrder:
    """An assigned volunteer declines (with a reason). When too few volunteers remain
    the order returns to ``submitted`` for the staff to dispatch again."""
    reason = clean_text(
        reason, field="reason", required=True, max_length=300, message=gettext("请填写谢绝的原因。")
    )
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        mine = my_assignment(order, actor)
        require_active_volunteer(mine)
        check_transition(order, "decline")
        require_open(mine, "decline")
        now = timezone.now()
        mine.status, mine.responded_at, mine.decline_reason = A.DECLINED, now, reason
        mine.save(update_fields=["status", "responded_at", "decline_reason"])
        still = OrderAssignment.objects.filter(
            order_id=order.pk, status__in=[A.ASSIGNED, A.ACCEPTED]
        ).count()
        params: dict[str, Any] = {"name": mine.volunteer.real_name}
        if still >= order.volunteers_needed:
            record(
                order,
                action="decline",
                actor=actor,
                to=S.DISPATCHED,
                now=now,
                code="declined",
                params=params,
                note=reason,
            )
        else:
            # Volunteers who already accepted stay on it; the open requests lapse.
            lapse_assignments(order, now, A.ASSIGNED)
            record(
                order,
                action="decline",
                actor=actor,
                to=S.SUBMITTED,
                now=now,
                code="declined",
                params=params | {"requeued": True},
                note=reason,
            )
    return order


def order_start(*, order_id: Id, actor: User) -> ServiceOrder:
    """An accepted volunteer checks in (签到); the first check-in starts the service."""
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        mine = my_assignment(order, actor)
        require_active_volunteer(mine)
        check_transition(order, "start")
        if mine.status != A.ACCEPTED:
            raise ConflictError(
                gettext("您没有接这张单，不能签到。"), code="assignment_not_accepted"
            )
        if mine.checked_in_at is not None:
            raise ConflictError(gettext("您已经签到过了。"), code="already_checked_in")
        now = timezone.now()
        opens = check_in_opens_at(order)
        if now < opens:
            raise ConflictError(
                gettext(
                    "还没到签到时间：最早可在期望开始时间前 %(minutes)s 分钟签到（%(opens)s 起）。"
                )
                % {
                    "minutes": settings.ORDER_CHECK_IN_OPENS_MINUTES,
                    "opens": dateformat.format(timezone.localtime(opens), gettext("n月j日 H:i")),
                },
                code="check_in_not_open",
                errors={"opens_at": [opens.isoformat()]},
            )
        mine.checked_in_at = now
        mine.save(update_fields=["checked_in_at"])
        fields = []
        if order.started_at is None:
            order.started_at = now
            fields.append("started_at")
        record(
            order,
            action="start",
            actor=actor,
            to=S.IN_SERVICE,
            now=now,
            code="checked_in",
            params={"name": mine.volunteer.real_name},
            fields=fields,
        )
    return order


def check_in_opens_at(order: ServiceOrder) -> dt.datetime:
    """The earliest check-in: ``ORDER_CHECK_IN_OPENS_MINUTES`` (default 60) before the
    preferred start, so a volunteer cannot start the clock hours before the slot."""
    return order.preferred_start - dt.timedelta(minutes=settings.ORDER_CHECK_IN_OPENS_MINUTES)


def default_hours(checked_in_at: dt.datetime, checked_out_at: dt.datetime) -> Decimal:
    """Hours left blank at check-out: the measured time (see ``measured_hours``)."""
    return measured_hours(checked_in_at, checked_out_at)


def clean_photos(photos: Sequence[UploadedFile]) -> list[CleanImage]:
    """Validate and re-encode photos before any lock is taken (Pillow work is slow)."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationError({"photos": [gettext("最多上传 %(n)s 张照片。") % {"n": MAX_PHOTOS}]})
    cleaned = []
    for upload in photos:
        try:
            cleaned.append(clean_image(upload))
        except ValidationError as exc:
            raise ValidationError(
                {"photos": [f"{upload.name}：{m}" for m in exc.messages]}
            ) from None
    return cleaned


def order_complete(
    *,
    order_id: Id,
    actor: User,
    summary: str,
    hours: Any = None,
    photos: Sequence[UploadedFile] = (),
) -> ServiceOrder:
    """A volunteer checks out (签退) with hours (service time only), a summary and
    optional photos. The order is ``completed`` when every accepted volunteer has
    checked out."""
    summary = clean_text(
        summary,
        field="summary",
        required=True,
        max_length=2000,
        message=gettext("请填写服务小结。"),
    )
    reported = None if hours in (None, "") else clean_hours(hours, field="hours")
    images = clean_photos(photos)
    with transaction.atomic():
        order = lock_visible(order_id, actor)
        mine = my_assignment(order, actor)
        require_active_volunteer(mine)
        check_transition(order, "complete")
        if mine.status != A.ACCEPTED or mine.checked_in_at is None:
            raise ConflictError(gettext("请先签到，再签退。"), code="not_checked_in")
        if mine.checked_out_at is not None:
            raise ConflictError(gettext("您已经签退过了。"), code="already_checked_out")
        now = timezone.now()
        measured = measured_hours(mine.checked_in_at, now)
        if reported is not None and reported > measured:
            raise ValidationError(
                {
                    "hours": [
                        gettext(
                            "上报的服务时长（%(reported)s 小时）超过了签到到签退的时间"
                            "（按半小时向上取整为 %(measured)s 小时）。"
                        )
                        % {"reported": reported, "measured": measured}
                    ]
                }
            )
        mine.checked_out_at = now
        mine.reported_hours = reported or measured
        mine.summary = summary
        mine.save(update_fields=["checked_out_at", "reported_hours", "summary"])
        # Files are written to storage as the rows are saved; if the transaction rolls
        # back the files stay behind unreferenced (harmless, swept by storage hygiene).
        for img in images:
            OrderPhoto.objects.create(
                order=order,
                assignment=mine,
                image=img.image,
                thumbnail=img.thumbnail,
                uploaded_by=actor,
            )
        open_ = OrderAssignment.objects.filter(
            order_id=order.pk, status=A.ACCEPTED, checked_out_at__isnull=True
        ).exists()
        code = "checked_out_photos" if images else "checked_out"
        params: dict[str, Any] = {
            "name": mine.volunteer.real_name,
            "hours": str(mine.reported_hours),
        }
        if images:
            params["photos"] = len(images)
        # Others still serving: the order stays in service; the last one completes it.
        if not open_:
            order.completed_at = now
        record(
            order,
            action="complete",
            actor=actor,
            to=S.IN_SERVICE if open_ else S.COMPLETED,
            now=now,
            code=code,
            params=params,
            fields=[] if open_ else ["completed_at"],
        )
    return order
