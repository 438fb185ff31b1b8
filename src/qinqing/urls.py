from django.contrib import admin
from django.urls import include, path

from qinqing.api.main import api
from qinqing.insights.urls import public_urlpatterns

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("cases/", include("qinqing.cases.urls")),
    path("intake/", include("qinqing.intake.urls")),
    path("supervision/", include("qinqing.supervision.urls")),
    path("insights/", include("qinqing.insights.urls")),
    path("public/", include(public_urlpatterns)),
    path("", include("qinqing.web.urls")),
]
