from django.urls import path, re_path

from qinqing.open311 import views

app_name = "open311"

FORMAT = r"\.(?P<fmt>json|xml)$"
urlpatterns = [
    path("discovery.json", views.discovery, name="discovery"),
    re_path(r"^v2/services" + FORMAT, views.services_list, name="services"),
    re_path(r"^v2/services/(?P<code>[^/]+)" + FORMAT, views.service_definition,
            name="service-definition"),
    re_path(r"^v2/requests" + FORMAT, views.requests, name="requests"),
    re_path(r"^v2/requests/(?P<number>[^/]+)" + FORMAT, views.request_detail, name="request"),
    re_path(r"^v2/tokens/(?P<token>[^/]+)" + FORMAT, views.token, name="token"),
]
