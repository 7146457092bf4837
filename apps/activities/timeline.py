"""What an activity event says, in the reader's language (like apps.orders.timeline):
services store ``code`` + ``params``; ``event_text`` renders one sentence."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext, gettext_noop

from apps.core.wording import list_text

EVENT_TEXTS: dict[str, str] = {
    "": gettext_noop("%(action)s"),
    "edited": gettext_noop("修改了活动"),
    "signed_up": gettext_noop("%(name)s 报名%(role)s"),
    "waitlisted": gettext_noop("%(name)s 报名%(role)s，进入候补"),
    "promoted": gettext_noop("%(name)s 由候补转为%(role)s正式报名"),
    "withdrawn": gettext_noop("%(name)s 退出%(role)s"),
    "approved": gettext_noop("通过 %(name)s 的报名（%(role)s）"),
    "refused": gettext_noop("未通过 %(name)s 的报名（%(role)s）"),
    "invited": gettext_noop("邀请 %(names)s 担任%(role)s"),
    "invite_accepted": gettext_noop("%(name)s 接受邀请（%(role)s）"),
    "invite_declined": gettext_noop("%(name)s 谢绝邀请（%(role)s）"),
    "resident_registered": gettext_noop("群众报名参加（%(count)s/%(limit)s）"),
    "resident_unregistered": gettext_noop("群众取消参加"),
    "checked_in": gettext_noop("%(name)s 扫码签到"),
    "checked_in_far": gettext_noop("%(name)s 扫码签到（距活动地点 %(metres)s 米，超出范围）"),
    "checked_out": gettext_noop("%(name)s 扫码签退，%(hours)s 小时"),
    "attendance_marked": gettext_noop("工作人员为 %(name)s 补记签到，%(hours)s 小时"),
    "attendance_confirmed": gettext_noop(
        "确认出勤：%(confirmed)s 人到场，%(no_show)s 人缺席，%(open)s 人未签退待更正"
    ),
    "attendance_corrected": gettext_noop("更正 %(name)s 的出勤为 %(hours)s 小时"),
    "attendance_no_show": gettext_noop("更正 %(name)s 为缺席"),
}
WITH_NOTE = gettext_noop("%(text)s：%(note)s")


class _Params(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return ""


def event_text(event: Any, action_label: str = "") -> str:
    template = EVENT_TEXTS.get(event.code or "")
    note = (event.note or "").strip()
    if template is None:
        return note
    values = _Params(event.params or {})
    if isinstance(values.get("names"), list):
        values["names"] = list_text(values["names"])
    values["action"] = action_label
    text = gettext(template) % values
    return gettext(WITH_NOTE) % {"text": text, "note": note} if note else text
