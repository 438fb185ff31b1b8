from django.urls import path

from qinqing.portal import views

app_name = "portal"
urlpatterns = [
    path("submit/", views.submit, name="submit"),
    path("mailbox/", views.mailbox, name="mailbox"),
    path("mailbox/letters/", views.letters, name="letters"),
    path("mailbox/review/", views.review_letters, name="review-letters"),
    path("cannot-do/<str:hall_code>/", views.cannot_do, name="cannot-do"),
    path("cannot-do/<str:hall_code>/poster.pdf", views.poster, name="poster"),
    path("posters/", views.posters, name="posters"),
    path("track/", views.track, name="track"),
    path("track/<str:number>/", views.tracked_case, name="case"),
    path("track/<str:number>/rate/", views.rate, name="rate"),
    path("track/<str:number>/files/<int:pk>/", views.tracked_file, name="file"),
]
