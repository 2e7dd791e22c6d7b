from django.urls import path

from . import views

app_name = "projects"

urlpatterns = [
    path("", views.project_list, name="list"),
    path("export.xlsx", views.project_export, name="export"),
    path("board/", views.board, name="board"),
    path("funnel/", views.funnel, name="funnel"),
    path("green-channel/", views.green_channel, name="green_channel"),
    path("new/", views.project_create, name="create"),
    path("<int:pk>/", views.project_detail, name="detail"),
    path("<int:pk>/edit/", views.project_edit, name="edit"),
    path("<int:pk>/move/", views.project_move, name="move"),
    path("<int:pk>/terminate/", views.project_terminate, name="terminate"),
    path("<int:pk>/reopen/", views.project_reopen, name="reopen"),
    path("<int:pk>/members/new/", views.member_add, name="member_add"),
    path("members/<int:pk>/remove/", views.member_remove, name="member_remove"),
    path("<int:pk>/tasks/new/", views.task_add, name="task_add"),
    path("tasks/<int:pk>/", views.task_edit, name="task_edit"),
    path("<int:pk>/blockers/new/", views.blocker_add, name="blocker_add"),
    path("blockers/<int:pk>/", views.blocker_detail, name="blocker"),
    path("<int:pk>/updates/new/", views.update_add, name="update_add"),
    path("<int:pk>/credits/new/", views.credit_add, name="credit_add"),
    path("credits/<int:pk>/remove/", views.credit_remove, name="credit_remove"),
    path("enterprises/", views.enterprise_list, name="enterprises"),
    path("enterprises/new/", views.enterprise_create, name="enterprise_create"),
    path("enterprises/<int:pk>/", views.enterprise_detail, name="enterprise"),
    path("enterprises/<int:pk>/edit/", views.enterprise_edit, name="enterprise_edit"),
    path("enterprises/<int:pk>/contacts/new/", views.contact_add, name="contact_add"),
    path("contacts/<int:pk>/edit/", views.contact_edit, name="contact_edit"),
    path("contacts/<int:pk>/reveal/", views.contact_reveal, name="contact_reveal"),
    path("events/", views.event_list, name="events"),
    path("events/new/", views.event_create, name="event_create"),
    path("events/<int:pk>/", views.event_detail, name="event"),
    path("events/<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("settings/<int:programme_id>/", views.programme_settings, name="settings"),
]
