from django.urls import path

from . import assess_views, phone_views, photos, task_views, views

app_name = "orders"

urlpatterns = [
    path("menu/", views.menu, name="menu"),
    path("new/", views.order_create, name="create"),
    path("proxy/", views.proxy_create, name="proxy_create"),
    path("phone/", phone_views.phone_order, name="phone_order"),
    path("family/", phone_views.family, name="family"),
    path("family/<int:pk>/unlink/", phone_views.family_unlink, name="family_unlink"),
    path("mine/", views.my_orders, name="my_orders"),
    path("tasks/", task_views.my_tasks, name="my_tasks"),
    path("board/", views.board, name="board"),
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/bulk/", assess_views.bulk_assess, name="bulk_assess"),
    path("items/", views.items, name="items"),
    path("items/new/", views.item_edit, name="item_create"),
    path("items/<int:pk>/edit/", views.item_edit, name="item_edit"),
    path("photos/<int:pk>/", photos.photo, name="photo"),
    path("photos/<int:pk>/thumb/", photos.photo, {"variant": "thumb"}, name="photo_thumb"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/<slug:action>/", views.order_action, name="action"),
]
