from django.urls import include, path

app_name = "insights"
urlpatterns = [
    path("", include("qinqing.insights.dashboard_urls")),  # dashboard, lobby, ranking
]
