from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("assessment/indicators", api.IndicatorViewSet, basename="assessment-indicator")
router.register("assessment/plans", api.PlanViewSet, basename="assessment-plan")
router.register(
    "assessment/quarter-results", api.QuarterResultViewSet, basename="assessment-quarterresult"
)
router.register("assessment/rounds", api.RoundViewSet, basename="assessment-round")
router.register("assessment/entries", api.EntryViewSet, basename="assessment-entry")
router.register("assessment/my-ratings", api.MyRatingViewSet, basename="assessment-myrating")
router.register("assessment/appeals", api.AppealViewSet, basename="assessment-appeal")

urlpatterns = router.urls
