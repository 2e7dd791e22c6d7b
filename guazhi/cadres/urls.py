from django.urls import path

from . import views

app_name = "cadres"

urlpatterns = [
    path("", views.cadre_list, name="list"),
    path("export.<str:fmt>", views.cadre_export, name="export"),
    path("new/", views.cadre_create, name="create"),
    path("<int:pk>/", views.cadre_detail, name="detail"),
    path("<int:pk>/edit/", views.cadre_edit, name="edit"),
    path("<int:pk>/reveal/<str:field>/", views.cadre_reveal, name="reveal"),
    path("<int:pk>/lrmx/", views.cadre_lrmx, name="lrmx"),
    path("<int:pk>/pool/join/", views.pool_join, name="pool_join"),
    path("<int:pk>/pool/leave/", views.pool_leave, name="pool_leave"),
    path("pool/", views.pool, name="pool"),
    path("tags/", views.tags, name="tags"),
    path("import/", views.import_upload, name="import"),
    path("import/check/", views.import_check, name="import_check"),
    path("import/template.xlsx", views.import_template, name="import_template"),
]
