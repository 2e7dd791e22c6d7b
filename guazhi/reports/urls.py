from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("print/cadres/<int:pk>.pdf", views.cadre_pdf, name="cadre_pdf"),
    path("<slug:slug>/", views.page, name="page"),
    path("<slug:slug>/export.<str:fmt>", views.export, name="export"),
]
