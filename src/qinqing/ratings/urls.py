from django.urls import path

from qinqing.ratings import views
from qinqing.ratings import views_cases

app_name = "ratings"
urlpatterns = [
    # The printed address of a supervision code (qinqing.codes): the page to rate. It is
    # matched before codes' own /c/<token> (qinqing/urls.py), which stays as the page
    # without ratings and as the name codes reverses to print its addresses.
    path("c/<str:token>", views.scan, name="scan"),
    # A closed case's SMS invitation (issue 17 §3), and the managers' GB/T 39046 export.
    path("r/<str:token>", views_cases.rate_case, name="rate_case"),
    path("ratings/export/", views_cases.export, name="export"),
]
