from django.urls import path

from qinqing.cases import audit

app_name = "audit"
urlpatterns = [
    path("unmask/", audit.unmask_log, name="unmask"),
    path("unmask/export.xlsx", audit.unmask_log_xlsx, name="unmask_xlsx"),
]
