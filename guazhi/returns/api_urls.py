from guazhi.core.routers import SimpleRouter

from . import api

router = SimpleRouter()
router.register("career-events", api.CareerEventViewSet, basename="careerevent")
router.register("returns", api.ReturnRecordViewSet, basename="returnrecord")

urlpatterns = router.urls
