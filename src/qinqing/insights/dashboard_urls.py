"""URLs of the dashboard, the lobby display and the ranking (included by insights/urls.py)."""

from django.urls import path

from qinqing.insights import dashboard_views as views

urlpatterns = [
    path("dashboard/", views.dashboard_page, name="dashboard"),
    path("dashboard/data.json", views.dashboard_json, name="dashboard_json"),
    path("lobby/", views.lobby_page, name="lobby"),
    path("lobby/screen/", views.lobby_screen, name="lobby_screen"),
    path("lobby/data.json", views.lobby_json, name="lobby_json"),
    path("ranking/", views.ranking_page, name="ranking"),
]
