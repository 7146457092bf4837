"""What each kind of notification says, rendered in the reader's language.

A notification stores its ``kind`` and ``params`` — plain JSON values snapshotted when
it was created (order number and title, site names, a volunteer's name as the recipient
may see it, the reason someone typed) — and is rendered when it is read: the inbox,
the bell and the API in the request's language, e-mail and SMS in the recipient's
language when they are sent. Nothing here touches the database, so an inbox page costs
the same queries whatever it shows.

The msgids are Chinese like the rest of the project; the English is in locale/en.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import dateformat, timezone
from django.utils.text import Truncator
from django.utils.translation import gettext, gettext_noop


@dataclass(frozen=True)
class Message:
    title: str
    body: str


class Params(dict[str, Any]):
    """The snapshot, with a missing value reading empty (an old row, a new field)."""

    def __missing__(self, key: str) -> str:
        return ""

    def short(self, key: str, length: int) -> str:
        return Truncator(str(self[key])).chars(length)


def _t(msgid: str, params: Mapping[str, Any]) -> str:
    return gettext(msgid) % params


def _when(value: Any, fmt: str) -> str:
    """An ISO datetime from the snapshot, in local time, in the language's format."""
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return ""
    return dateformat.format(timezone.localtime(moment), gettext(fmt))


def _simple(title: str, body: str) -> Callable[[Params], Message]:
    return lambda p: Message(_t(title, p), _t(body, p))


def _with(key: str, title: str, plain: str, with_value: str) -> Callable[[Params], Message]:
    """A body with one more sentence when ``params[key]`` is set (a reason, a comment)."""
    return lambda p: Message(_t(title, p), _t(with_value if p[key] else plain, p))


def _dispatched(p: Params) -> Message:
    p = Params(
        p,
        start_at=_when(p["start"], gettext_noop("n月j日 H:i")),
        end_at=_when(p["end"], gettext_noop("H:i")),
    )
    return Message(
        _t(gettext_noop("新派单：%(service)s"), p),
        _t(
            gettext_noop(
                "%(handling_site)s给您派了一张单：%(service)s。时间：%(start_at)s—%(end_at)s，"
                "地点：%(address)s。请尽快接单或说明无法接单的原因。"
            ),
            p,
        ),
    )


def _escalated(p: Params) -> Message:
    if p["minutes"]:
        body = gettext_noop(
            "%(from_site)s上报了 #%(order_id)s（%(service)s，%(site)s），请派单。"
            "原因：超过 %(minutes)s 分钟无人派单，自动上报"
        )
    elif p["reason"]:
        body = gettext_noop(
            "%(from_site)s上报了 #%(order_id)s（%(service)s，%(site)s），请派单。原因：%(reason)s"
        )
    else:
        body = gettext_noop("%(from_site)s上报了 #%(order_id)s（%(service)s，%(site)s），请派单。")
    return Message(_t(gettext_noop("上报订单待处理：%(service)s"), p), _t(body, p))


# Why a volunteer left an order (the same sentences as the order timeline's).
RELEASED_WHY = {
    "suspended": (
        gettext_noop("%(name)s 已被暂停志愿服务"),
        gettext_noop("%(name)s 已被暂停志愿服务（%(reason)s）"),
    ),
    "withdrawn": (
        gettext_noop("%(name)s 已退出志愿服务"),
        gettext_noop("%(name)s 已退出志愿服务（%(reason)s）"),
    ),
    "stopped": (
        gettext_noop("%(name)s 已停止志愿服务"),
        gettext_noop("%(name)s 已停止志愿服务（%(reason)s）"),
    ),
    "unanswered": (gettext_noop("%(name)s 超过 %(minutes)s 分钟未答复派单"),) * 2,
}


def _released(p: Params) -> Message:
    plain, with_reason = RELEASED_WHY.get(p["why"], RELEASED_WHY["stopped"])
    what = _t(with_reason if p["reason"] else plain, p)
    body = _t(
        gettext_noop("#%(order_id)s（%(service)s，%(site)s）：%(what)s。"), Params(p, what=what)
    )
    if p["requeued"]:
        body = _t(gettext_noop("%(text)s订单已回到待派单，请重新派单。"), {"text": body})
    return Message(_t(gettext_noop("志愿者退出订单：%(service)s"), p), body)


