from django.urls import path

from . import views

app_name = "sites"

urlpatterns = [
    path("", views.directory, name="directory"),
    path("<int:pk>/", views.detail, name="detail"),
    path("manage/", views.manage, name="manage"),
    path("manage/new/", views.edit, name="create"),
    path("manage/<int:pk>/edit/", views.edit, name="edit"),
]
