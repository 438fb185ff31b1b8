from django.contrib import admin
from django.urls import include, path

from qinqing.api.main import api

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("cases/", include("qinqing.cases.urls")),
    path("intake/", include("qinqing.intake.urls")),
    path("supervision/", include("qinqing.supervision.urls")),
    path("notifications/", include("qinqing.notifications.urls")),
    path("public/", include("qinqing.supervision.public_urls")),
    path("oversight/", include("qinqing.oversight.urls")),
    path("", include("qinqing.web.urls")),
]
