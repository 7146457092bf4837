from django.urls import path

from . import national_views, views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("items/", views.items, name="items"),
    path("national/", national_views.national_export, name="national"),
]
