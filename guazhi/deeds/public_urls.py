"""The public pages (no login): the disclosure list, a deed's page with its rating form and QR
code, the panel member's page and the re-rating page (see public.py)."""

from django.urls import path  # noqa: F401  (the routes are added with public.py)

app_name = "deeds_public"

urlpatterns: list = []
