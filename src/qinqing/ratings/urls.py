from django.urls import path

from qinqing.ratings import views

app_name = "ratings"
urlpatterns = [
    # The printed address of a supervision code (qinqing.codes): the page to rate. It is
    # matched before codes' own /c/<token> (qinqing/urls.py), which stays as the page
    # without ratings and as the name codes reverses to print its addresses.
    path("c/<str:token>", views.scan, name="scan"),
]
