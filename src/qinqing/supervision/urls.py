from django.urls import path

from qinqing.supervision import views

app_name = "supervision"
urlpatterns = [
    path("", views.board, name="board"),
    path("remind/", views.remind, name="remind"),
    path("list/<str:number>/", views.list_case, name="list"),
    path("letters/<int:pk>/", views.letter_pdf, name="letter"),
]
