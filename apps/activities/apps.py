from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ActivitiesConfig(AppConfig):
    name = "apps.activities"
    label = "activities"
    verbose_name = _("活动与招募")

    def ready(self) -> None:
        from apps.notifications.messages import register_kinds

        from .messages import KINDS

        register_kinds(KINDS)
