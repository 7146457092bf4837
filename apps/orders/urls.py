from django.urls import path

from . import photos, views

app_name = "orders"

urlpatterns = [
    path("menu/", views.menu, name="menu"),
    path("new/", views.order_create, name="create"),
    path("proxy/", views.proxy_create, name="proxy_create"),
    path("mine/", views.my_orders, name="my_orders"),
    path("tasks/", views.my_tasks, name="my_tasks"),
    path("board/", views.board, name="board"),
    path("assessment/", views.assessment, name="assessment"),
    path("items/", views.items, name="items"),
    path("items/new/", views.item_edit, name="item_create"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("photos/<int:pk>/", photos.photo, name="photo"),
    path("photos/<int:pk>/thumb/", photos.photo, {"variant": "thumb"}, name="photo_thumb"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.order_action, name="action"),
]
