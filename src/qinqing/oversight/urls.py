from django.urls import path

from qinqing.oversight import views

app_name = "oversight"
urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/new/", views.campaign_new, name="campaign_new"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/close/", views.campaign_close, name="campaign_close"),
    path("meetings/", views.meeting_list, name="meetings"),
    path("meetings/new/", views.meeting_new, name="meeting_new"),
    path("meetings/<int:pk>/", views.meeting_detail, name="meeting"),
    path("meetings/<int:pk>/decisions/", views.decision_add, name="decision_add"),
    path("meetings/<int:pk>/decisions/<int:decision>/done/", views.decision_done,
         name="decision_done"),
    path("accountability/", views.record_list, name="records"),
    path("accountability/new/", views.record_new, name="record_new"),
    path("accountability/export.csv", views.record_export, name="record_export"),
    path("accountability/<int:pk>/", views.record_detail, name="record"),
    path("inspections/", views.inspection_list, name="inspections"),
    path("inspections/new/", views.inspection_new, name="inspection_new"),
    path("inspections/<int:pk>/", views.inspection_detail, name="inspection"),
    path("inspections/<int:pk>/problems/", views.problem_add, name="problem_add"),
]
