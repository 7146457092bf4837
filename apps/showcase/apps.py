from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ShowcaseConfig(AppConfig):
    name = "apps.showcase"
    label = "showcase"
    verbose_name = _("晒成果")

    def ready(self) -> None:
        from apps.core import panels

        from .panels import activity_panel, order_panel

        panels.register("activity_detail", activity_panel)
        panels.register("order_detail", order_panel)
