"""/api/v1/: every app's API routes."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from apps.accounts import api as accounts_api
from apps.activities import api as activities_api
from apps.notifications import api as notifications_api
from apps.orders import api as orders_api
from apps.points import api as points_api
from apps.reports import api as reports_api
from apps.reports import national_views
from apps.showcase import api as showcase_api
from apps.sites.api import SiteViewSet
from apps.volunteers import api as volunteers_api

router = DefaultRouter()
router.register("sites", SiteViewSet, basename="site")
router.register("services", orders_api.ServiceItemViewSet, basename="service")
router.register("orders", orders_api.OrderViewSet, basename="order")
router.register("volunteers", volunteers_api.VolunteerViewSet, basename="volunteer")
router.register("teams", volunteers_api.TeamViewSet, basename="team")
router.register("themes", activities_api.ThemeViewSet, basename="theme")
router.register("activities", activities_api.ActivityViewSet, basename="activity")
router.register("showcase/posts", showcase_api.PostViewSet, basename="showcase-post")
router.register(
    "showcase/published", showcase_api.PublishedPostViewSet, basename="showcase-published"
)
router.register("rewards", points_api.RewardViewSet, basename="reward")
router.register("redemptions", points_api.RedemptionViewSet, basename="redemption")
router.register("notifications", notifications_api.NotificationViewSet, basename="notification")

urlpatterns = [
    path("auth/register/", accounts_api.RegisterView.as_view(), name="api-register"),
    path("auth/token/", accounts_api.TokenView.as_view(), name="api-token"),
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path(
        "me/activity-calendar/",
        activities_api.ActivityCalendarView.as_view(),
        name="api-activity-calendar",
    ),
    path("users/", accounts_api.UserDirectoryView.as_view(), name="api-users"),
    path(
        "certificates/verify/",
        volunteers_api.CertificateVerifyView.as_view(),
        name="api-certificate-verify",
    ),
    path("points/balance/", points_api.BalanceView.as_view(), name="api-points-balance"),
    path("points/ledger/", points_api.LedgerView.as_view(), name="api-points-ledger"),
    path("settlements/", points_api.SettlementRunList.as_view(), name="api-settlements"),
    path("reports/summary/", reports_api.SummaryView.as_view(), name="api-reports-summary"),
    path("reports/sites/", reports_api.LeagueView.as_view(), name="api-reports-sites"),
    path(
        "reports/timeseries/", reports_api.TimeseriesView.as_view(), name="api-reports-timeseries"
    ),
    path("reports/export.xlsx", reports_api.ExportXlsxView.as_view(), name="api-reports-xlsx"),
    path("reports/export.csv", reports_api.ExportCsvView.as_view(), name="api-reports-csv"),
    path(
        "reports/national-records.xlsx",
        national_views.NationalExportView.as_view(),
        name="api-reports-national",
    ),
    path("", include(router.urls)),
]
