from django.urls import path

from . import feeds, manage_views, views

app_name = "showcase"

urlpatterns = [
    path("", views.showcase_list, name="list"),
    path("feed.json", feeds.json_feed, name="feed_json"),
    path("feed.rss", feeds.rss_feed, name="feed_rss"),
    path("site/<int:site_id>/", views.site_list, name="site"),
    path("site/<int:site_id>/feed.json", feeds.json_feed, name="site_feed_json"),
    path("site/<int:site_id>/feed.rss", feeds.rss_feed, name="site_feed_rss"),
    path("activity/<int:activity_id>/", views.activity_posts, name="activity"),
    path("photos/<int:pk>/<slug:variant>/", views.photo, name="photo"),
    path("manage/", manage_views.manage, name="manage"),
    path("new/", manage_views.create, name="create"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", manage_views.edit, name="edit"),
    path("<int:pk>/<slug:action>/", manage_views.action, name="action"),
]
