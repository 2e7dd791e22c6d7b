from django.urls import path

from . import views

app_name = "selection"

urlpatterns = [
    path("", views.nomination_list, name="list"),
    path("new/", views.nomination_create, name="create"),
    path("approve/", views.nomination_bulk_approve, name="bulk_approve"),
    path("<int:pk>/", views.nomination_detail, name="detail"),
    path("<int:pk>/decide/", views.nomination_decide, name="decide"),
    path("<int:pk>/withdraw/", views.nomination_withdraw, name="withdraw"),
    path("programmes/<int:programme_pk>/levels/", views.levels, name="levels"),
    path("batches/<int:batch_pk>/match/", views.match, name="match"),
    path("batches/<int:batch_pk>/match/rule/", views.match_rule, name="match_rule"),
    path("batches/<int:batch_pk>/match/decide/", views.match_decide_all, name="match_decide_all"),
]
