from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "apps.orders"
    label = "orders"
    verbose_name = _("服务菜单与点单")

    def ready(self) -> None:
        from apps.volunteers.hooks import on_volunteer_deactivated

        from .services.release import assignments_end_for_volunteer

        on_volunteer_deactivated(assignments_end_for_volunteer)
