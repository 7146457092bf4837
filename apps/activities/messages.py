"""What each activity notification says (registered with apps.notifications.messages
in ``ActivitiesConfig.ready``), rendered in the reader's language from its params."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_noop

from apps.notifications.messages import Message, Params, _t, _when


def _times(p: Params) -> Params:
    return Params(
        p,
        start_at=_when(p["start"], gettext_noop("n月j日 H:i")),
        end_at=_when(p["end"], gettext_noop("H:i")),
    )


def _simple(title: str, body: str) -> Callable[[Params], Message]:
    return lambda p: Message(_t(title, _times(p)), _t(body, _times(p)))


def _changed(p: Params) -> Message:
    q = _times(p)
    return Message(
        _t(gettext_noop("活动时间或地点有变：%(title)s"), q),
        _t(
            gettext_noop(
                "您报名的“%(title)s”（%(site)s）已调整，现在的时间：%(start_at)s—%(end_at)s，"
                "地点：%(address)s。"
            ),
            q,
        ),
    )


def _refused(p: Params) -> Message:
    body = (
        gettext_noop("很抱歉，您报名“%(title)s”的%(role)s岗位未通过。原因：%(reason)s")
        if p["reason"]
        else gettext_noop("很抱歉，您报名“%(title)s”的%(role)s岗位未通过。")
    )
    return Message(_t(gettext_noop("报名未通过：%(title)s"), p), _t(body, p))


KINDS: dict[str, Callable[[Params], Message]] = {
    "activity_cancelled": lambda p: Message(
        _t(gettext_noop("活动已取消：%(title)s"), p),
        _t(
            gettext_noop("您报名的“%(title)s”（%(site)s，%(start_at)s）已取消。原因：%(reason)s"),
            _times(p),
        ),
    ),
    "activity_changed": _changed,
    "activity_invited": _simple(
        gettext_noop("活动邀请：%(title)s"),
        gettext_noop(
            "%(site)s邀请您参加“%(title)s”，担任%(role)s。时间：%(start_at)s—%(end_at)s，"
            "地点：%(address)s。请打开活动接受或谢绝。"
        ),
    ),
    "activity_promoted": _simple(
        gettext_noop("候补成功：%(title)s"),
        gettext_noop(
            "有人退出了“%(title)s”，您已从候补转为%(role)s岗位的正式报名。时间：%(start_at)s，"
            "地点：%(address)s。"
        ),
    ),
    "activity_approved": _simple(
        gettext_noop("报名已通过：%(title)s"),
        gettext_noop(
            "您报名“%(title)s”的%(role)s岗位已通过。时间：%(start_at)s—%(end_at)s，地点：%(address)s。"
        ),
    ),
    "activity_refused": _refused,
    "activity_reminder_day": _simple(
        gettext_noop("明天的活动：%(title)s"),
        gettext_noop("提醒：您报名的“%(title)s”将于 %(start_at)s 开始，地点：%(address)s。"),
    ),
    "activity_reminder_soon": _simple(
        gettext_noop("活动两小时后开始：%(title)s"),
        gettext_noop("提醒：“%(title)s”将于 %(start_at)s 开始，地点：%(address)s，请准时签到。"),
    ),
}
