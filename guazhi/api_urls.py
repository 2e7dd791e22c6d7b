"""/api/v1/: every app's router is included here."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from guazhi.deeds.public_urls import api_urlpatterns as deeds_public_api

urlpatterns = [
    # First: the public rating takes bursts, and every pattern tried before a match costs
    # (behind the routers below it was the 120th).
    path("public/", include((deeds_public_api, "deeds_public_api"))),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("", include("guazhi.cadres.api_urls")),
    path("", include("guazhi.programmes.api_urls")),
    path("", include("guazhi.selection.api_urls")),
    path("", include("guazhi.teams.api_urls")),
    path("", include("guazhi.records.api_urls")),
    path("", include("guazhi.returns.api_urls")),
    path("", include("guazhi.assessment.api_urls")),
    path("", include("guazhi.projects.api_urls")),
    path("", include("guazhi.deeds.api_urls")),
    path("", include("guazhi.core.api_urls")),
]
