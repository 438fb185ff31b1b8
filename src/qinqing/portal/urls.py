from django.urls import path

from qinqing.portal import views

app_name = "portal"
urlpatterns = [
    path("submit/", views.submit, name="submit"),
    path("track/", views.track, name="track"),
    path("track/<str:number>/", views.tracked_case, name="case"),
]
