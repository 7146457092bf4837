from django.urls import path

from . import calendar_views, checkin_views, views

app_name = "activities"

urlpatterns = [
    path("", views.activity_list, name="list"),
    path("mine/", views.my_activities, name="mine"),
    path("new/", views.activity_create, name="create"),
    path("themes/", views.theme_calendar, name="themes"),
    path("calendar/", calendar_views.my_calendar, name="my_calendar"),
    path("calendar/site/<int:site_id>.ics", calendar_views.site_feed, name="site_feed"),
    path("calendar/v/<slug:token>.ics", calendar_views.volunteer_feed, name="volunteer_feed"),
    path("<int:pk>/", views.activity_detail, name="detail"),
    path("<int:pk>/edit/", views.activity_edit, name="edit"),
    path("<int:pk>/cover/", views.cover, name="cover"),
    path("<int:pk>/cover/thumb/", views.cover, {"variant": "thumb"}, name="cover_thumb"),
    path("<int:pk>/qr/<slug:kind>/", checkin_views.qr_screen, name="qr"),
    path("<int:pk>/scan/<slug:kind>/", checkin_views.scan, name="scan"),
    path("<int:pk>/attendance/", checkin_views.attendance_sheet, name="attendance"),
    path(
        "<int:pk>/attendance/<slug:action>/",
        checkin_views.attendance_action,
        name="attendance_action",
    ),
    path("<int:pk>/signup/", views.signup, name="signup"),
    path("<int:pk>/invite/", views.invite, name="invite"),
    path(
        "<int:pk>/signups/<int:signup_id>/<slug:decision>/",
        views.signup_decide,
        name="signup_decide",
    ),
    path("<int:pk>/<slug:action>/", views.activity_action, name="action"),
]