def _assessed(p: Params) -> Message:
    if p["status"] == "assessed":
        body = gettext_noop(
            "您的点单 #%(order_id)s（%(service)s）已通过考核，订单办结。感谢您的评价！"
        )
    else:
        body = gettext_noop("您的点单 #%(order_id)s（%(service)s）考核未通过，%(site)s会跟进处理。")
    return Message(_t(gettext_noop("服务已考核：%(service)s"), p), _t(body, p))


KINDS: dict[str, Callable[[Params], Message]] = {
    "order_accepted": _simple(
        gettext_noop("已接单：%(service)s"),
        gettext_noop("%(volunteer)s 已接下 #%(order_id)s（%(service)s，%(site)s）。"),
    ),
    "order_cancelled": _with(
        "reason",
        gettext_noop("订单已取消：%(service)s"),
        gettext_noop("#%(order_id)s（%(service)s，%(site)s）已被群众取消。"),
        gettext_noop("#%(order_id)s（%(service)s，%(site)s）已被群众取消。原因：%(reason)s"),
    ),
    "order_completed": _simple(
        gettext_noop("服务已完成：%(service)s"),
        gettext_noop("#%(order_id)s（%(service)s，%(site)s）的服务已完成，等待群众评价和考核。"),
    ),
    "order_declined": _simple(
        gettext_noop("志愿者无法接单：%(service)s"),
        gettext_noop(
            "%(volunteer)s 无法承接 #%(order_id)s（%(service)s）。原因：%(reason)s。"
            "订单已回到待派单，请重新派单。"
        ),
    ),
    "order_dispatched": _dispatched,
    "order_disputed": _simple(
        gettext_noop("群众投诉待考核：%(service)s"),
        gettext_noop(
            "#%(order_id)s（%(service)s，%(site)s）收到投诉：%(dispute)s。已进入县级考核队列。"
        ),
    ),
    "order_escalated": _escalated,
    "order_nudged": _simple(
        gettext_noop("群众催单：%(service)s"),
        gettext_noop("#%(order_id)s（%(service)s，%(site)s）的群众在催单，请尽快处理。"),
    ),
    "order_overdue": _simple(
        gettext_noop("超时未派单：%(service)s"),
        gettext_noop(
            "#%(order_id)s（%(service)s，%(site)s）在县级中心超过时限仍未派单，请尽快处理。"
        ),
    ),
    "order_rated": _with(
        "comment",
        gettext_noop("群众已评价：%(service)s"),
        gettext_noop("#%(order_id)s（%(service)s）获得 %(score)s 分评价。"),
        gettext_noop("#%(order_id)s（%(service)s）获得 %(score)s 分评价。评语：%(comment)s"),
    ),
    "order_rejected": _simple(
        gettext_noop("您的点单未能受理：%(service)s"),
        gettext_noop(
            "很抱歉，您的点单 #%(order_id)s（%(service)s）未能受理。原因：%(reason)s。"
            "如有需要可以联系%(site)s。"
        ),
    ),
    "order_released": _released,
    "redemption_ready": _simple(
        gettext_noop("兑换成功，请到%(site)s领取"),
        gettext_noop("您用 %(points)s 积分兑换的“%(reward)s”已备好，请到%(site)s领取。"),
    ),
    "resident_accepted": _simple(
        gettext_noop("志愿者已接单：%(service)s"),
        gettext_noop(
            "志愿者 %(volunteer)s（%(volunteer_phone)s）已接下您的点单 #%(order_id)s"
            "（%(service)s），会按约定时间上门服务。"
        ),
    ),
    "resident_assessed": _assessed,
    "resident_cancelled": _with(
        "reason",
        gettext_noop("点单已取消：%(service)s"),
        gettext_noop("您的点单 #%(order_id)s（%(service)s）已取消。"),
        gettext_noop("您的点单 #%(order_id)s（%(service)s）已取消。原因：%(reason)s。"),
    ),
    "resident_completed": _simple(
        gettext_noop("服务已完成，请评价：%(service)s"),
        gettext_noop(
            "您的点单 #%(order_id)s（%(service)s）已服务完成。请在 7 天内打开订单为这次服务打分。"
        ),
    ),
    "resident_dispatched": _simple(
        gettext_noop("已派单：%(service)s"),
        gettext_noop(
            "您的点单 #%(order_id)s（%(service)s）已由%(handling_site)s派给志愿者，"
            "正在等待志愿者接单。"
        ),
    ),
    "resident_escalated": _simple(
        gettext_noop("点单已转上级阵地：%(service)s"),
        gettext_noop(
            "您的点单 #%(order_id)s（%(service)s）已转交%(handling_site)s办理，请继续留意派单进度。"
        ),
    ),
    "resident_started": _simple(
        gettext_noop("服务已开始：%(service)s"),
        gettext_noop("志愿者 %(volunteer)s 已签到，开始为您服务（#%(order_id)s，%(service)s）。"),
    ),
    "volunteer_approved": _simple(
        gettext_noop("志愿者申请已通过"),
        gettext_noop(
            "%(name)s，您申请成为%(site)s的志愿者已审核通过，志愿者编号 %(number)s。欢迎加入！"
        ),
    ),
    "volunteer_reinstated": _simple(
        gettext_noop("志愿服务已恢复"),
        gettext_noop("%(name)s，您在%(site)s的志愿者身份已恢复，可以继续接单服务。"),
    ),
    "volunteer_rejected": _simple(
        gettext_noop("志愿者申请未通过"),
        gettext_noop(
            "%(name)s，您在%(site)s的志愿者申请未通过。原因：%(reason)s。您可以修改后重新申请。"
        ),
    ),
}


