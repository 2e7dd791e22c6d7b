from django.urls import path

from . import views

app_name = "deeds"

urlpatterns = [
    path("", views.deed_list, name="list"),
    path("new/", views.deed_create, name="new"),
    path("export.xlsx", views.deed_export, name="export"),
    path("<int:pk>/", views.deed_detail, name="detail"),
    path("<int:pk>/edit/", views.deed_edit, name="edit"),
    path("<int:pk>/progress/", views.evidence_add, name="evidence_add"),
    path("<int:pk>/targets/", views.target_add, name="target_add"),
    path("<int:pk>/status/", views.status_change, name="status"),
    path("evidence/<int:pk>/photo/", views.evidence_photo, name="evidence_photo"),
    path("lookbacks/", views.lookback_list, name="lookbacks"),
    path("lookbacks/<int:pk>/", views.lookback_conclude, name="lookback"),
    path("rectifications/", views.rectification_list, name="rectifications"),
    path("rectifications/<int:pk>/", views.rectification_detail, name="rectification"),
    path("rectifications/<int:pk>/reveal/", views.rater_reveal, name="rater_reveal"),
    path("appeals/", views.appeal_list, name="appeals"),
    path("appeals/<int:pk>/", views.appeal_decide, name="appeal"),
    path("figures/", views.figures, name="figures"),
    path("panel/", views.panel_list, name="panel"),
    path("rules/", views.rules, name="rules"),
]
