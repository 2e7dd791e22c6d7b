from django.urls import path

from . import views

app_name = "programmes"

urlpatterns = [
    path("", views.programme_list, name="list"),
    path("new/", views.programme_create, name="create"),
    path("<int:pk>/", views.programme_detail, name="detail"),
    path("<int:pk>/edit/", views.programme_edit, name="edit"),
    path("<int:programme_pk>/batches/new/", views.batch_create, name="batch_create"),
    path("batches/<int:pk>/", views.batch_detail, name="batch"),
    path("batches/<int:pk>/edit/", views.batch_edit, name="batch_edit"),
    path(
        "batches/<int:pk>/composition.xlsx",
        views.batch_composition_export,
        name="batch_composition_export",
    ),
    path("batches/<int:batch_pk>/posts/new/", views.post_create, name="post_create"),
    path("posts/<int:pk>/edit/", views.post_edit, name="post_edit"),
    path("posts/<int:pk>/delete/", views.post_delete, name="post_delete"),
    path("placements/", views.placement_list, name="placements"),
    path("placements/<int:pk>/", views.placement_detail, name="placement"),
    path("placements/<int:pk>/finish/", views.placement_finish, name="placement_finish"),
    path("placements/<int:pk>/change/", views.placement_change_request, name="placement_change"),
    path(
        "placements/<int:pk>/change/<int:change_pk>/decide/",
        views.placement_change_decide,
        name="placement_change_decide",
    ),
    path(
        "placements/<int:pk>/change/<int:change_pk>/cancel/",
        views.placement_change_cancel,
        name="placement_change_cancel",
    ),
]
