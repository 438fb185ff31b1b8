from django.urls import include, path

from qinqing.insights import public_views, views

app_name = "insights"
urlpatterns = [
    path("bulletin/", views.bulletin, name="bulletin"),
    path("bulletin/file.<str:fmt>", views.download, name="download"),
    path("bulletin/publish/", views.publish, name="publish"),
    path("bulletin/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("channels/", views.channels, name="channels"),
    path("typical/", views.typical_list, name="typical"),
    path("typical/<str:number>/", views.typical_edit, name="typical_edit"),
    path("typical/<str:number>/withdraw/", views.typical_withdraw, name="typical_withdraw"),
    path("", include("qinqing.insights.dashboard_urls")),  # dashboard, lobby, ranking
]

public_urlpatterns = ([
    path("figures/", public_views.figures_page, name="figures"),
    path("figures.json", public_views.open_data_json, name="open_data_json"),
    path("figures.csv", public_views.open_data_csv, name="open_data_csv"),
    path("bulletins/<int:pk>/", public_views.bulletin_page, name="bulletin"),
    path("bulletins/<int:pk>.<str:fmt>", public_views.bulletin_file, name="bulletin_file"),
], "public")
