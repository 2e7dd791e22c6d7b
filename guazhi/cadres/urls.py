from django.urls import path

from . import views

app_name = "cadres"

urlpatterns = [
    path("", views.cadre_list, name="list"),
    path("pool/", views.cadre_list, name="pool"),
    path("import/", views.cadre_list, name="import"),
    path("tags/", views.cadre_list, name="tags"),
]
