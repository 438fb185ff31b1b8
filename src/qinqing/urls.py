from django.contrib import admin
from django.urls import include, path

from qinqing.api.main import api
from qinqing.insights.urls import public_urlpatterns
from qinqing.supervision.public_urls import urlpatterns as listed_urlpatterns

urlpatterns = [
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("cases/", include("qinqing.cases.urls")),
    path("audit/", include("qinqing.cases.audit_urls")),
    path("intake/", include("qinqing.intake.urls")),
    path("open311/", include("qinqing.open311.urls")),
    # /c/<token> answers from ratings (the page to rate, on codes' look-up) before codes.
    path("", include("qinqing.ratings.urls")),
    path("", include("qinqing.codes.urls")),  # /c/<token>: a supervision code's page
    path("", include("qinqing.portal.urls")),  # /submit/, /track/: the public side
    path("supervision/", include("qinqing.supervision.urls")),
    path("notifications/", include("qinqing.notifications.urls")),
    path("oversight/", include("qinqing.oversight.urls")),
    path("insights/", include("qinqing.insights.urls")),
    # Pages without login, one namespace: listed cases and published figures.
    path("public/", include(([*listed_urlpatterns, *public_urlpatterns[0]], "public"))),
    path("", include("qinqing.web.urls")),
]
