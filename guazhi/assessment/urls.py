from django.urls import path

from . import views

app_name = "assessment"

urlpatterns = [
    path("", views.index, name="list"),
    # Indicator library and rules
    path("indicators/", views.indicator_list, name="indicators"),
    path("indicators/new/", views.indicator_create, name="indicator_create"),
    path("indicators/<int:pk>/edit/", views.indicator_edit, name="indicator_edit"),
    path("programmes/<int:pk>/policy/", views.policy_edit, name="policy"),
    # Plans
    path("batches/<int:pk>/plans/", views.plan_list, name="plans"),
    path("batches/<int:pk>/plans/start/", views.plan_start_all, name="plans_start"),
    path("placements/<int:pk>/plan/", views.plan_detail, name="plan"),
    path("placements/<int:pk>/plan/start/", views.plan_start, name="plan_start"),
    path("placements/<int:pk>/plan/edit/", views.plan_edit, name="plan_edit"),
    path("plans/<int:pk>/agree/", views.plan_agree, name="plan_agree"),
    path("plans/<int:pk>/approve/", views.plan_approve, name="plan_approve"),
    path("plans/<int:pk>/template/", views.plan_save_template, name="plan_save_template"),
    # 平时考核
    path("batches/<int:pk>/quarters/", views.quarter_current, name="quarters"),
    path(
        "batches/<int:pk>/quarters/<int:year>/<int:quarter>/",
        views.quarter_page,
        name="quarter",
    ),
    path(
        "batches/<int:pk>/quarters/<int:year>/<int:quarter>/propose/<int:placement_pk>/",
        views.quarter_propose,
        name="quarter_propose",
    ),
    path(
        "batches/<int:pk>/quarters/<int:year>/<int:quarter>/confirm/",
        views.quarter_confirm,
        name="quarter_confirm",
    ),
    # Rounds and entries
    path("batches/<int:pk>/rounds/new/", views.round_create, name="round_create"),
    path("rounds/<int:pk>/", views.round_detail, name="round"),
    path("rounds/<int:pk>/compute/", views.round_compute, name="round_compute"),
    path("rounds/<int:pk>/decide/", views.round_decide, name="round_decide"),
    path("rounds/<int:pk>/results.xlsx", views.round_results_xlsx, name="round_results_xlsx"),
    path("entries/<int:pk>/", views.entry_detail, name="entry"),
    path("entries/<int:pk>/items/<int:item_pk>/score/", views.entry_score, name="entry_score"),
    path("entries/<int:pk>/summary/", views.entry_summary, name="entry_summary"),
    path("entries/<int:pk>/form.xlsx", views.entry_form_xlsx, name="entry_form_xlsx"),
    path("entries/<int:pk>/form.pdf", views.entry_form_pdf, name="entry_form_pdf"),
    path("entries/<int:pk>/appeal/", views.appeal_create, name="appeal_create"),
    # 我的评价任务
    path("ratings/", views.rating_list, name="ratings"),
    path("ratings/<int:pk>/", views.rating_submit, name="rating_submit"),
    # Appeals
    path("appeals/<int:pk>/", views.appeal_detail, name="appeal"),
    path("appeals/<int:pk>/decide/", views.appeal_decide, name="appeal_decide"),
]
