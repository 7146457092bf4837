from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = _("消息通知")

    def ready(self) -> None:
        from apps.accounts.texts import register_text_sender

        from .texts import text_queue

        register_text_sender(text_queue)
