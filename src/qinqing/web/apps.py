from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "qinqing.web"
    label = "web"
    verbose_name = "Web"
