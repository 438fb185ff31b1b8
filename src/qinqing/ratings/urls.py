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

# The follow-up rating, appeals and the rater's callback details (ratings/followup_views.py).
from qinqing.ratings import followup_views  # noqa: E402

urlpatterns += [
    path("track/<str:number>/rate-again/", followup_views.rate_again, name="rate-again"),
    path("ratings/cases/<str:number>/rate-again/", followup_views.rate_again_by_phone,
         name="rate-again-by-phone"),
    path("ratings/cases/<str:number>/appeal/", followup_views.appeal, name="appeal"),
    path("ratings/appeals/<int:pk>/decide/", followup_views.decide, name="decide"),
    path("ratings/cases/<str:number>/rater/", followup_views.rater, name="rater"),
]
