from django.urls import path

from . import views

app_name = "returns"

urlpatterns = [
    path("", views.index, name="list"),
    path("placement/<int:placement_id>/", views.placement_page, name="placement"),
    path("placement/<int:placement_id>/edit/", views.return_edit, name="edit"),
    path("follow-ups/<int:pk>/", views.follow_up, name="follow_up"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("outcomes/", views.outcomes, name="outcomes"),
    path("outcomes.xlsx", views.outcomes_export, name="outcomes_export"),
]
