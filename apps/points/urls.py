from django.urls import path

from . import views

app_name = "points"

urlpatterns = [
    path("", views.my_points, name="my_points"),
    path("shop/", views.shop, name="shop"),
    path("shop/<int:pk>/redeem/", views.redeem, name="redeem"),
    path("redemptions/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("handover/", views.handover, name="handover"),
    path("redemptions/<int:pk>/hand-over/", views.hand_over, name="hand_over"),
    path("rewards/", views.rewards, name="rewards"),
    path("rewards/<int:pk>/", views.rewards, name="reward_edit"),
    path("rewards/<int:pk>/photo/", views.reward_photo, name="reward_photo"),
    path("settlements/", views.settlements, name="settlements"),
]
