from django.urls import include, path
from django.views.i18n import JavaScriptCatalog

urlpatterns = [
    path("api/v1/", include("guazhi.api_urls")),  # first: see api_urls.py
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("cadres/", include("guazhi.cadres.urls")),
    path("programmes/", include("guazhi.programmes.urls")),
    path("selection/", include("guazhi.selection.urls")),
    path("teams/", include("guazhi.teams.urls")),
    path("records/", include("guazhi.records.urls")),
    path("returns/", include("guazhi.returns.urls")),
    path("assessment/", include("guazhi.assessment.urls")),
    path("projects/", include("guazhi.projects.urls")),
    path("deeds/", include("guazhi.deeds.urls")),
    path("public/", include("guazhi.deeds.public_urls")),
    path("dashboard/", include("guazhi.dashboard.urls")),
    path("reports/", include("guazhi.reports.urls")),
    path("", include("guazhi.core.urls")),
]

handler403 = "guazhi.core.views.permission_denied"
handler404 = "guazhi.core.views.page_not_found"
handler500 = "guazhi.core.views.server_error"
