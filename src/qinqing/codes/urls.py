from django.urls import path

from qinqing.codes import views

app_name = "codes"
urlpatterns = [
    # The printed address: short, no trailing slash (every character makes the QR larger).
    path("c/<str:token>", views.scan, name="scan"),
    path("codes/", views.manage, name="manage"),
    path("codes/issue/", views.issue, name="issue"),
    path("codes/sheet.pdf", views.sheet, name="sheet"),
    path("codes/<int:pk>/withdraw/", views.withdraw, name="withdraw"),
    path("codes/<int:pk>/card.pdf", views.card, name="card"),
]
