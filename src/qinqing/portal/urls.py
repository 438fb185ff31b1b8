from django.urls import path

from qinqing.portal import views

app_name = "portal"
urlpatterns = [
    path("", views.track, name="track"),
    path("<str:number>/", views.tracked_case, name="case"),
]
