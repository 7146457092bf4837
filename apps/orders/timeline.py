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

from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N


class EventLike(Protocol):
    code: str
    params: Any
    note: str


# code → (sentence without a note, sentence with ``%(note)s``). The msgids are Chinese
# like the rest of the project; the English lives in locale/en.
EVENT_TEXTS: dict[str, tuple[str, str]] = {
    "placed_by_staff": (
        N("工作人员代点单（%(staff)s）"),
        N("工作人员代点单（%(staff)s）：%(note)s"),
    ),
    "dispatched_to": (N("派给：%(names)s"), N("派给：%(names)s；%(note)s")),
    "accepted": (N("%(name)s 接单"), N("%(name)s 接单：%(note)s")),
    "accepted_n_of_m": (
        N("%(name)s 接单（%(accepted)s/%(needed)s）"),
        N("%(name)s 接单（%(accepted)s/%(needed)s）：%(note)s"),
    ),
    "declined": (N("%(name)s 谢绝"), N("%(name)s 谢绝：%(note)s")),
    "checked_in": (N("%(name)s 签到"), N("%(name)s 签到：%(note)s")),
    "checked_out": (
        N("%(name)s 签退，服务 %(hours)s 小时"),
        N("%(name)s 签退，服务 %(hours)s 小时：%(note)s"),
    ),
    "checked_out_photos": (
        N("%(name)s 签退，服务 %(hours)s 小时，上传照片 %(photos)s 张"),
        N("%(name)s 签退，服务 %(hours)s 小时，上传照片 %(photos)s 张：%(note)s"),
    ),
    "rated": (N("%(score)s 分"), N("%(score)s 分：%(note)s")),
    "disputed": (N("投诉"), N("投诉：%(note)s")),
    "nudged": (N("第 %(count)s 次催单"), N("第 %(count)s 次催单：%(note)s")),
    "escalated": (
        N("由%(from_site)s上报至%(to_site)s"),
        N("由%(from_site)s上报至%(to_site)s：%(note)s"),
    ),
    "escalated_auto": (
        N("由%(from_site)s上报至%(to_site)s：超过 %(minutes)s 分钟无人派单，自动上报"),
        N("由%(from_site)s上报至%(to_site)s：超过 %(minutes)s 分钟无人派单，自动上报"),
    ),
    "cancelled_by_resident": (N("群众取消"), N("群众取消：%(note)s")),
    "released_suspended": (
        N("%(name)s 已被暂停志愿服务"),
        N("%(name)s 已被暂停志愿服务（%(note)s）"),
    ),
    "released_withdrawn": (N("%(name)s 已退出志愿服务"), N("%(name)s 已退出志愿服务（%(note)s）")),
    "released_stopped": (N("%(name)s 已停止志愿服务"), N("%(name)s 已停止志愿服务（%(note)s）")),
    "released_unanswered": (
        N("%(name)s 超过 %(minutes)s 分钟未答复派单"),
        N("%(name)s 超过 %(minutes)s 分钟未答复派单：%(note)s"),
    ),
    "assessed_passed": (
        N("考核通过，确认服务 %(total)s 小时（%(detail)s）"),
        N("考核通过，确认服务 %(total)s 小时（%(detail)s）：%(note)s"),
    ),
    "assessed_failed": (N("考核不通过"), N("考核不通过：%(note)s")),
    "auto_assess_after_7_days": (
        N("完成 7 天未评价，转入考核"),
        N("完成 7 天未评价，转入考核：%(note)s"),
    ),
}

# A decline or release that leaves too few volunteers sends the order back to the queue
# (``params["requeued"]``).
REQUEUED = N("%(text)s；订单退回待派单")


class _Params(dict[str, Any]):
    """A missing parameter reads empty rather than failing the whole page."""

    def __missing__(self, key: str) -> str:
        return ""


def list_text(items: list[Any]) -> str:
    """Names joined the way the language lists them (“张丽、李强”, “Zhang Li, Li Qiang”)."""
    return gettext("、").join(str(i) for i in items)


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
    text = gettext(with_note if note else plain) % values
    if values.get("requeued"):
        text = gettext(REQUEUED) % {"text": text}
    return text
