from django.urls import path

from qinqing.cases import views

app_name = "cases"
urlpatterns = [
    path("", views.search, name="search"),
    path("dispatch/", views.dispatch_queue, name="dispatch"),
    path("inbox/", views.inbox, name="inbox"),
    path("callbacks/", views.callbacks, name="callbacks"),
    path("<str:number>/", views.detail, name="detail"),
    path("<str:number>/reveal/", views.unmask, name="unmask"),
    path("<str:number>/files/<int:pk>/", views.attachment, name="attachment"),
    path("<str:number>/reclassify/", views.reclassify, name="reclassify"),
    path("<str:number>/act/<str:action>/", views.act, name="act"),
]
