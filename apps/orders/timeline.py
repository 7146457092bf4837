"""What an order event says, in the reader's language.

Services store an event as a ``code`` plus ``params`` (names, counts, sites: plain
JSON values snapshotted when the event happened) and keep ``note`` for what a person
typed (a reason, a comment). ``event_text`` turns that into one sentence in the
active language, so the timeline an English reader sees is English even for events
written while Chinese was active. Rows written before codes existed have only a
``note`` (a Chinese sentence): it is shown as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from django.utils.translation import gettext, gettext_noop

from apps.core.wording import list_text


class EventLike(Protocol):
    code: str
    params: Any
    note: str


# code → (sentence without a note, sentence with ``%(note)s``; None: the sentence, a
# colon, the note). The msgids are Chinese
# like the rest of the project; the English lives in locale/en.
EVENT_TEXTS: dict[str, tuple[str, str | None]] = {
    "placed_by_staff": (
        gettext_noop("工作人员代点单（%(staff)s）"),
        gettext_noop("工作人员代点单（%(staff)s）：%(note)s"),
    ),
    "dispatched_to": (gettext_noop("派给：%(names)s"), gettext_noop("派给：%(names)s；%(note)s")),
    "accepted": (gettext_noop("%(name)s 接单"), gettext_noop("%(name)s 接单：%(note)s")),
    "accepted_n_of_m": (
        gettext_noop("%(name)s 接单（%(accepted)s/%(needed)s）"),
        gettext_noop("%(name)s 接单（%(accepted)s/%(needed)s）：%(note)s"),
    ),
    "declined": (gettext_noop("%(name)s 谢绝"), gettext_noop("%(name)s 谢绝：%(note)s")),
    "checked_in": (gettext_noop("%(name)s 签到"), gettext_noop("%(name)s 签到：%(note)s")),
    "checked_out": (
        gettext_noop("%(name)s 签退，服务 %(hours)s 小时"),
        gettext_noop("%(name)s 签退，服务 %(hours)s 小时：%(note)s"),
    ),
    "checked_out_photos": (
        gettext_noop("%(name)s 签退，服务 %(hours)s 小时，上传照片 %(photos)s 张"),
        gettext_noop("%(name)s 签退，服务 %(hours)s 小时，上传照片 %(photos)s 张：%(note)s"),
    ),
    "rated": (gettext_noop("%(score)s 分"), gettext_noop("%(score)s 分：%(note)s")),
    "disputed": (gettext_noop("投诉"), gettext_noop("投诉：%(note)s")),
    "nudged": (gettext_noop("第 %(count)s 次催单"), gettext_noop("第 %(count)s 次催单：%(note)s")),
    "escalated": (
        gettext_noop("由%(from_site)s上报至%(to_site)s"),
        gettext_noop("由%(from_site)s上报至%(to_site)s：%(note)s"),
    ),
    "escalated_auto": (
        gettext_noop("由%(from_site)s上报至%(to_site)s：超过 %(minutes)s 分钟无人派单，自动上报"),
        None,
    ),
    "cancelled_by_resident": (gettext_noop("群众取消"), gettext_noop("群众取消：%(note)s")),
    "released_suspended": (
        gettext_noop("%(name)s 已被暂停志愿服务"),
        gettext_noop("%(name)s 已被暂停志愿服务（%(note)s）"),
    ),
    "released_withdrawn": (
        gettext_noop("%(name)s 已退出志愿服务"),
        gettext_noop("%(name)s 已退出志愿服务（%(note)s）"),
    ),
    "released_stopped": (
        gettext_noop("%(name)s 已停止志愿服务"),
        gettext_noop("%(name)s 已停止志愿服务（%(note)s）"),
    ),
    "released_unanswered": (
        gettext_noop("%(name)s 超过 %(minutes)s 分钟未答复派单"),
        gettext_noop("%(name)s 超过 %(minutes)s 分钟未答复派单：%(note)s"),
    ),
    "assessed_passed": (
        gettext_noop("考核通过，确认服务 %(total)s 小时（%(detail)s）"),
        gettext_noop("考核通过，确认服务 %(total)s 小时（%(detail)s）：%(note)s"),
    ),
    # Without the hours (orders made up by the demo history).
    "assessed_ok": (gettext_noop("考核通过"), gettext_noop("考核通过：%(note)s")),
    "historical": (gettext_noop("（历史数据）"), gettext_noop("（历史数据）%(note)s")),
    "assessed_failed": (gettext_noop("考核不通过"), gettext_noop("考核不通过：%(note)s")),
    "auto_assess_after_7_days": (
        gettext_noop("完成 7 天未评价，转入考核"),
        gettext_noop("完成 7 天未评价，转入考核：%(note)s"),
    ),
}

WITH_NOTE = gettext_noop("%(text)s：%(note)s")

# A decline or release that leaves too few volunteers sends the order back to the queue
# (``params["requeued"]``).
REQUEUED = gettext_noop("%(text)s；订单退回待派单")


class _Params(dict[str, Any]):
    """A missing parameter reads empty rather than failing the whole page."""

    def __missing__(self, key: str) -> str:
        return ""


def _prepared(params: Mapping[str, Any], note: str) -> _Params:
    values = _Params(params)
    if isinstance(values.get("names"), list):
        values["names"] = list_text(values["names"])
    if isinstance(values.get("hours_by_volunteer"), list):
        values["detail"] = list_text(
            [
                gettext("%(name)s %(hours)s 小时") % {"name": name, "hours": hours}
                for name, hours in values["hours_by_volunteer"]
            ]
        )
    values["note"] = note
    return values


def event_text(event: EventLike) -> str:
    """The event as one sentence in the active language (empty: nothing to say)."""
    texts = EVENT_TEXTS.get(event.code or "")
    note = (event.note or "").strip()
    if texts is None:
        return note  # an event from before codes, or one with only a person's words
    plain, with_note = texts
    values = _prepared(event.params or {}, note)
    if not note:
        text = gettext(plain) % values
    elif with_note is None:
        text = gettext(WITH_NOTE) % {"text": gettext(plain) % values, "note": note}
    else:
        text = gettext(with_note) % values
    if values.get("requeued"):
        text = gettext(REQUEUED) % {"text": text}
    return text
