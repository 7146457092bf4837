from django.urls import path, re_path

from . import key_views, views

app_name = "open311"

FMT = r"\.(?P<fmt>xml|json)$"

urlpatterns = [
    path("keys/", key_views.keys_page, name="keys"),
    path("keys/<int:pk>/revoke/", key_views.revoke, name="revoke"),
    path("v2/", views.root, name="root"),
    re_path(r"^v2/discovery" + FMT, views.discovery, name="discovery"),
    re_path(r"^v2/services" + FMT, views.services, name="services"),
    re_path(r"^v2/services/(?P<code>[^/]{1,100})" + FMT, views.service_definition, name="service"),
    re_path(r"^v2/requests" + FMT, views.requests, name="requests"),
    re_path(r"^v2/requests/(?P<rid>[^/]{1,100})" + FMT, views.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[^/]{1,100})" + FMT, views.token_detail, name="token"),
    re_path(r"^(?P<rest>v2/.*)$", views.not_found),
]
