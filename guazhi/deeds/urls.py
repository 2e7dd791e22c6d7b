from django.urls import path

from . import views

app_name = "deeds"

urlpatterns = [
    path("", views.deed_list, name="list"),
]
