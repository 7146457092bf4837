from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShowcaseConfig(AppConfig):
    name = "apps.showcase"
    label = "showcase"
    verbose_name = _("晒成果")

    def ready(self) -> None:
        from apps.core import panels
        from apps.notifications.messages import register_kinds

        from .messages import KINDS
        from .panels import activity_panel, order_panel

        register_kinds(KINDS)

        panels.register("activity_detail", activity_panel)
        panels.register("order_detail", order_panel)
