from django.urls import path

from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("nominations", api.NominationViewSet, basename="nomination")

urlpatterns = [
    path("batches/<int:pk>/match/", api.MatchView.as_view(), name="batch-match"),
    path(
        "batches/<int:pk>/match/compare/",
        api.MatchCompareView.as_view(),
        name="batch-match-compare",
    ),
    path(
        "batches/<int:pk>/match/confirm/",
        api.MatchConfirmView.as_view(),
        name="batch-match-confirm",
    ),
    path("batches/<int:pk>/match/rules/", api.MatchRuleView.as_view(), name="batch-match-rules"),
    *router.urls,
]
