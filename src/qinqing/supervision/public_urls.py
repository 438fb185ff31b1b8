"""Pages without login."""

from django.urls import path

from qinqing.supervision import views

app_name = "public"
urlpatterns = [
    path("listed/", views.public_listed, name="listed"),
]
