from django.urls import path

from . import views

app_name = "core"

urlpatterns = [
    path("", views.home, name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("login/", views.login_view, name="login"),
    path("login/otp/", views.otp_verify, name="otp_verify"),
    path("login/otp/setup/", views.otp_setup, name="otp_setup"),
    path("logout/", views.logout_view, name="logout"),
    path("units/", views.unit_list, name="unit_list"),
    path("units/new/", views.unit_create, name="unit_create"),
    path("units/<int:pk>/", views.unit_detail, name="unit_detail"),
    path("units/<int:pk>/edit/", views.unit_edit, name="unit_edit"),
    path("users/", views.user_list, name="user_list"),
    path("users/new/", views.user_create, name="user_create"),
    path("users/<int:pk>/", views.user_detail, name="user_detail"),
    path("users/<int:pk>/edit/", views.user_edit, name="user_edit"),
    path("users/<int:pk>/unlock/", views.user_unlock, name="user_unlock"),
    path("users/<int:pk>/roles/", views.user_roles, name="user_roles"),
    path("users/<int:pk>/reveal-mobile/", views.user_reveal_mobile, name="user_reveal_mobile"),
    path("roles/", views.role_list, name="role_list"),
    path("roles/new/", views.role_edit, name="role_create"),
    path("roles/<int:pk>/edit/", views.role_edit, name="role_edit"),
    path("audit/", views.audit_list, name="audit_list"),
    path("audit/export/", views.audit_export, name="audit_export"),
    path("audit/verify/", views.audit_verify, name="audit_verify"),
    path("audit/<int:pk>/", views.audit_detail, name="audit_detail"),
    path("settings/", views.site_settings, name="site_settings"),
    path("me/", views.profile, name="profile"),
    path("me/otp/setup/", views.otp_setup, name="profile_otp_setup"),
    path("me/otp/disable/", views.otp_disable, name="otp_disable"),
    path("me/token/", views.token_regenerate, name="token_regenerate"),
    path("me/token/revoke/", views.token_revoke, name="token_revoke"),
    path("notices/", views.notice_list, name="notices"),
    path("notices/read/", views.notice_read, name="notice_read"),
]
