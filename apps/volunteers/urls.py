from django.urls import path

from . import views

app_name = "volunteers"

urlpatterns = [
    path("apply/", views.apply, name="apply"),
    path("me/", views.me, name="me"),
    path("me/withdraw/", views.withdraw, name="withdraw"),
    path("roster/", views.roster, name="roster"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/review/<str:action>/", views.review, name="review"),
    path("<int:pk>/reveal/<str:field>/", views.reveal, name="reveal"),
    path("<int:pk>/records/", views.record_service, name="record"),
    path("<int:pk>/certificates/", views.issue_certificate, name="issue_certificate"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:pk>/", views.team, name="team"),
    path("teams/<int:pk>/remove/<int:volunteer_id>/", views.team_remove, name="team_remove"),
    path("certificates/<str:number>/", views.certificate, name="certificate"),
    path("certificates/<str:number>/seal/", views.certificate_seal, name="certificate_seal"),
    path("verify/", views.verify, name="verify"),
]
