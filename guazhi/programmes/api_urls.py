from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("programmes", api.ProgrammeViewSet, basename="programme")
router.register("batches", api.BatchViewSet, basename="batch")
router.register("posts", api.PostViewSet, basename="post")
router.register("placements", api.PlacementViewSet, basename="placement")

urlpatterns = router.urls
