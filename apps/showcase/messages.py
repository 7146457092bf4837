"""What the author hears about their post (registered with apps.notifications.messages
in ``ShowcaseConfig.ready``), rendered in the reader's language from its params."""

from __future__ import annotations

from collections.abc import Callable

from django.utils.translation import gettext_noop

from apps.notifications.messages import Message, Params, _t

KINDS: dict[str, Callable[[Params], Message]] = {
    "showcase_review": lambda p: Message(
        _t(gettext_noop("待审核稿件：%(title)s"), p),
        _t(gettext_noop("%(site)s的稿件“%(title)s”等待您审核。"), p),
    ),
    "showcase_returned": lambda p: Message(
        _t(gettext_noop("稿件退回修改：%(title)s"), p),
        _t(gettext_noop("您的稿件“%(title)s”被退回修改。意见：%(note)s"), p),
    ),
    "showcase_rejected": lambda p: Message(
        _t(gettext_noop("稿件未通过：%(title)s"), p),
        _t(gettext_noop("您的稿件“%(title)s”未通过审核。原因：%(note)s"), p),
    ),
    "showcase_published": lambda p: Message(
        _t(gettext_noop("稿件已发布：%(title)s"), p),
        _t(gettext_noop("您的稿件“%(title)s”已通过媒体中心终审并公开发布。"), p),
    ),
    "showcase_unpublished": lambda p: Message(
        _t(gettext_noop("稿件已撤下：%(title)s"), p),
        _t(gettext_noop("您的稿件“%(title)s”已撤稿。原因：%(note)s"), p),
    ),
}
