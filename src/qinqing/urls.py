from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView

from qinqing.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("", RedirectView.as_view(pattern_name="admin:index", permanent=False)),
]
