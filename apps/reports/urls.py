from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("bulletin/", views.bulletin, name="bulletin"),
    path("items/", views.items, name="items"),
]
