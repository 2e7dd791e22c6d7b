"""The public pages (no login): the disclosure list, a deed's page with its rating form and QR
code, the panel member's page and the re-rating page (see public.py). `api_urlpatterns` are
the JSON endpoints of the public rating, mounted under /api/v1/public/ by guazhi/api_urls.py."""

from django.urls import path

from . import public

app_name = "deeds_public"

urlpatterns = [
    path("deeds/", public.deed_list, name="list"),
    path("deeds/<str:key>/", public.deed_detail, name="deed"),
    path("deeds/<str:key>/code/", public.code_send, name="code"),
    path("deeds/<str:key>/qr.svg", public.deed_qr, name="qr"),
    path("panel/<str:token>/", public.panel, name="panel"),
    path("panel/<str:token>/<str:key>/", public.panel_rate, name="panel_rate"),
    path("rerate/<str:token>/", public.rerate, name="rerate"),
]

api_urlpatterns = [
    path("deeds/<str:key>/code/", public.api_code, name="code"),
    path("deeds/<str:key>/ratings/", public.api_rate, name="ratings"),
]