def register_kinds(kinds: Mapping[str, Callable[[Params], Message]]) -> None:
    """Add the messages of an app above this one (``AppConfig.ready``): notifications
    renders them without importing that app."""
    clash = set(kinds) & set(KINDS)
    if clash and any(KINDS[k] is not kinds[k] for k in clash):
        raise LookupError(f"notification kinds registered twice: {sorted(clash)}")
    KINDS.update(kinds)


def _sms_assessed(p: Params) -> str:
    if p["status"] == "assessed":
        return gettext_noop("“%(service)s”已通过考核，订单办结，感谢评价。单号%(order_id)s")
    return gettext_noop("“%(service)s”考核未通过，站点会跟进。单号%(order_id)s")


# Text messages: at most 70 characters (apps.notifications.sms.MAX_SMS_CHARS), so the
# service title, names and reasons are cut short before they go in.
SMS: dict[str, Callable[[Params], str]] = {
    # Not a notification: a code to a mobile (apps.notifications.texts).
    "account_claim_code": lambda p: gettext_noop(
        "【开通账号】验证码%(code)s，%(minutes)s分钟内有效，仅用于开通您在实践站登记的账号。"
        "如非本人操作请忽略。"
    ),
    "order_rejected": lambda p: gettext_noop(
        "您的点单“%(service)s”未能受理：%(reason)s。单号%(order_id)s"
    ),
    "resident_accepted": lambda p: gettext_noop(
        "%(volunteer)s（%(volunteer_phone)s）已接下您的“%(service)s”，单号%(order_id)s。"
    ),
    "resident_assessed": _sms_assessed,
    "resident_cancelled": lambda p: gettext_noop("您的点单“%(service)s”已取消。单号%(order_id)s"),
    "resident_completed": lambda p: gettext_noop(
        "“%(service)s”已服务完成，请7天内登录平台评价。单号%(order_id)s"
    ),
    "resident_dispatched": lambda p: gettext_noop(
        "%(service)s已派单，等待志愿者接单。单号%(order_id)s"
    ),
    "resident_escalated": lambda p: gettext_noop(
        "“%(service)s”已转%(handling_site)s办理。单号%(order_id)s"
    ),
    "resident_started": lambda p: gettext_noop(
        "志愿者已签到，开始“%(service)s”服务。单号%(order_id)s"
    ),
}

# How much of each free-text value fits in a text message.
SMS_LENGTHS = {"service": 12, "reason": 16, "volunteer": 6, "handling_site": 14}


def render_message(kind: str, params: Mapping[str, Any]) -> Message:
    """The notification's title and body in the active language."""
    renderer = KINDS.get(kind)
    if renderer is None:
        raise LookupError(f"no message for notification kind {kind!r}")
    return renderer(Params(params))


def render_sms(kind: str, params: Mapping[str, Any]) -> str:
    """The text message in the active language, on one line."""
    p = Params(params)
    short = Params(p, **{key: p.short(key, n) for key, n in SMS_LENGTHS.items()})
    text = gettext(SMS[kind](short)) % short
    return " ".join(text.split())


def has_sms(kind: str) -> bool:
    return kind in SMS


def email_body(message: Message, url: str) -> str:
    """The e-mail text in the active language: the body, the link, the signature."""
    link = settings.PORTAL_BASE_URL.rstrip("/") + url
    more = "\n\n" + gettext("查看详情：%(link)s") % {"link": link} if url else ""
    return f"{message.body}{more}\n\n—— {settings.PORTAL_NAME}"
