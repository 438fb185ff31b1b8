from django.urls import path

from qinqing.intake import views

app_name = "intake"
urlpatterns = [
    path("new/", views.new_case, name="new"),
    path("caller/", views.caller_cases, name="caller"),
    path("similar/", views.similar, name="similar"),
]
