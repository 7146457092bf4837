from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from apps.accounts import views as account_views
from apps.reports import start as start_views

from .health import healthz

admin.site.site_header = "新时代文明实践志愿服务平台 · 管理后台"
admin.site.site_title = "实践平台管理"

urlpatterns = [
    path("", start_views.home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("accounts/", include("apps.accounts.urls")),
    path("sites/", include("apps.sites.urls")),
    path("orders/", include("apps.orders.urls")),
    path("activities/", include("apps.activities.urls")),
    path("showcase/", include("apps.showcase.urls")),
    path("volunteers/", include("apps.volunteers.urls")),
    path("points/", include("apps.points.urls")),
    path("notifications/", include("apps.notifications.urls")),
    path("reports/", include("apps.reports.urls")),
    # Open311 GeoReport v2 for other systems, and the page where their keys are issued.
    path("open311/", include("apps.open311.urls")),
    # The language switch (Django's set_language, plus the signed-in user's choice kept).
    path("i18n/setlang/", account_views.language_set, name="set_language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("practice_portal.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="api-docs"),
]

# Unknown URLs under /api/ answer problem JSON like every other API error.
handler404 = "apps.core.api.page_not_found"
# A database that is down answers 503 wherever the error was raised.
handler500 = "apps.core.unavailable.server_error"

# Uploads are never served from MEDIA_URL, not even with DEBUG on: each kind has a view
# that checks who may see it (order photos: /orders/photos/<id>/).
