"""/api/v1/: every app's API routes."""

from django.urls import include, path
from rest_framework.routers import DefaultRouter

from apps.accounts import api as accounts_api
from apps.sites.api import SiteViewSet

router = DefaultRouter()
router.register("sites", SiteViewSet, basename="site")

urlpatterns = [
    path("auth/register/", accounts_api.RegisterView.as_view(), name="api-register"),
    path("auth/token/", accounts_api.TokenView.as_view(), name="api-token"),
    path("me/", accounts_api.MeView.as_view(), name="api-me"),
    path("users/", accounts_api.UserDirectoryView.as_view(), name="api-users"),
    path("", include(router.urls)),
]
